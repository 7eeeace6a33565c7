import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TriageCore
import TriageStore
@testable import TriageService

@Suite struct ArrivalTests {
    @Test func submitAndDuplicate() async throws {
        try await ServiceHarness.run { harness in
            let arrival = Arrivals.chestPain("ext-1")
            let first = try await harness.send(.post, "/v1/arrivals", as: .nurse, json: arrival)
            #expect(first.status == .accepted)
            let accepted = try harness.decode(ServiceHarness.ArrivalReply.self, first)
            #expect(accepted.duplicate == false)

            let again = try await harness.send(.post, "/v1/arrivals", as: .admin, json: arrival)
            #expect(again.status == .ok)
            let duplicate = try harness.decode(ServiceHarness.ArrivalReply.self, again)
            #expect(duplicate.arrivalID == accepted.arrivalID)
            #expect(duplicate.duplicate == true)
            #expect(try await harness.database.count("arrivals") == 1)
        }
    }

    /// A re-delivery must be the same message: a known (source, external_id) with another heart rate, or
    /// with an image added, is 409 and writes nothing, so a changed observation is never silently dropped.
    @Test func resendWithOtherContentIs409() async throws {
        try await ServiceHarness.run { harness in
            let first = try await harness.send(.post, "/v1/arrivals", as: .nurse, json: Arrivals.chestPain("ext-9"))
            #expect(first.status == .accepted)
            let auditRows = try await harness.database.count("audit_log")
            let image = #"[{"content_type": "image/png", "data_base64": "iVBORw0KGgo="}]"#
            for changed in [Arrivals.chestPain("ext-9", heartRate: 130), Arrivals.chestPain("ext-9", images: image)] {
                let conflict = try await harness.send(.post, "/v1/arrivals", as: .nurse, json: changed)
                #expect(conflict.status == .conflict)
                #expect(try harness.problem(conflict).detail.contains("received before with other content"))
            }
            #expect(try await harness.database.count("arrivals") == 1)
            #expect(try await harness.database.count("arrival_images") == 0)
            #expect(try await harness.database.count("audit_log") == auditRows)
        }
    }

    @Test func malformedJSONIs400ProblemJSON() async throws {
        try await ServiceHarness.run { harness in
            let response = try await harness.send(.post, "/v1/arrivals", as: .nurse, json: #"{"source": "adt", "#)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = try harness.problem(response)
            #expect(problem.type == "https://edtriage.example/problems/malformed-request")
            #expect(problem.status == 400)
            #expect(problem.title == "Malformed request")
            #expect(problem.instance == "/v1/arrivals")
            #expect(!String(buffer: response.body).contains("Swift"))
            #expect(try await harness.database.count("arrivals") == 0)
        }
    }

    /// Impossible vitals and missing fields are 422 naming the field, and nothing is written (no arrival,
    /// no audit row). The message never repeats the submitted value.
    @Test func rejectedArrivalWritesNothing() async throws {
        try await ServiceHarness.run { harness in
            let impossible = try await harness.send(.post, "/v1/arrivals", as: .nurse,
                                                    json: Arrivals.chestPain(heartRate: 900))
            #expect(impossible.status == .unprocessableContent)
            let problem = try harness.problem(impossible)
            #expect(problem.field == "vitals.hr")
            #expect(!problem.detail.contains("900"))

            let missing = try await harness.send(.post, "/v1/arrivals", as: .nurse,
                                                 json: #"{"source": "adt", "external_id": "x", "patient_ref": "p"}"#)
            #expect(missing.status == .unprocessableContent)
            #expect(try harness.problem(missing).field == "age")

            #expect(try await harness.database.count("arrivals") == 0)
            #expect(try await harness.database.count("audit_log") == 0)
        }
    }

    @Test func oversizeBodyIs413() async throws {
        try await ServiceHarness.run(environment: ["EDTRIAGE_HTTP_BODY_LIMIT_BYTES": "2048"]) { harness in
            let padded = Arrivals.chestPain().replacingOccurrences(
                of: "pain for two hours", with: String(repeating: "x", count: 4096))
            let response = try await harness.send(.post, "/v1/arrivals", as: .nurse, json: padded)
            #expect(response.status == .contentTooLarge)
            #expect(try harness.problem(response).type == "https://edtriage.example/problems/content-too-large")
            #expect(try await harness.database.count("arrivals") == 0)
        }
    }

    /// Updates carry a few fields: their limit is far below an arrival's, which may carry images.
    @Test func oversizeUpdatesAre413WhileAnArrivalOfThatSizeIsTaken() async throws {
        try await ServiceHarness.run(environment: ["EDTRIAGE_HTTP_UPDATE_BODY_LIMIT_BYTES": "1024"]) { harness in
            let padded = Arrivals.chestPain().replacingOccurrences(
                of: "pain for two hours", with: String(repeating: "x", count: 2048))
            let row = try await harness.boardRow(for: padded)
            let reason = String(repeating: "r", count: 2048)
            let override = try await harness.send(.post, "/v1/assessments/\(row.assessmentID)/override", as: .nurse,
                                                  headers: [.ifMatch: EntityTag.header(row.version)],
                                                  json: #"{"level":2,"reason":"\#(reason)"}"#)
            #expect(override.status == .contentTooLarge)
            let vitals = try await harness.send(.post, "/v1/arrivals/\(row.arrivalID)/vitals", as: .nurse,
                                                json: #"{"vitals":{"hr":90},"note":"\#(reason)"}"#)
            #expect(vitals.status == .contentTooLarge)
            #expect(try await harness.database.count("decisions") == 0)
        }
    }

    @Test func newVitalsReTriageThePatient() async throws {
        try await ServiceHarness.run { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let confirmed = try await harness.send(.post, "/v1/assessments/\(row.assessmentID)/confirm", as: .nurse,
                                                   headers: [.ifMatch: EntityTag.header(row.version)])
            #expect(confirmed.status == .ok)
            let uri = "/v1/arrivals/\(row.arrivalID)/vitals"

            let impossible = try await harness.send(.post, uri, as: .nurse, json: #"{"vitals": {"spo2": 140}}"#)
            #expect(impossible.status == .unprocessableContent)
            #expect(try harness.problem(impossible).field == "vitals.spo2")
            #expect(try await harness.database.count("vitals_observations") == 0)

            let accepted = try await harness.send(.post, uri, as: .nurse,
                                                  json: #"{"vitals": {"hr": 132, "rr": 30, "sbp": 84, "spo2": 88}}"#)
            #expect(accepted.status == .accepted)
            try await harness.scoreQueued()
            let after = try #require(try await harness.store.row(arrivalID: row.arrivalID))
            #expect(after.state == .confirmed)
            #expect(after.effectiveLevel == row.proposedLevel)
            #expect(after.assessmentID != row.assessmentID)
            #expect(after.proposedLevel.isMoreUrgent(than: row.proposedLevel))
            #expect(after.reviewLevel == after.proposedLevel)

            let unknown = try await harness.send(.post, "/v1/arrivals/424242/vitals", as: .physician,
                                                 json: #"{"vitals": {"hr": 80}}"#)
            #expect(unknown.status == .notFound)
        }
    }

    /// A monitor or registration feed that got no answer (a 503 while the database restarts, a dropped connection)
    /// sends the new vitals again; an attempt it never heard back from may have been committed. With the first
    /// attempt's Idempotency-Key the re-send is answered alike and starts no second scoring round.
    @Test func resentVitalsWithTheirIdempotencyKeyAreOneRound() async throws {
        try await ServiceHarness.run { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let uri = "/v1/arrivals/\(row.arrivalID)/vitals"
            let vitals = #"{"vitals": {"hr": 118, "rr": 24, "sbp": 96, "spo2": 93}}"#
            func send(key: String?) async throws -> HTTPResponse.Status {
                try await harness.send(.post, uri, as: .nurse, headers: key.map { [.idempotencyKey: $0] } ?? [:],
                                       json: vitals).status
            }
            func rounds() async throws -> [String?] {
                try await harness.database.ownerQuery(
                    "SELECT scoring_round::text FROM vitals_observations ORDER BY scoring_round")
            }

            #expect(try await send(key: "monitor-7f3a-0001") == .accepted)
            #expect(try await send(key: "monitor-7f3a-0001") == .accepted)
            #expect(try await rounds() == ["2"])
            #expect(try await send(key: "monitor-7f3a-0002") == .accepted)
            #expect(try await rounds() == ["2", "3"])
            // Without a key, each request is new vitals.
            #expect(try await send(key: nil) == .accepted)
            #expect(try await send(key: nil) == .accepted)
            #expect(try await rounds() == ["2", "3", "4", "5"])
            let recorded = try await harness.database.ownerQuery(
                "SELECT count(*)::text FROM audit_log WHERE action = 'vitals.recorded'")
            #expect(recorded == ["4"])

            for malformed in [String(repeating: "k", count: 256), "two words"] {
                #expect(try await send(key: malformed) == .badRequest)
            }
            #expect(try await rounds().count == 4)
        }
    }

    @Test func imagesAreServedToClinicians() async throws {
        try await ServiceHarness.run { harness in
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])
            let id = try await harness.submit(Arrivals.chestPain(
                images: #"[{"content_type": "image/png", "data_base64": "\#(png.base64EncodedString())"}]"#))
            let image = try await harness.send(.get, "/v1/arrivals/\(id)/images/0", as: .physician)
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/png")
            #expect(Data(image.body.readableBytesView) == png)
            #expect(try await harness.send(.get, "/v1/arrivals/\(id)/images/1", as: .nurse).status == .notFound)
            // The read is on record (who, which arrival's which image); the miss read nothing.
            let reads = try await harness.database.ownerQuery(
                "SELECT actor || ' ' || entity_id || ' ' || (after->>'index') FROM audit_log WHERE action = 'access.image'")
            #expect(reads == ["test-physician \(id) 0"])
        }
    }
}
