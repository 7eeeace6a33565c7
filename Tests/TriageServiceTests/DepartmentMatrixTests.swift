import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TriageCore
import TriageStore
@testable import TriageService

/// Two EDs in one service (`north`, `south`): every endpoint × every role × both departments, with tokens that
/// cover `north` only. A role outside the endpoint's row gets 403 either way; an allowed role reaches `north`'s
/// patients and is refused (403, naming the department) for `south`'s, or finds none of them in a search.
@Suite struct DepartmentMatrixTests {
    static let environment = ["EDTRIAGE_TRIAGE_DEPARTMENTS": "north,south"]

    /// How an endpoint treats a department it is asked about.
    enum Scope {
        /// Not about any department: the same answer for both.
        case none
        /// About one department's patient or board: 403 for a department the token does not cover.
        case refused
        /// A search: answers, without the other department's patients.
        case filtered
    }

    /// One request per endpoint about `department`'s patients, how the endpoint scopes it, and what a caller allowed
    /// there gets (stale `If-Match` headers make decisions 412 rather than change the board).
    struct Request {
        var uri: String
        var body: String? = nil
        var headers: HTTPFields = [:]
        var scope: Scope
        var reached: HTTPResponse.Status? = nil
    }

    /// The patients of one department that the requests name.
    struct Patients {
        var boardArrival: Int
        var assessment: Int
        var failedArrival: Int
    }

    static func request(_ endpoint: Endpoint, _ department: String, _ patients: Patients) -> Request {
        let (arrival, assessment) = (patients.boardArrival, patients.assessment)
        let stale: HTTPFields = [.ifMatch: "\"999\""]
        switch endpoint {
        case .health, .readiness, .metrics, .openAPI, .board, .fhirMetadata, .auditVerify, .departments:
            return Request(uri: endpoint.path, scope: .none)
        case .boardAsset:
            return Request(uri: "/board/board.js", scope: .none)
        case .worklist:
            return Request(uri: "/v1/worklist?department=\(department)", scope: .refused, reached: .ok)
        case .assessment:
            return Request(uri: "/v1/assessments/\(assessment)", scope: .refused, reached: .ok)
        case .confirm:
            return Request(uri: "/v1/assessments/\(assessment)/confirm", headers: stale, scope: .refused,
                           reached: .preconditionFailed)
        case .override:
            return Request(uri: "/v1/assessments/\(assessment)/override", body: #"{"level": 2, "reason": "looks worse"}"#,
                           headers: stale, scope: .refused, reached: .preconditionFailed)
        case .submitArrival:
            return Request(uri: "/v1/arrivals", body: Self.arrival(in: department), scope: .refused, reached: .accepted)
        case .discharge:
            return Request(uri: "/v1/arrivals/\(arrival)/discharge", headers: stale, scope: .refused,
                           reached: .preconditionFailed)
        case .vitals:
            return Request(uri: "/v1/arrivals/\(arrival)/vitals",
                           body: #"{"vitals": {"hr": 96, "rr": 18, "sbp": 128, "dbp": 80, "spo2": 97}}"#, scope: .refused,
                           reached: .accepted)
        case .image:
            return Request(uri: "/v1/arrivals/\(arrival)/images/0", scope: .refused, reached: .ok)
        case .audit:
            return Request(uri: "/v1/audit?department=\(department)", scope: .refused, reached: .ok)
        case .failedArrivals:
            return Request(uri: "/v1/admin/failed?department=\(department)", scope: .refused, reached: .ok)
        case .requeue:
            return Request(uri: "/v1/admin/failed/\(patients.failedArrival)/requeue", scope: .refused, reached: .accepted)
        case .fhirTransaction:
            return Request(uri: "/fhir/r4", body: Self.bundle(in: department), scope: .refused, reached: .ok)
        case .fhirObservations:
            return Request(uri: "/fhir/r4/Observation?encounter=Encounter/\(arrival)", scope: .filtered, reached: .ok)
        case .fhirObservation:
            return Request(uri: "/fhir/r4/Observation/esi-\(arrival)", scope: .refused, reached: .ok)
        case .fhirEncounter:
            return Request(uri: "/fhir/r4/Encounter/\(arrival)", scope: .refused, reached: .ok)
        case .fhirRiskAssessment:
            // Without a model there is no RiskAssessment: 404 once the department check has passed.
            return Request(uri: "/fhir/r4/RiskAssessment/model-\(assessment)", scope: .refused, reached: .notFound)
        case .fhirAuditEvents:
            return Request(uri: "/fhir/r4/AuditEvent?entity=Encounter/\(arrival)", scope: .filtered, reached: .ok)
        default:
            Issue.record("no department request for \(endpoint): add one")
            return Request(uri: endpoint.path, scope: .none)
        }
    }

    @Test func everyEndpointForEveryRoleInBothDepartments() async throws {
        try await ServiceHarness.run(environment: Self.environment) { harness in
            let patients = try await Self.admit(harness)
            for endpoint in Endpoint.all {
                for role in Role.allCases {
                    let token = try await harness.token(role, departments: ["north"])
                    for department in ["north", "south"] {
                        let request = Self.request(endpoint, department, patients[department]!)
                        var headers = request.headers
                        headers[.authorization] = "Bearer \(token)"
                        if request.body != nil { headers[.contentType] = "application/json" }
                        let response = try await harness.client.execute(
                            uri: request.uri, method: endpoint.method, headers: headers,
                            body: request.body.map { ByteBuffer(string: $0) })
                        let status = response.status
                        let context = "\(endpoint) as \(role) about \(department): \(status.code) \(String(buffer: response.body))"
                        #expect(status != .unauthorized, "\(context)")
                        if !endpoint.isPublic && !endpoint.allows(role) {
                            #expect(status == .forbidden, "\(context)")
                        } else if department == "south" && request.scope == .refused {
                            #expect(status == .forbidden, "\(context)")
                            #expect(String(buffer: response.body).contains("department south"), "\(context)")
                        } else {
                            #expect(status != .forbidden, "\(context)")
                            #expect(status.code < 500, "\(context)")
                            if department == "north", let reached = request.reached { #expect(status == reached, "\(context)") }
                        }
                        if request.scope == .filtered && endpoint.allows(role) {
                            let total = try Self.json(response)["total"] as? Int ?? -1
                            #expect(department == "north" ? total > 0 : total == 0, "\(context)")
                        }
                    }
                }
            }
        }
    }

    @Test func tokensMustNameTheirDepartmentsAndSeeOnlyThose() async throws {
        try await ServiceHarness.run(environment: Self.environment) { harness in
            let patients = try await Self.admit(harness)
            func get(_ uri: String, _ token: String) async throws -> TestResponse {
                try await harness.client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"])
            }
            // With several departments, a token without the claim is refused outright.
            let unscoped = try await get("/v1/worklist?department=north", try await harness.token(.nurse))
            #expect(unscoped.status == .unauthorized)
            #expect(String(buffer: unscoped.body).contains("names no departments"))

            let north = try await harness.token(.admin, departments: ["north"])
            let everywhere = try await harness.token(.nurse, departments: ["*"])
            #expect(try Self.json(try await get("/v1/departments", north))["departments"] as? [String] == ["north"])
            #expect(try Self.json(try await get("/v1/departments", everywhere))["departments"] as? [String] == ["north", "south"])

            // One department a token covers is its board; with several it must say which.
            let northBoard = try Self.json(try await get("/v1/worklist", try await harness.token(.nurse, departments: ["north"])))
            #expect(northBoard["department"] as? String == "north")
            #expect((northBoard["rows"] as? [[String: Any]])?.compactMap { $0["arrival_id"] as? Int }
                    == [patients["north"]!.boardArrival])
            let ambiguous = try await get("/v1/worklist", everywhere)
            #expect(ambiguous.status == .unprocessableContent)
            #expect(try await get("/v1/worklist?department=south", everywhere).status == .ok)
            #expect(try await get("/v1/worklist?department=east", everywhere).status == .unprocessableContent)

            // Listings of a departmental admin hold only its departments' arrivals.
            let audit = try Self.json(try await get("/v1/audit?limit=1000", north))
            let audited = Set(((audit["entries"] as? [[String: Any]]) ?? []).compactMap { $0["entity_id"] as? String })
            #expect(audited.contains(String(patients["north"]!.boardArrival)))
            #expect(!audited.contains(String(patients["south"]!.boardArrival)))
            #expect(!audited.contains(String(patients["south"]!.failedArrival)))
            let failed = try Self.json(try await get("/v1/admin/failed", north))
            #expect(((failed["failed"] as? [[String: Any]]) ?? []).compactMap { $0["arrival_id"] as? Int }
                    == [patients["north"]!.failedArrival])
        }
    }

    @Test func eachDepartmentHasItsOwnRevisionLongPollAndCensus() async throws {
        try await ServiceHarness.run(environment: Self.environment) { harness in
            let patients = try await Self.admit(harness)
            let store = harness.store
            let southBefore = try await store.revision(department: "south")
            let northBefore = try await store.revision(department: "north")
            #expect(southBefore > 0 && northBefore > 0 && southBefore != northBefore)

            // A long-poll on south's board is not woken by a change on north's.
            let nurse = try await harness.token(.nurse, departments: ["*"])
            async let southPoll = harness.client.execute(
                uri: "/v1/worklist?department=south&wait=2", method: .get,
                headers: [.authorization: "Bearer \(nurse)", .ifNoneMatch: "\"\(southBefore)\""])
            try await Task.sleep(for: .milliseconds(300))
            let northRow = try #require(try await store.row(arrivalID: patients["north"]!.boardArrival))
            _ = try await store.decide(.confirm, arrivalID: northRow.arrivalID, expectedVersion: northRow.version,
                                       context: AuditContext(actor: "test-nurse", role: "nurse"))
            #expect(try await southPoll.status == .notModified)
            #expect(try await store.revision(department: "south") == southBefore)
            #expect(try await store.revision(department: "north") > northBefore)

            await harness.status.refresh()
            let metrics = String(buffer: try await harness.client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"edtriage_board_patients{department="north",state="confirmed"} 1"#))
            #expect(metrics.contains(#"edtriage_board_patients{department="south",state="awaiting_confirmation"} 1"#))
            #expect(metrics.contains(#"edtriage_board_patients{department="south",state="confirmed"} 0"#))
        }
    }

    /// In each department: a patient with an image on the board, and an arrival in the failed list.
    static func admit(_ harness: ServiceHarness) async throws -> [String: Patients] {
        let token = try await harness.token(.nurse, departments: ["*"])
        func submit(_ json: String) async throws -> Int {
            let response = try await harness.client.execute(
                uri: "/v1/arrivals", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                body: ByteBuffer(string: json))
            guard response.status == .accepted else {
                throw HarnessError("submit answered \(response.status.code): \(String(buffer: response.body))")
            }
            return try harness.decode(ServiceHarness.ArrivalReply.self, response).arrivalID
        }
        var failed: [String: Int] = [:]
        for department in ["north", "south"] { failed[department] = try await submit(arrival(in: department)) }
        for claim in try await harness.store.claim(limit: 10, lease: .seconds(60), maxAttempts: 5) {
            try await harness.store.deadLetter(claim, reason: "test: sent to the failed list")
        }
        var patients: [String: Patients] = [:]
        for department in ["north", "south"] {
            let id = try await submit(arrival(in: department, withImage: true))
            try await harness.scoreQueued()
            let row = try #require(try await harness.store.row(arrivalID: id))
            #expect(row.department == department)
            patients[department] = Patients(boardArrival: id, assessment: row.assessmentID,
                                            failedArrival: failed[department]!)
        }
        return patients
    }

    static func arrival(in department: String, withImage: Bool = false) -> String {
        let image = #"[{"content_type": "image/png", "data_base64": "iVBORw0KGgo="}]"#
        return Arrivals.chestPain(images: withImage ? image : "[]")
            .replacingOccurrences(of: #""source": "test-adt","#, with: #""source": "test-adt", "department": "\#(department)","#)
    }

    static func bundle(in department: String) -> String {
        """
        {"resourceType": "Bundle", "type": "transaction", "entry": [
          {"resource": {"resourceType": "Patient", "identifier": [{"system": "urn:test:mrn", "value": "MRN-\(UUID().uuidString.prefix(8))"}],
                        "gender": "female", "birthDate": "1970-05-01"}},
          {"resource": {"resourceType": "Encounter", "status": "arrived",
                        "identifier": [{"system": "urn:test:visit", "value": "\(UUID().uuidString)"}],
                        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"},
                        "serviceProvider": {"identifier": {"value": "\(department)"}}}},
          {"resource": {"resourceType": "Observation", "status": "final",
                        "code": {"coding": [{"system": "http://loinc.org", "code": "8661-1"}]}, "valueString": "ankle sprain"}}
        ]}
        """
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any] ?? [:]
    }
}
