import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TriageCore
import TriageStore
@testable import TriageService

@Suite struct DecisionTests {
    @Test func confirmNeedsTheCurrentETag() async throws {
        try await ServiceHarness.run { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let uri = "/v1/assessments/\(row.assessmentID)/confirm"

            let missing = try await harness.send(.post, uri, as: .nurse)
            #expect(missing.status == .preconditionRequired)
            #expect(try harness.problem(missing).type == "https://edtriage.example/problems/precondition-required")

            let stale = try await harness.send(.post, uri, as: .nurse, headers: [.ifMatch: "\"\(row.version + 7)\""])
            #expect(stale.status == .preconditionFailed)
            #expect(stale.headers[.eTag] == "\"\(row.version)\"")

            let shown = try await harness.send(.get, "/v1/assessments/\(row.assessmentID)", as: .physician)
            #expect(shown.status == .ok)
            let etag = try #require(shown.headers[.eTag])
            let confirmed = try await harness.send(.post, uri, as: .nurse, headers: [.ifMatch: etag])
            #expect(confirmed.status == .ok)
            let receipt = try harness.decode(DecisionReceipt.self, confirmed)
            #expect(receipt.state == .confirmed)
            #expect(confirmed.headers[.eTag] == "\"\(receipt.version)\"")

            // The same ETag again is now stale: a decision is never applied twice.
            let replay = try await harness.send(.post, uri, as: .nurse, headers: [.ifMatch: etag])
            #expect(replay.status == .preconditionFailed)
            #expect(try await harness.database.count("decisions") == 1)
        }
    }

    @Test func overrideWithoutReasonIsRejectedAndWritesNothing() async throws {
        try await ServiceHarness.run { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let uri = "/v1/assessments/\(row.assessmentID)/override"
            let ifMatch: HTTPFields = [.ifMatch: EntityTag.header(row.version)]
            let auditBefore = try await harness.database.count("audit_log")

            for body in [#"{"level": 2}"#, #"{"level": 2, "reason": "   "}"#] {
                let response = try await harness.send(.post, uri, as: .physician, headers: ifMatch, json: body)
                #expect(response.status == .unprocessableContent)
                #expect(try harness.problem(response).field == "reason")
            }
            let badLevel = try await harness.send(.post, uri, as: .physician, headers: ifMatch,
                                                  json: #"{"level": 9, "reason": "looks worse"}"#)
            #expect(badLevel.status == .unprocessableContent)
            #expect(try harness.problem(badLevel).field == "level")
            #expect(try await harness.database.count("decisions") == 0)
            #expect(try await harness.database.count("audit_log") == auditBefore)
            #expect(try await harness.store.row(arrivalID: row.arrivalID)?.version == row.version)

            let level: ESILevel = row.proposedLevel == .resuscitation ? .emergent : .resuscitation
            let overridden = try await harness.send(
                .post, uri, as: .physician, headers: ifMatch,
                json: #"{"level": \#(level.rawValue), "reason": "diaphoretic, looks unwell"}"#)
            #expect(overridden.status == .ok)
            let receipt = try harness.decode(DecisionReceipt.self, overridden)
            #expect(receipt.state == .overridden)
            #expect(receipt.effectiveLevel == level)
        }
    }

    @Test func dischargeRemovesTheRow() async throws {
        try await ServiceHarness.run { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let uri = "/v1/arrivals/\(row.arrivalID)/discharge"
            #expect(try await harness.send(.post, uri, as: .nurse).status == .preconditionRequired)
            let discharged = try await harness.send(.post, uri, as: .nurse,
                                                    headers: [.ifMatch: EntityTag.header(row.version)],
                                                    json: #"{"reason": "left before review"}"#)
            #expect(discharged.status == .ok)
            let board = try harness.decode(WorklistSnapshot.self, try await harness.send(.get, "/v1/worklist", as: .nurse))
            #expect(board.rows.isEmpty)
        }
    }
}
