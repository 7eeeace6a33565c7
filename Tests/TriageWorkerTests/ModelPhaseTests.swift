import Foundation
import Logging
import ServiceLifecycle
import Testing
import TriageCore
@testable import TriageService
import TriageStore
import TriageStoreTestSupport

@Suite("Two-phase scoring: rules at once, the model's assessment superseding them")
struct ModelPhaseTests {
    static let nurse = AuditContext(actor: "nurse.jones", role: "nurse")

    /// One worker whose rules phase marks `pending`, with `modelPhase` (if any) as its second phase.
    func withWorker<T: Sendable>(
        _ database: TestDatabase, rules: RulesScoringPipeline = RulesScoringPipeline(modelStatus: .pending),
        modelPhase: (any ModelPhase)?, _ body: (PostgresTriageStore) async throws -> T
    ) async throws -> T {
        try await TriageWorkerTests().withWorkers(database, scoring: rules,
                                                  configuration: WorkerConfiguration(pollInterval: .milliseconds(100)),
                                                  listen: false, modelPhase: modelPhase, body)
    }

    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        try await TriageWorkerTests().eventually(.seconds(60), condition)
    }

    /// `count` arrivals scored by the rules with the model phase pending (no model lane ran).
    func rulesAssessedAwaitingTheModel(_ database: TestDatabase, count: Int) async throws {
        try await database.insertArrivals(count: count)
        try await withWorker(database, modelPhase: nil) { _ async throws in
            #expect(try await eventually { try await database.count("worklist") == count })
        }
    }

    func pipeline(threshold: Double) async throws -> ModelScoringPipeline {
        ModelScoringPipeline(scorer: try await BundledModel.scorer(), threshold: threshold)
    }

    @Test("the rules' level is on the board while the model runs; an unchanged level keeps the nurse's confirmation")
    func unchangedLevelKeepsTheDecision() async throws {
        // Threshold 1: the model can never raise, so its assessment supersedes without changing the level.
        let gate = GatedModelPhase(try await pipeline(threshold: 1))
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1)
            try await withWorker(database, modelPhase: gate) { store async throws in
                #expect(try await eventually { try await database.count("worklist") == 1 })
                #expect(try await eventually { gate.startedCount == 1 })
                let rulesRow = try #require(try await store.snapshot().rows.first)
                let rules = try #require(try await store.assessment(id: rulesRow.assessmentID))
                #expect(rules.phase == "rules")
                #expect(rules.model?.status == .pending)
                let receipt = try await store.decide(.confirm, arrivalID: rulesRow.arrivalID,
                                                     expectedVersion: rulesRow.version, context: Self.nurse)
                gate.open()
                #expect(try await eventually { try await database.count("assessments") == 2 })
                let row = try #require(try await store.row(arrivalID: rulesRow.arrivalID))
                let model = try #require(try await store.assessment(id: row.assessmentID))
                #expect(model.phase == "model")
                #expect(model.model?.status == .scored)
                #expect(model.model?.effect != .raised)
                #expect(model.model?.promptVersion == TriagePrompt.version)
                #expect(model.model?.identity?.sha256?.count == 64)
                #expect(row.proposedLevel == rulesRow.proposedLevel)
                #expect(row.state == .confirmed)
                #expect(row.version == receipt.version + 1)
                #expect(try await database.count("audit_log", where: "action = 'assessment.superseded'") == 1)
                #expect(try await store.verifyAudit().isIntact)
            }
        }
    }

    @Test("a model that raises the level sends the row back to awaiting confirmation and says so")
    func raisedLevelNeedsConfirmation() async throws {
        // A tiny threshold: any calibrated mass above the rules' level raises it.
        let gate = GatedModelPhase(try await pipeline(threshold: 0.01))
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1)
            try await withWorker(database, modelPhase: gate) { store async throws in
                #expect(try await eventually { try await database.count("worklist") == 1 })
                let rulesRow = try #require(try await store.snapshot().rows.first)
                _ = try await store.decide(.confirm, arrivalID: rulesRow.arrivalID, expectedVersion: rulesRow.version,
                                           context: Self.nurse)
                gate.open()
                #expect(try await eventually { try await database.count("assessments") == 2 })
                let row = try #require(try await store.row(arrivalID: rulesRow.arrivalID))
                let assessment = try #require(try await store.assessment(id: row.assessmentID))
                let model = try #require(assessment.model)
                let distribution = try #require(model.distribution)
                // Whether it raised follows from the stored distribution alone.
                let raised = distribution.mass(moreUrgentThan: rulesRow.proposedLevel) >= 0.01
                #expect((model.effect == .raised) == raised)
                #expect(assessment.rulesLevel == rulesRow.proposedLevel)
                if raised {
                    #expect(row.proposedLevel < rulesRow.proposedLevel)
                    #expect(row.effectiveLevel == row.proposedLevel)
                    #expect(row.state == .awaitingConfirmation)
                    #expect(assessment.explanation.hasPrefix("Model raised urgency to \(row.proposedLevel)"))
                }
            }
        }
    }

    @Test("a rules assessment left pending by a stopped worker is scored by the model after a restart")
    func pendingModelScoresSurviveARestart() async throws {
        let pipeline = try await pipeline(threshold: 0.5)
        try await TestDatabase.with { database in
            try await rulesAssessedAwaitingTheModel(database, count: 2)
            #expect(try await database.count("assessments", where: "model ->> 'status' = 'pending'") == 2)
            try await withWorker(database, modelPhase: pipeline) { _ async throws in
                #expect(try await eventually { try await database.count("assessments", where: "phase = 'model'") == 2 })
            }
            #expect(try await database.count("worklist w JOIN assessments a ON a.id = w.assessment_id",
                                             where: "a.phase = 'model'") == 2)
        }
    }

    @Test("a model score for a round that new vitals replaced, or for a discharged patient, writes nothing")
    func staleModelScoreIsDropped() async throws {
        let pipeline = try await pipeline(threshold: 0.5)
        try await TestDatabase.with { database in
            try await rulesAssessedAwaitingTheModel(database, count: 2)
            try await database.withStore { store in
                let pending = try await store.pendingModelScores(limit: 10)
                #expect(pending.count == 2)
                try await store.recordVitals(arrivalID: pending[0].arrivalID, vitals: Vitals(heartRate: 130),
                                             context: Self.nurse)
                let row = try #require(try await store.row(arrivalID: pending[1].arrivalID))
                _ = try await store.decide(.discharge(reason: "left"), arrivalID: row.arrivalID,
                                           expectedVersion: row.version, context: Self.nurse)
                #expect(try await store.pendingModelScores(limit: 10).isEmpty)
                for item in pending {
                    #expect(try await store.supersede(item, draft: try await pipeline.score(item.presentation)) == nil)
                }
            }
            #expect(try await database.count("assessments", where: "phase = 'model'") == 0)
        }
    }

    @Test("each round gets at most one model assessment, however often it is written")
    func modelPhaseWrittenOnce() async throws {
        let pipeline = try await pipeline(threshold: 0.5)
        try await TestDatabase.with { database in
            try await rulesAssessedAwaitingTheModel(database, count: 1)
            try await database.withStore { store in
                let pending = try #require(try await store.pendingModelScores(limit: 1).first)
                let draft = try await pipeline.score(pending.presentation)
                #expect(try await store.supersede(pending, draft: draft) != nil)
                #expect(try await store.supersede(pending, draft: draft) == nil)
            }
            #expect(try await database.count("assessments", where: "phase = 'model'") == 1)
        }
    }

    @Test("with the model missing or corrupt, the worker triages on rules alone and records why")
    func degradedWithoutAModel() async throws {
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID()).gguf")
        try Data("GGUF this is not a model".utf8).write(to: corrupt)
        defer { try? FileManager.default.removeItem(at: corrupt) }
        for path in ["/nonexistent/model.gguf", corrupt.path] {
            let configuration = try await ServiceConfiguration.load(file: nil, environment: [
                "EDTRIAGE_AUTH_HS256_SECRET": "edtriage-test-secret-0123456789abcdef", "EDTRIAGE_MODEL_PATH": path,
            ]).model
            let setup = await ScoringSetup.load(configuration, logger: TestDatabase.logger)
            #expect(setup.modelPhase == nil)
            let reason = try #require(setup.degradedReason)
            #expect(reason.hasPrefix("model unavailable: model file "))
            try await TestDatabase.with { database in
                try await database.insertArrivals(count: 1)
                try await withWorker(database, rules: setup.rulesPhase, modelPhase: setup.modelPhase) { store async throws in
                    #expect(try await eventually { try await database.count("worklist") == 1 })
                    let row = try #require(try await store.snapshot().rows.first)
                    let assessment = try #require(try await store.assessment(id: row.assessmentID))
                    #expect(assessment.model?.status == .unavailable)
                    #expect(reason.hasSuffix(try #require(assessment.model?.reason)))
                    #expect(assessment.proposedLevel == assessment.rulesLevel)
                }
            }
        }
    }
}
