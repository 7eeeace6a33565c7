import Foundation
import Testing
import TriageStore
import TriageStoreTestSupport

/// The FHIR R4 reads of `edtriage serve`, end to end: an ADT^A04 sent by python-hl7's MLLP client is scored by the
/// rules and the bundled model, and its ESI Observation, Encounter and RiskAssessment, the search Bundle, the
/// CapabilityStatement and the OperationOutcomes of bad requests are all accepted by the `fhir.resources` R4B
/// models (a validator nobody here wrote); a nurse's confirmation turns the Observation final with the nurse
/// as performer.
struct FHIRTests {
    /// What the validator said of each resource, in order ("ok Observation", "invalid …").
    static func validate(_ resources: [Data]) async throws -> [String] {
        let python = try #require(ProcessInfo.processInfo.environment["EDTRIAGE_TEST_PYTHON"],
                                  "scripts/test.sh installs fhir.resources and sets EDTRIAGE_TEST_PYTHON")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fhir-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try resources.enumerated().map { index, data in
            let file = folder.appendingPathComponent("\(index).json")
            try data.write(to: file)
            return file.path
        }
        let run = try await ExternalProgram.run(python, ["Tests/Conformance/fhir_validate.py"] + files)
        return run.stdout.split(separator: "\n").map(String.init)
    }

    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func triageResultsReadAsValidFHIR() async throws {
        try await TestDatabase.with { database in
            let (port, hl7Port) = (TestPorts.random(), TestPorts.random())
            var cli = CommandRunner(database: database, port: port)
            cli.environment["EDTRIAGE_HL7_PORT"] = String(hl7Port)
            cli.environment["EDTRIAGE_AUTH_ALLOW_DEV_TOKENS"] = "true"
            cli.environment["EDTRIAGE_MODEL_PATH"] = TestModel.path
            let nurse = try await cli.token("nurse")
            let service = try await cli.serve(port: port)
            defer { service.end() }
            let base = "http://127.0.0.1:\(port)"
            try await CommandRunner.waitForListener(port: hl7Port)
            #expect(try await HL7ListenerTests.send(["samples/hl7/a04-chest-pain.hl7"], port: hl7Port).map(\.code) == ["AA"])

            // The arrival on the board, once the model has had its say.
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            var row: WorklistRow?
            for _ in 0..<1_200 where row?.modelStatus != .scored && row?.modelStatus != .unavailable {
                try await Task.sleep(for: .milliseconds(100))
                let board = try await httpRequest(base + "/v1/worklist", bearer: nurse)
                row = try decoder.decode(WorklistSnapshot.self, from: board.body).rows.first
            }
            let scored = try #require(row)
            #expect(scored.modelStatus == .scored)
            let fhir = base + "/fhir/r4"
            let patient = "patient:identifier=urn:edtriage:patient-ref%7C\(scored.patientRef)"

            let metadata = try await httpRequest(fhir + "/metadata")
            #expect(metadata.status == 200 && metadata.contentType?.hasPrefix("application/fhir+json") == true)
            let search = try await httpRequest(fhir + "/Observation?\(patient)&encounter=Encounter/\(scored.arrivalID)",
                                               bearer: nurse)
            let bundle = try Self.json(search.body)
            #expect(search.status == 200 && bundle["total"] as? Int == 1)
            let observation = try await httpRequest(fhir + "/Observation/esi-\(scored.arrivalID)", bearer: nurse)
            let preliminary = try Self.json(observation.body)
            #expect(preliminary["status"] as? String == "preliminary")
            let value = try #require((preliminary["valueCodeableConcept"] as? [String: Any])?["coding"] as? [[String: Any]])
            #expect(["LA21567-5", "LA21752-3"].contains(value.first?["code"] as? String ?? ""), "chest pain at 118/min: ESI 1 or 2")
            let encounter = try await httpRequest(fhir + "/Encounter/\(scored.arrivalID)", bearer: nurse)
            #expect(try Self.json(encounter.body)["priority"] != nil)
            let risk = try await httpRequest(fhir + "/RiskAssessment/model-\(scored.assessmentID)", bearer: nurse)
            #expect(risk.status == 200)
            #expect((try Self.json(risk.body)["prediction"] as? [Any])?.count == 5)

            // Refusals, each an OperationOutcome.
            let missing = try await httpRequest(fhir + "/Observation/esi-999999", bearer: nurse)
            let unknownParameter = try await httpRequest(fhir + "/Observation?subject=Patient/1", bearer: nurse)
            let badDate = try await httpRequest(fhir + "/Observation?_lastUpdated=yesterday", bearer: nurse)
            let anonymous = try await httpRequest(fhir + "/Observation/esi-\(scored.arrivalID)")
            let refusals = [missing.status, unknownParameter.status, badDate.status, anonymous.status]
            #expect(refusals == [404, 400, 400, 401])
            let later = try await httpRequest(fhir + "/Observation?_lastUpdated=gt2999-01-01T00:00:00Z", bearer: nurse)
            #expect(try Self.json(later.body)["total"] as? Int == 0)

            // The nurse confirms: the Observation is final and names the nurse.
            let confirmed = try await httpRequest(base + "/v1/assessments/\(scored.assessmentID)/confirm", method: "POST",
                                                  bearer: nurse, headers: ["If-Match": "\"\(scored.version)\""])
            #expect(confirmed.status == 200, "\(String(decoding: confirmed.body, as: UTF8.self))")
            let final = try await httpRequest(fhir + "/Observation/esi-\(scored.arrivalID)", bearer: nurse)
            let finalJSON = try Self.json(final.body)
            #expect(finalJSON["status"] as? String == "final")
            let performer = (finalJSON["performer"] as? [[String: Any]])?.first?["identifier"] as? [String: Any]
            #expect(performer?["value"] as? String == "dev-nurse")

            // Discharged (A03): off the board, but the EHR still reads the result and the finished visit.
            #expect(try await HL7ListenerTests.send(["samples/hl7/a03-discharge.hl7"], port: hl7Port).map(\.code) == ["AA"])
            let afterDischarge = try await httpRequest(fhir + "/Observation/esi-\(scored.arrivalID)", bearer: nurse)
            #expect(try Self.json(afterDischarge.body)["status"] as? String == "final")
            let finished = try await httpRequest(fhir + "/Encounter/\(scored.arrivalID)", bearer: nurse)
            #expect(try Self.json(finished.body)["status"] as? String == "finished")
            let byEncounter = try await httpRequest(fhir + "/Observation?encounter=Encounter/\(scored.arrivalID)",
                                                    bearer: nurse)
            #expect(try Self.json(byEncounter.body)["total"] as? Int == 1)
            let onBoard = try await httpRequest(fhir + "/Observation?\(patient)", bearer: nurse)
            #expect(try Self.json(onBoard.body)["total"] as? Int == 0, "a patient search covers the board")

            let bodies = [metadata, search, observation, encounter, risk, missing, unknownParameter, badDate, anonymous,
                          later, final, afterDischarge, finished, byEncounter].map(\.body)
            let verdicts = try await Self.validate(bodies)
            #expect(verdicts == ["ok CapabilityStatement", "ok Bundle", "ok Observation", "ok Encounter",
                                 "ok RiskAssessment"] + Array(repeating: "ok OperationOutcome", count: 4)
                                 + ["ok Bundle", "ok Observation", "ok Observation", "ok Encounter", "ok Bundle"],
                    "\(verdicts)")
        }
    }

    /// A transaction Bundle from a registration system (`samples/fhir/`) is one arrival: re-sent, the same one;
    /// a wrong unit, an impossible vital sign, a visit that is not an emergency or an image format triage does not
    /// read is refused naming the bundle element, writing nothing; a Media photo is stored with its arrival. Every
    /// answer passes the validator.
    @Test func transactionBundleIsOneArrival() async throws {
        let sample = try Data(contentsOf: CommandRunner.packageRoot.appendingPathComponent("samples/fhir/transaction-wrist-injury.json"))
        let text = String(decoding: sample, as: UTF8.self)
        func variant(_ replacements: (String, String)...) -> Data {
            Data(replacements.reduce(text) { $0.replacingOccurrences(of: $1.0, with: $1.1) }.utf8)
        }
        try await TestDatabase.with { database in
            let port = TestPorts.random()
            var cli = CommandRunner(database: database, port: port)
            cli.environment["EDTRIAGE_AUTH_ALLOW_DEV_TOKENS"] = "true"
            let (intake, nurse, admin) = (try await cli.token("intake"), try await cli.token("nurse"), try await cli.token("admin"))
            let service = try await cli.serve(port: port)
            defer { service.end() }
            let base = "http://127.0.0.1:\(port)"
            func post(_ body: Data) async throws -> (status: Int, contentType: String?, eTag: String?, body: Data) {
                try await httpRequest(base + "/fhir/r4", method: "POST", bearer: intake,
                                      headers: ["Content-Type": "application/fhir+json"], body: body)
            }
            func responses(_ data: Data) throws -> [[String: Any]] {
                ((try Self.json(data)["entry"] as? [[String: Any]]) ?? []).compactMap { $0["response"] as? [String: Any] }
            }

            let created = try await post(sample)
            #expect(created.status == 200, "\(String(decoding: created.body, as: UTF8.self))")
            let first = try responses(created.body)
            #expect(first.count == 10 && first.allSatisfy { $0["status"] as? String == "201 Created" })
            let location = try #require(first[1]["location"] as? String)
            #expect(location.hasPrefix("Encounter/"))
            let resent = try await post(sample)
            let second = try responses(resent.body)
            #expect(second.allSatisfy { $0["status"] as? String == "200 OK" } && second[1]["location"] as? String == location)

            let badUnit = try await post(variant((#""code": "Cel""#, #""code": "K""#)))
            let impossible = try await post(variant((#""value": 96"#, #""value": 960"#),
                                                    ("V20261203-FHIR-0001", "V20261203-FHIR-0002")))
            let notEmergency = try await post(variant((#""code": "EMER""#, #""code": "AMB""#)))
            let outcomes = try [badUnit, impossible, notEmergency].map { try Self.json($0.body)["issue"] as? [[String: Any]] }
            let statuses = [badUnit.status, impossible.status, notEmergency.status]
            #expect(statuses == [422, 422, 422])
            let expressions = outcomes.map { ($0?.first?["expression"] as? [String]) ?? [] }
            #expect(expressions == [["Bundle.entry[7].resource.valueQuantity.code"], ["Bundle.entry[3].resource.valueQuantity"],
                                    ["Bundle.entry[1].resource.class"]])
            #expect(try await database.count("arrivals") == 1, "the refused bundles wrote nothing")
            #expect(try await database.count("arrivals", where: """
                source = 'fhir:urn:oid:1.2.826.0.1.3680043.2.2' AND external_id = 'V20261203-FHIR-0001'
                AND payload->'vitals'->>'sbp' = '148' AND payload->>'arrival_mode' = 'walk-in'
                """) == 1)

            // Images: a Media photo is stored with the arrival; a Binary in a format triage does not read is refused.
            let png = try Data(contentsOf: CommandRunner.packageRoot.appendingPathComponent(
                "Tests/GemmaEngineTests/Fixtures/vision/square-40x40.png")).base64EncodedString()
            func withImage(_ image: [String: Any], visit: String) throws -> Data {
                var bundle = try Self.json(variant(("V20261203-FHIR-0001", visit)))
                bundle["entry"] = (bundle["entry"] as? [Any] ?? []) + [["resource": image]]
                return try JSONSerialization.data(withJSONObject: bundle)
            }
            let photo = try await post(try withImage(["resourceType": "Media", "status": "completed",
                                                      "content": ["contentType": "image/png", "data": png]],
                                                     visit: "V20261203-FHIR-0003"))
            let gif = try await post(try withImage(["resourceType": "Binary", "contentType": "image/gif", "data": png],
                                                   visit: "V20261203-FHIR-0004"))
            #expect(photo.status == 200 && gif.status == 422)
            let gifExpression = ((try Self.json(gif.body)["issue"] as? [[String: Any]])?.first?["expression"] as? [String]) ?? []
            #expect(gifExpression == ["Bundle.entry[10].resource.contentType"])
            #expect(try await database.count("arrival_images", where: "content_type = 'image/png'") == 1)
            #expect(try await database.count("arrivals") == 2)

            let arrivalID = location.dropFirst("Encounter/".count)
            var observation = (status: 0, contentType: String?.none, eTag: String?.none, body: Data())
            for _ in 0..<300 where observation.status != 200 {
                try await Task.sleep(for: .milliseconds(100))
                observation = try await httpRequest(base + "/fhir/r4/Observation/esi-\(arrivalID)", bearer: nurse)
            }
            #expect(try Self.json(observation.body)["status"] as? String == "preliminary")

            // The arrival's audit rows as AuditEvents: accepted (by the intake feed), then scored.
            let audit = try await httpRequest(base + "/fhir/r4/AuditEvent?entity=Encounter/\(arrivalID)", bearer: admin)
            let events = ((try Self.json(audit.body)["entry"] as? [[String: Any]]) ?? []).compactMap { $0["resource"] as? [String: Any] }
            let subtypes = events.compactMap { (($0["subtype"] as? [[String: Any]])?.first?["code"]) as? String }
            #expect(subtypes.first == "arrival.accepted" && subtypes.contains("assessment.written"), "\(subtypes)")
            #expect(events.first?["action"] as? String == "C")
            #expect(try await httpRequest(base + "/fhir/r4/AuditEvent", bearer: nurse).status == 403)

            let verdicts = try await Self.validate([created, resent, badUnit, impossible, notEmergency, photo, gif,
                                                    observation, audit].map(\.body))
            #expect(verdicts == ["ok Bundle", "ok Bundle"] + Array(repeating: "ok OperationOutcome", count: 3)
                                 + ["ok Bundle", "ok OperationOutcome", "ok Observation", "ok Bundle"], "\(verdicts)")
        }
    }
}
