import Foundation
import Testing
import TriageCore
import TriageStore
import TriageStoreTestSupport
@testable import TriageService

/// Images in the model phase, end to end: `edtriage serve` with the bundled 270M and the llama.cpp-checked
/// random-weight vision tower that pairs with it, real PostgreSQL and real HTTP on loopback.
@Suite(.serialized) struct VisionServiceTests {
    static let mmproj = TestModel.visionFixtures.appendingPathComponent("tiny-mmproj-f16.gguf").path

    static func image(_ name: String) throws -> Data {
        try Data(contentsOf: TestModel.visionFixtures.appendingPathComponent(name))
    }

    /// A wound check with `images` (content type, bytes).
    static func woundCheck(_ externalID: String, images: [(String, Data)]) -> String {
        let arrival: [String: Any] = [
            "source": "vision-test", "external_id": externalID, "patient_ref": "MRN-\(externalID)",
            "age": ["years": 41], "sex": "M", "arrival_mode": "walk-in", "chief_complaint": "hand wound",
            "note": "Cut to the palm on a kitchen knife an hour ago, bleeding controlled. Photo attached.",
            "vitals": ["hr": 82, "rr": 14, "sbp": 128, "dbp": 80, "spo2": 99, "temp_c": 36.8, "pain": 4, "gcs": 15, "avpu": "A"],
            "images": images.map { ["content_type": $0.0, "data_base64": $0.1.base64EncodedString()] },
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: arrival), as: UTF8.self)
    }

    static func readiness(_ service: LiveService) async throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: try await service.send("GET", "readyz").body)
    }

    static func modelColumn(_ service: LiveService, phase: String) async throws -> ModelAssessment {
        let text = try #require(try await service.database.ownerQuery(
            "SELECT model::text FROM assessments WHERE phase = '\(phase)'").first ?? nil)
        return try JSONDecoder().decode(ModelAssessment.self, from: Data(text.utf8))
    }

    @Test("the text score goes on the board first, then the score with the images, each listed analysed or why not")
    func imagesAreReadAfterTheTextScore() async throws {
        try await LiveService.run(environment: ["EDTRIAGE_MODEL_PATH": TestModel.path,
                                                "EDTRIAGE_MODEL_MMPROJ": Self.mmproj,
                                                "EDTRIAGE_MODEL_RATIONALE_MAX_TOKENS": "0"]) { service in
            #expect(try await Self.readiness(service) == ["status": "ready", "vision": "ready"])
            let photo = try Self.image("square-40x40.png")
            let truncated = try Self.image("tall-30x45.jpg").prefix(200)
            let nurse = try await service.token(.nurse, actor: "rn-vision")
            let json = Self.woundCheck("wound-\(UUID().uuidString.prefix(6))",
                                       images: [("image/png", photo), ("image/jpeg", Data(truncated))])
            #expect(try await service.send("POST", "v1/arrivals", token: nurse, json: json).status == 202)
            try await eventually(timeout: .seconds(120)) {
                try await service.database.count("model_jobs", where: "state = 'done'") == 1
            }
            #expect(try await service.database.count("model_jobs", where: "stage = 'images'") == 1)

            // The text score came first and said the images were still to be read.
            let text = try await Self.modelColumn(service, phase: "model")
            #expect(text.status == .scored)
            #expect(text.images?.map(\.status) == [.pending, .pending])
            #expect(text.identity?.mmproj == "tiny-mmproj-f16.gguf")

            let row = try #require(try await ClinicalSafetyTests.worklist(service, token: nurse).first)
            let detail = try await ClinicalSafetyTests.assessment(service, id: row.assessmentID, token: nurse)
            #expect(detail.phase == "vision")
            let model = try #require(detail.model)
            #expect(model.status == .scored)
            let images = try #require(model.images)
            #expect(images.map(\.index) == [0, 1])
            #expect(images.map(\.sha256) == detail.images.map(\.sha256))
            #expect(images[0].status == .analysed)
            #expect(images[1].status == .notAnalysed)
            #expect(images[1].reason?.contains("truncated or corrupt") == true)
            #expect(detail.imagesNote?.hasPrefix("2 images: 1 analysed; image 2 not analysed: ") == true)
            // The image's soft tokens were in the prompt: the model's distribution moved.
            #expect(model.rawDistribution != text.rawDistribution)
            #expect(try await service.database.count("audit_log", where: "action = 'assessment.model'") == 2)
        }
    }

    @Test("a broken vision tower degrades to text: ready says why, and each image is listed as not analysed")
    func brokenVisionTowerDegradesToText() async throws {
        // The text model's file is no vision tower.
        try await LiveService.run(environment: ["EDTRIAGE_MODEL_PATH": TestModel.path,
                                                "EDTRIAGE_MODEL_MMPROJ": TestModel.path,
                                                "EDTRIAGE_MODEL_RATIONALE_MAX_TOKENS": "0"]) { service in
            let readiness = try await Self.readiness(service)
            #expect(readiness["status"] == "degraded")
            #expect(readiness["vision"]?.hasPrefix("unavailable: vision model gemma-3-270m-q4_k_m.gguf unavailable: ") == true)
            #expect(readiness["reason"]?.hasPrefix("images not read: ") == true)
            let nurse = try await service.token(.nurse, actor: "rn-vision")
            let json = Self.woundCheck("wound-\(UUID().uuidString.prefix(6))", images: [("image/png", try Self.image("wide-60x30.png"))])
            #expect(try await service.send("POST", "v1/arrivals", token: nurse, json: json).status == 202)
            try await eventually(timeout: .seconds(60)) {
                try await service.database.count("model_jobs", where: "state = 'done'") == 1
            }
            let model = try await Self.modelColumn(service, phase: "model")
            #expect(model.status == .scored)
            #expect(model.images?.map(\.status) == [.notAnalysed])
            #expect(model.images?.first?.reason == readiness["vision"].map { String($0.dropFirst("unavailable: ".count)) })
            #expect(try await service.database.count("assessments", where: "phase = 'vision'") == 0)
        }
    }
}
