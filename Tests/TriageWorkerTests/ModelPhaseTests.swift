import Foundation
import Logging
import ServiceLifecycle
import Testing
import TriageCore
@testable import TriageService
import TriageStore
import TriageStoreTestSupport

@Suite("Two-phase scoring: rules at once, the model's assessment following as claimed work")
struct ModelPhaseTests {
    static let nurse = AuditContext(actor: "nurse.jones", role: "nurse")

    /// Workers whose rules phase marks `pending`, with `modelPhase` (if any) as their second phase.
    func withWorker<T: Sendable>(
        _ database: TestDatabase, count: Int = 1, rules: RulesPhase = RulesPhase(modelStatus: .pending),
        modelPhase: (any ModelPhase)?, retry: RetryPolicy = TriageWorkerTests.quickRetry,
        _ body: (PostgresTriageStore) async throws -> T
    ) async throws -> T {
        try await TriageWorkerTests().withWorkers(database, count: count, scoring: rules,
                                                  configuration: WorkerConfiguration(pollInterval: .milliseconds(100),
                                                                                     retry: retry),
                                                  listen: false, modelPhase: modelPhase, body)
    }

    /// The suite's tests share one model and run beside every other suite in CI: a few scores there can take minutes.
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        try await TriageWorkerTests().eventually(.seconds(300), condition)
    }

    /// `count` arrivals scored by the rules with the model phase queued (no model lane ran).
    func rulesAssessedAwaitingTheModel(_ database: TestDatabase, count: Int) async throws {
        try await database.insertArrivals(count: count)
        try await withWorker(database, modelPhase: nil) { _ async throws in
            #expect(try await eventually { try await database.count("worklist") == count })
        }
        #expect(try await database.count("model_jobs", where: "state = 'queued'") == count)
    }

    func phase(threshold: Double) async throws -> CalibratedModelPhase {
        CalibratedModelPhase(scorer: try await BundledModel.scorer(), threshold: threshold)
    }

    @Test("the rules' level is on the board while the model runs; an agreeing model keeps the nurse's confirmation and version")
    func unchangedLevelKeepsTheDecision() async throws {
        // Threshold 1: the model can never raise, so its assessment follows without changing the level.
        let gate = InstrumentedModelPhase(try await phase(threshold: 1))
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1)
            try await withWorker(database, modelPhase: gate) { store async throws in
                #expect(try await eventually { try await database.count("worklist") == 1 })
                #expect(try await eventually { gate.startedCount == 1 })
                let rulesRow = try #require(try await store.snapshot(department: "ed").rows.first)
                #expect(rulesRow.modelStatus == .pending)
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
                #expect(row.modelStatus == .scored)
                #expect(row.proposedLevel == rulesRow.proposedLevel)
                #expect(row.state == .confirmed)
                #expect(row.advisory == nil && row.reviewLevel == nil)
                // Nothing a clinician acts on changed: the version (ETag) stays, so no spurious 412.
                #expect(row.version == receipt.version)
                #expect(model.decisions.map(\.kind) == ["confirm"])
                #expect(try await database.count("audit_log", where: "action = 'assessment.model'") == 1)
                #expect(try await database.count("model_jobs", where: "state = 'done'") == 1)
                #expect(try await store.verifyAudit().isIntact)
            }
        }
    }

    @Test("a raising model moves an unconfirmed row, but never a confirmed one: that gets an advisory and a review alert")
    func raisedLevelFollowsOnlyUnconfirmedRows() async throws {
        // A tiny threshold: any calibrated mass above the rules' level raises it.
        let gate = InstrumentedModelPhase(try await phase(threshold: 0.01))
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 2)
            try await withWorker(database, modelPhase: gate) { store async throws in
                #expect(try await eventually { try await database.count("worklist") == 2 })
                let rows = try await store.snapshot(department: "ed").rows.sorted { $0.arrivalID < $1.arrivalID }
                let (confirmed, unconfirmed) = (rows[0], rows[1])
                let receipt = try await store.decide(.confirm, arrivalID: confirmed.arrivalID,
                                                     expectedVersion: confirmed.version, context: Self.nurse)
                gate.open()
                #expect(try await eventually { try await database.count("assessments", where: "phase = 'model'") == 2 })
                for before in [confirmed, unconfirmed] {
                    let row = try #require(try await store.row(arrivalID: before.arrivalID))
                    let assessment = try #require(try await store.assessment(id: row.assessmentID))
                    let distribution = try #require(assessment.model?.distribution)
                    // Whether it raised follows from the stored distribution alone.
                    let raised = distribution.mass(moreUrgentThan: before.proposedLevel) >= 0.01
                    #expect((assessment.model?.effect == .raised) == raised)
                    #expect(row.proposedLevel == assessment.proposedLevel)
                    if before.arrivalID == confirmed.arrivalID {
                        #expect(row.state == .confirmed)
                        #expect(row.effectiveLevel == confirmed.proposedLevel)
                        #expect(row.decidedBy == "nurse.jones")
                        #expect(row.reviewLevel == (raised ? row.proposedLevel : nil))
                        #expect((row.advisory?.hasPrefix("Model now suggests \(row.proposedLevel) (p = ")) == (raised ? true : nil))
                        #expect(row.version == receipt.version + (raised ? 1 : 0))
                        #expect(assessment.decisions.map(\.kind) == ["confirm"])
                        if raised {
                            // A clinician acknowledges the alert by deciding again.
                            _ = try await store.decide(.override(level: confirmed.proposedLevel, reason: "reviewed"),
                                                       arrivalID: row.arrivalID, expectedVersion: row.version,
                                                       context: Self.nurse)
                            let acknowledged = try #require(try await store.row(arrivalID: row.arrivalID))
                            #expect(acknowledged.reviewLevel == nil && acknowledged.advisory == nil)
                            #expect(acknowledged.state == .overridden)
                        }
                    } else {
                        #expect(row.state == .awaitingConfirmation)
                        #expect(row.effectiveLevel == row.proposedLevel)
                        #expect(row.advisory == nil && row.reviewLevel == nil)
                        if raised { #expect(assessment.explanation.hasPrefix("Model raised urgency to \(row.proposedLevel)")) }
                    }
                }
                #expect(try await store.verifyAudit().isIntact)
            }
        }
    }

    @Test("rules assessments left queued by a stopped worker are scored by the model after a restart")
    func pendingModelScoresSurviveARestart() async throws {
        let phase = try await phase(threshold: 0.5)
        try await TestDatabase.with { database in
            try await rulesAssessedAwaitingTheModel(database, count: 2)
            try await withWorker(database, modelPhase: phase) { _ async throws in
                #expect(try await eventually { try await database.count("assessments", where: "phase = 'model'") == 2 })
            }
            #expect(try await database.count("worklist w JOIN assessments a ON a.id = w.assessment_id",
                                             where: "a.phase = 'model'") == 2)
            #expect(try await database.count("model_jobs", where: "state = 'done'") == 2)
        }
    }

    @Test("a model job for a round that new vitals replaced, or for a discharged patient, is dropped unscored")
    func staleModelJobsAreDropped() async throws {
        let phase = try await phase(threshold: 0.5)
        try await TestDatabase.with { database in
            try await rulesAssessedAwaitingTheModel(database, count: 3)
            try await database.withStore { store in
                // Claimed first, made moot while being scored: nothing is written when it completes.
                let inFlight = try #require(try await store.claimModelJobs(limit: 1, lease: .seconds(60)).first)
                let rows = try await store.snapshot(department: "ed").rows.sorted { ($0.arrivalID == inFlight.arrivalID ? 0 : 1, $0.arrivalID)
                    < ($1.arrivalID == inFlight.arrivalID ? 0 : 1, $1.arrivalID) }
                try await store.recordVitals(arrivalID: inFlight.arrivalID, vitals: Vitals(heartRate: 130),
                                             context: Self.nurse)
                #expect(try await store.completeModelJob(inFlight, draft: try await phase.score(inFlight.presentation))
                    == .dropped)
                // Made moot before being claimed: never handed out.
                try await store.recordVitals(arrivalID: rows[1].arrivalID, vitals: Vitals(heartRate: 125),
                                             context: Self.nurse)
                _ = try await store.decide(.discharge(reason: "left"), arrivalID: rows[2].arrivalID,
                                           expectedVersion: rows[2].version, context: Self.nurse)
                #expect(try await store.claimModelJobs(limit: 10, lease: .seconds(60)).isEmpty)
            }
            #expect(try await database.count("assessments", where: "phase = 'model'") == 0)
            #expect(try await database.count("model_jobs", where: "state = 'dropped'") == 3)
        }
    }

    @Test("a job is written once: a second commit of the same claim is refused, a second claim finds nothing")
    func modelPhaseWrittenOnce() async throws {
        let phase = try await phase(threshold: 0.5)
        try await TestDatabase.with { database in
            try await rulesAssessedAwaitingTheModel(database, count: 1)
            try await database.withStore { store in
                let job = try #require(try await store.claimModelJobs(limit: 5, lease: .seconds(60)).first)
                #expect(try await store.claimModelJobs(limit: 5, lease: .seconds(60)).isEmpty)
                let draft = try await phase.score(job.presentation)
                guard case .written = try await store.completeModelJob(job, draft: draft) else {
                    Issue.record("the model assessment was not written")
                    return
                }
                await #expect(throws: QueueError.self) { try await store.completeModelJob(job, draft: draft) }
                #expect(try await store.claimModelJobs(limit: 5, lease: .seconds(60)).isEmpty)
            }
            #expect(try await database.count("assessments", where: "phase = 'model'") == 1)
        }
    }

    @Test("two workers with the model never score the same job, and every job is scored")
    func twoWorkersNeverScoreTheSameJob() async throws {
        let counting = InstrumentedModelPhase(try await phase(threshold: 0.5), open: true)
        try await TestDatabase.with { database in
            // Distinct presentations, so the count per presentation is the count per job.
            try await database.ownerQuery("""
                INSERT INTO arrivals (source, external_id, patient_ref, payload)
                SELECT 'sql', 'two-' || n, 'MRN-' || n,
                       jsonb_build_object('age', jsonb_build_object('years', 20 + n), 'sex', 'F',
                                          'arrival_mode', 'walk-in', 'chief_complaint', 'cough')
                FROM generate_series(1, 12) AS n
                """)
            try await withWorker(database, count: 2, modelPhase: counting) { _ async throws in
                // Twelve model scores, one after another, on a machine that may be running every other suite.
                #expect(try await TriageWorkerTests().eventually(.seconds(300)) {
                    try await database.count("assessments", where: "phase = 'model'") == 12
                })
            }
            #expect(counting.callsPerPresentation.count == 12)
            #expect(counting.callsPerPresentation.allSatisfy { $0 == 1 })
            #expect(try await database.count("model_jobs", where: "state = 'done' AND attempts = 1") == 12)
        }
    }

    @Test("transient model failures are retried without holding up other jobs; the last attempt records unavailable")
    func transientFailuresAreRetried() async throws {
        let model = try await phase(threshold: 0.5)
        try await TestDatabase.with { database in
            // Fails the first two calls: the first job is retried and scored, the others are not held up.
            let flaky = InstrumentedModelPhase(model, open: true, failures: 2)
            try await rulesAssessedAwaitingTheModel(database, count: 3)
            try await withWorker(database, modelPhase: flaky) { _ async throws in
                #expect(try await eventually { try await database.count("model_jobs", where: "state = 'done'") == 3 })
            }
            #expect(try await database.count("assessments", where: "phase = 'model' AND model ->> 'status' = 'scored'") == 3)
            #expect(try await database.count("model_jobs", where: "attempts > 1") >= 1)
        }
        try await TestDatabase.with { database in
            // Always failing: after the configured attempts the model's view is recorded unavailable, with the reason.
            let broken = InstrumentedModelPhase(model, open: true, failures: .max)
            try await rulesAssessedAwaitingTheModel(database, count: 2)
            try await withWorker(database, modelPhase: broken) { store async throws in
                #expect(try await eventually { try await database.count("model_jobs", where: "state = 'unavailable'") == 2 })
                let row = try #require(try await store.snapshot(department: "ed").rows.first)
                #expect(row.modelStatus == .unavailable)
                let assessment = try #require(try await store.assessment(id: row.assessmentID))
                #expect(assessment.phase == "model")
                #expect(assessment.proposedLevel == assessment.rulesLevel)
                #expect(assessment.model?.reason?.contains("InstrumentedModelPhase.Timeout") == true)
            }
            #expect(try await database.count("model_jobs", where: "attempts = \(TriageWorkerTests.quickRetry.maxAttempts)") == 2)
            #expect(broken.startedCount == 2 * TriageWorkerTests.quickRetry.maxAttempts)
        }
    }

    /// A stored image for every arrival (its bytes are never decoded: these phases read no images).
    static func attachImage(_ database: TestDatabase) async throws {
        _ = try await database.ownerQuery("""
            INSERT INTO arrival_images (arrival_id, position, content_type, data, sha256, byte_size)
            SELECT id, 0, 'image/png', '\\x89504e47'::bytea, encode(sha256('\\x89504e47'::bytea), 'hex'), 4 FROM arrivals
            """)
    }

    @Test("a clinician's decision made between the text score and the score with the images stands")
    func decisionBetweenTextAndImagesStands() async throws {
        let held = InstrumentedModelPhase(try await phase(threshold: 0.5), open: true, images: .held)
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1)
            try await Self.attachImage(database)
            try await withWorker(database, modelPhase: held) { store async throws in
                #expect(try await eventually { held.imageReadsStarted == 1 })
                let text = try #require(try await store.snapshot(department: "ed").rows.first)
                // One level less urgent than the text score (ESI 5 stays 5), with the reason.
                let level = try #require(ESILevel(rawValue: min(5, text.effectiveLevel.rawValue + 1)))
                let receipt = try await store.decide(.override(level: level, reason: "seen at the desk"),
                                                     arrivalID: text.arrivalID, expectedVersion: text.version,
                                                     context: Self.nurse)
                held.openImages()
                #expect(try await eventually { try await database.count("assessments", where: "phase = 'vision'") == 1 })
                let row = try #require(try await store.row(arrivalID: text.arrivalID))
                let assessment = try #require(try await store.assessment(id: row.assessmentID))
                #expect(assessment.phase == "vision")
                #expect(row.state == .overridden)
                #expect(row.effectiveLevel == level)
                #expect(row.decidedBy == "nurse.jones")
                // The score with the images is as urgent as the text one: more urgent than the decision
                // whenever the decision lowered the level, and then it asks for a review. Its proposal is the
                // one the decision was made on, so the row's version stays (no 412 for a nurse mid-click).
                let lowered = level != text.effectiveLevel
                #expect(assessment.proposedLevel == text.proposedLevel)
                #expect(row.reviewLevel == (lowered ? assessment.proposedLevel : nil))
                #expect(row.version == receipt.version)
                #expect(assessment.decisions.map(\.kind) == ["override"])
                #expect(try await store.verifyAudit().isIntact)
            }
        }
    }

    @Test("an images stage that keeps failing gives up on the images only: the text score stays, each image listed why")
    func failingImagesStageKeepsTheTextScore() async throws {
        let model = try await phase(threshold: 0.5)
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1)
            try await Self.attachImage(database)
            let failing = InstrumentedModelPhase(model, open: true, images: .failing)
            try await withWorker(database, modelPhase: failing) { store async throws in
                #expect(try await eventually { try await database.count("model_jobs", where: "state = 'done'") == 1 })
                let row = try #require(try await store.snapshot(department: "ed").rows.first)
                #expect(row.modelStatus == .scored)
                let assessment = try #require(try await store.assessment(id: row.assessmentID))
                #expect(assessment.phase == "vision")
                #expect(assessment.model?.status == .scored)
                #expect(assessment.model?.images?.map(\.status) == [.notAnalysed])
                #expect(assessment.model?.images?.first?.reason?
                    .hasPrefix("the model did not finish reading the images: ") == true)
            }
            // The text score was written again, not replaced by the rules' level with the model unavailable.
            #expect(try await database.count("assessments", where: "model ->> 'status' = 'unavailable'") == 0)
            let scores = try await database.ownerQuery("""
                SELECT esi_level::text || ' ' || (model -> 'raw_distribution')::text FROM assessments
                WHERE phase IN ('model', 'vision')
                """)
            #expect(scores.count == 2 && Set(scores).count == 1)
            #expect(failing.startedCount == 1 + TriageWorkerTests.quickRetry.maxAttempts + 1)
        }
    }

    @Test("graceful shutdown stops the model job being scored and gives it back with its attempt unspent")
    func shutdownGivesTheJobInFlightBack() async throws {
        // Held closed: the score is in flight when shutdown begins. Opened 20 s later only so that a lane
        // that waited for it ends, and is caught by the time it took and the job it then wrote.
        let held = InstrumentedModelPhase(try await phase(threshold: 0.5))
        try await TestDatabase.with { database in
            try await rulesAssessedAwaitingTheModel(database, count: 1)
            let shutdownStarted = try await withWorker(database, modelPhase: held) { _ async throws in
                #expect(try await eventually { held.startedCount == 1 })
                Task {
                    try await Task.sleep(for: .seconds(20))
                    held.open()
                }
                return ContinuousClock.now
            }
            #expect(ContinuousClock.now - shutdownStarted < .seconds(10))
            #expect(try await database.count("model_jobs", where: "state = 'queued' AND attempts = 0") == 1)
            #expect(try await database.count("assessments", where: "phase = 'model'") == 0)
        }
    }

    @Test("with no process running a model the board says so instead of showing pending forever")
    func noModelRunningIsShownAsWaiting() async throws {
        try await TestDatabase.with { database in
            try await rulesAssessedAwaitingTheModel(database, count: 1)
            try await database.withStore { store in
                let row = try #require(try await store.snapshot(department: "ed").rows.first)
                #expect(row.modelStatus == .waiting)
                #expect(row.modelNote == "no running process has a model; the rules' level stands")
                let lane = ModelLaneStatus(laneID: UUID(), model: "medgemma", available: false,
                                           reason: "the model server answered 503")
                try await store.reportModelLane(lane)
                let down = try #require(try await store.snapshot(department: "ed").rows.first)
                #expect(down.modelStatus == .waiting)
                #expect(down.modelNote?.contains("the model server answered 503") == true)
                var up = lane
                up.available = true
                try await store.reportModelLane(up)
                #expect(try await store.snapshot(department: "ed").rows.first?.modelStatus == .pending)
                try await store.removeModelLane(lane.laneID)
                #expect(try await store.snapshot(department: "ed").rows.first?.modelStatus == .waiting)
            }
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
                    let row = try #require(try await store.snapshot(department: "ed").rows.first)
                    #expect(row.modelStatus == .unavailable)
                    let assessment = try #require(try await store.assessment(id: row.assessmentID))
                    #expect(assessment.model?.status == .unavailable)
                    #expect(reason.hasSuffix(try #require(assessment.model?.reason)))
                    #expect(assessment.proposedLevel == assessment.rulesLevel)
                }
            }
        }
    }
}
