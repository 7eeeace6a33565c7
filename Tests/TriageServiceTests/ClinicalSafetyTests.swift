import Foundation
import Testing
import TriageCore
import TriageStore
import TriageStoreTestSupport
@testable import TriageService

/// The safety contract end to end: `edtriage serve`'s service group with the bundled model or a model
/// server, real PostgreSQL and real HTTP on loopback.
@Suite(.serialized) struct ClinicalSafetyTests {
    /// A low-acuity sore throat, unique per `externalID`; `note` replaces the triage note.
    static func soreThroat(_ externalID: String, note: String = "Sore throat for two days, eating and drinking normally.")
        -> String {
        let arrival: [String: Any] = [
            "source": "safety-test", "external_id": externalID, "patient_ref": "MRN-\(externalID)",
            "age": ["years": 24], "sex": "F", "arrival_mode": "walk-in", "chief_complaint": "sore throat",
            "note": note,
            "vitals": ["hr": 84, "rr": 16, "sbp": 118, "dbp": 76, "spo2": 99, "temp_c": 37.6, "pain": 3, "gcs": 15, "avpu": "A"],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: arrival), as: UTF8.self)
    }

    static func worklist(_ service: LiveService, token: String) async throws -> [WorklistRow] {
        let response = try await service.send("GET", "v1/worklist", token: token)
        return try JSONDecoder.iso8601.decode(WorklistSnapshot.self, from: response.body).rows
    }

    static func assessment(_ service: LiveService, id: Int, token: String) async throws -> AssessmentDetail {
        struct Reply: Decodable { let assessment: AssessmentDetail }
        let response = try await service.send("GET", "v1/assessments/\(id)", token: token)
        return try JSONDecoder.iso8601.decode(Reply.self, from: response.body).assessment
    }

    @Test("overrides made while the model is pending all stand when a raising model's assessments arrive")
    func overridesSurviveTheModelPhase() async throws {
        // A raise threshold this low lets the model change levels, as a MedGemma site would see.
        try await LiveService.run(environment: ["EDTRIAGE_MODEL_PATH": TestModel.path,
                                                "EDTRIAGE_MODEL_RAISE_THRESHOLD": "0.01",
                                                "EDTRIAGE_MODEL_RATIONALE_MAX_TOKENS": "24"]) { service in
            let nurse = try await service.token(.nurse, actor: "rn-safety")
            let ids = (1...6).map { "race-\($0)-\(UUID().uuidString.prefix(6))" }
            for id in ids {
                #expect(try await service.send("POST", "v1/arrivals", token: nurse, json: Self.soreThroat(id)).status == 202)
            }
            // The clinician's level per arrival: ESI 1, or ESI 2 where the model already proposes ESI 1
            // (an override must differ from the proposal).
            var overridden: [Int: ESILevel] = [:]
            try await eventually(timeout: .seconds(60)) {
                for row in try await Self.worklist(service, token: nurse) where overridden[row.arrivalID] == nil {
                    let level: ESILevel = row.proposedLevel == .resuscitation ? .emergent : .resuscitation
                    let response = try await service.send(
                        "POST", "v1/assessments/\(row.assessmentID)/override", token: nurse,
                        headers: ["If-Match": "\"\(row.version)\""],
                        json: #"{"level": \#(level.rawValue), "reason": "looks grey and sweaty at the desk"}"#)
                    // 412: a model assessment changed the row first; the next pass overrides it.
                    if response.status == 200 { overridden[row.arrivalID] = level }
                }
                return overridden.count == ids.count
            }
            try await eventually(timeout: .seconds(180)) {
                try await service.database.count("model_jobs", where: "state IN ('done', 'unavailable')") == ids.count
            }
            // The race happened: model assessments were written after the overrides they followed.
            #expect(try await service.database.count(
                "assessments s JOIN decisions d ON d.arrival_id = s.arrival_id AND d.kind = 'override'",
                where: "s.phase = 'model' AND s.created_at > d.decided_at") >= 1)
            let rows = try await Self.worklist(service, token: nurse)
            #expect(rows.count == ids.count)
            for row in rows {
                let level = try #require(overridden[row.arrivalID])
                #expect(row.effectiveLevel == level)
                #expect(row.state == .overridden)
                #expect(row.decidedBy == "rn-safety")
                #expect(row.modelStatus == .scored)
                // A model assessment more urgent than the clinician's level raises the review alert.
                #expect((row.reviewLevel != nil) == row.proposedLevel.isMoreUrgent(than: level))
                let detail = try await Self.assessment(service, id: row.assessmentID, token: nurse)
                #expect(detail.decisions.map(\.kind) == ["override"])
                #expect(detail.decisions.first?.reason == "looks grey and sweaty at the desk")
                #expect(detail.decisions.first?.level == level)
            }
            #expect(try await service.database.count("audit_log", where: "action = 'decision.override'") == ids.count)
        }
    }

    @Test("an 8,000-character note gets a model score, whole in the model's context or shortened with a marker")
    func longNotesAreModelScored() async throws {
        let note = String(repeating: "Intermittent sore throat and mild cough, no fever reported, eating and drinking. ", count: 100)
            .prefix(8_000)
        for contextTokens in ["0", "768"] {
            try await LiveService.run(environment: ["EDTRIAGE_MODEL_PATH": TestModel.path,
                                                    "EDTRIAGE_MODEL_CONTEXT_TOKENS": contextTokens,
                                                    "EDTRIAGE_MODEL_RATIONALE_MAX_TOKENS": "0"]) { service in
                let nurse = try await service.token(.nurse, actor: "rn-safety")
                #expect(try await service.send("POST", "v1/arrivals", token: nurse,
                                               json: Self.soreThroat("long-\(contextTokens)", note: String(note))).status == 202)
                try await eventually(timeout: .seconds(120)) {
                    try await Self.worklist(service, token: nurse).first?.modelStatus == .scored
                }
                let row = try #require(try await Self.worklist(service, token: nurse).first)
                let detail = try await Self.assessment(service, id: row.assessmentID, token: nurse)
                #expect(detail.phase == "model")
                #expect(detail.model?.status == .scored)
                #expect(detail.model?.distribution != nil)
                #expect(detail.presentation.note.count == 8_000, "the stored note is never shortened")
            }
        }
    }

    @Test("a model server that is down at start-up is probed again, and the arrivals that came meanwhile get scored")
    func serverDownAtStartUpScoresLater() async throws {
        let server = FakeCompletionServer(.failing(status: 503))
        try await server.serve { url in
            try await LiveService.run(environment: [
                "EDTRIAGE_MODEL_BACKEND": "openai", "EDTRIAGE_MODEL_OPENAI_URL": url.absoluteString,
                "EDTRIAGE_MODEL_OPENAI_MODEL": "medgemma-test", "EDTRIAGE_MODEL_OPENAI_BREAKER_COOLDOWN_MS": "100",
                "EDTRIAGE_MODEL_RATIONALE_MAX_TOKENS": "0", "EDTRIAGE_WORKER_BACKOFF_BASE_MS": "50",
                "EDTRIAGE_WORKER_BACKOFF_CAP_MS": "400",
            ]) { service in
                let nurse = try await service.token(.nurse, actor: "rn-safety")
                for index in 1...3 {
                    let json = Self.soreThroat("down-\(index)-\(UUID().uuidString.prefix(6))")
                    #expect(try await service.send("POST", "v1/arrivals", token: nurse, json: json).status == 202)
                }
                // The rules' levels are on the board, and the board says why the model's are not.
                try await eventually(timeout: .seconds(30)) {
                    let rows = try await Self.worklist(service, token: nurse)
                    return rows.count == 3 && rows.allSatisfy { $0.modelStatus == .waiting }
                        && rows.allSatisfy { $0.modelNote?.hasPrefix("model unavailable (model server ") == true }
                }
                // Probed again while it is down: every poll once the short backoff has passed, so within a second or
                // two on a quiet machine; the bound leaves room for one busy with the other suites.
                let probesWhileDown = await server.requestCount
                try await eventually(timeout: .seconds(30)) { await server.requestCount > probesWhileDown }
                #expect(try await service.database.count("assessments", where: "phase = 'model'") == 0)

                await server.set(.logprobs([" 2": -0.4, " 3": -1.3, " 4": -2.5]))
                try await eventually(timeout: .seconds(30)) {
                    try await Self.worklist(service, token: nurse).allSatisfy { $0.modelStatus == .scored }
                }
                #expect(try await service.database.count("assessments", where: "phase = 'model' AND model ->> 'status' = 'scored'") == 3)
                #expect(try await service.database.count("model_jobs", where: "state = 'done'") == 3)
            }
        }
    }
}
