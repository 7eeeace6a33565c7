import Foundation
import Logging
import ServiceLifecycle
import TriageCore
import TriageStore

/// Runs the model phase as claimed work: reports itself as a lane, makes the model ready (probing a
/// model server that is down with backoff), claims due model jobs and scores them one at a time.
///
/// A failing job is retried with backoff while the others go on; after the last attempt its model
/// assessment is written `unavailable` with the reason, so the record says what is true. Its work list
/// is the database, so a restart loses nothing and no two processes score the same job; on graceful
/// shutdown the job being scored is stopped and given back with its attempt unspent.
actor ModelLane {
    let queue: any ModelPhaseQueue
    let phase: any ModelPhase
    let configuration: WorkerConfiguration
    let laneID = UUID()
    /// The longest time between two reports of the lane; the store takes a lane silent for three of them
    /// to have stopped (`PostgresTriageStore.modelLaneLifetime`).
    static let reportInterval: Duration = .seconds(10)
    let logger: Logger
    /// A number in 0…1 for the retry delays' jitter (injected for tests).
    let jitter: @Sendable () -> Double
    private let rules = TriageRules()
    /// While the model cannot answer: why, how often preparing it has failed, and when to try again.
    private var notReady: (reason: String, failures: Int, retryAt: ContinuousClock.Instant)?

    init(queue: any ModelPhaseQueue, phase: any ModelPhase, configuration: WorkerConfiguration, logger: Logger,
         jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.queue = queue
        self.phase = phase
        self.configuration = configuration
        self.logger = logger
        self.jitter = jitter
    }

    /// Reports the lane, then scores due jobs until none is left or shutdown begins.
    func drain(metrics: WorkerMetrics) async {
        let ready = await prepareModel()
        await report(available: ready)
        guard ready else { return }
        while !Task.isShuttingDownGracefully {
            let job: ModelJob?
            do {
                // One at a time: scores run one after another here, and a job claimed early would wait
                // in this lane (its lease running out) while another lane could be scoring it.
                job = try await queue.claimModelJobs(limit: 1, lease: configuration.lease).first
            } catch {
                logger.error("claiming model jobs failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                return
            }
            guard let job else { return }
            await score(job, metrics: metrics)
        }
    }

    /// Takes the lane off the list of running models (graceful shutdown).
    func stop() async {
        do {
            try await queue.removeModelLane(laneID)
        } catch {
            logger.warning("could not remove the model lane; it expires",
                           metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// True when the model can answer; otherwise tries again no sooner than the backoff allows.
    private func prepareModel() async -> Bool {
        if let notReady, ContinuousClock.now < notReady.retryAt { return false }
        do {
            try await phase.prepare()
            if notReady != nil { logger.info("model ready again") }
            notReady = nil
            return true
        } catch {
            let failures = (notReady?.failures ?? 0) + 1
            let delay = configuration.retry.delay(afterAttempt: failures, jitter: jitter())
            notReady = (ModelScorer.reason(error), failures, ContinuousClock.now + delay)
            logger.warning("model not ready; the rules' levels stand", metadata: [
                "reason": "\(ModelScorer.reason(error))", "retry_in": "\(delay)"])
            return false
        }
    }

    private func report(available: Bool) async {
        let status = ModelLaneStatus(laneID: laneID, model: phase.modelName, available: available,
                                     reason: notReady?.reason)
        do {
            try await queue.reportModelLane(status)
        } catch {
            logger.warning("could not report the model lane", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// One job: the model's assessment, a retry after a transient failure, or `unavailable` after the last attempt.
    private func score(_ job: ModelJob, metrics: WorkerMetrics) async {
        var logger = logger
        logger[metadataKey: "arrival_id"] = "\(job.arrivalID)"
        logger[metadataKey: "attempt"] = "\(job.attempt)"
        let draft: AssessmentDraft
        if job.attempt > configuration.retry.maxAttempts {
            // A process died while scoring it on its last attempt: a poison job is not scored again.
            draft = await lastDraft(job, reason: "the model did not finish in \(configuration.retry.maxAttempts) attempts")
        } else {
            do {
                // A model score can take longer than a shutdown may wait: it is stopped and the job given back.
                draft = try await cancelWhenGracefulShutdown { [phase] in
                    try await metrics.modelLatency.time {
                        try await phase.score(job.presentation, images: job.images, reading: job.stage == .images ? .now : .later)
                    }
                }
            } catch {
                if Task.isShuttingDownGracefully {
                    logger.info("model job given back at shutdown")
                    await giveBack(job)
                } else {
                    await recordFailure(job, reason: ModelScorer.reason(error), metrics: metrics, logger: logger)
                }
                return
            }
        }
        await commit(job, draft, next: nextStage(after: job, draft), metrics: metrics, logger: logger)
    }

    /// The images stage after a scored text stage, when the arrival has images and the model reads them.
    private func nextStage(after job: ModelJob, _ draft: AssessmentDraft) -> ModelJob.Stage? {
        job.stage == .text && !job.images.isEmpty && phase.imagesUnreadableReason == nil
            && draft.model?.status == .scored ? .images : nil
    }

    private func recordFailure(_ job: ModelJob, reason: String, metrics: WorkerMetrics, logger: Logger) async {
        guard job.attempt < configuration.retry.maxAttempts else {
            logger.error("model failed on the last attempt", metadata: ["reason": "\(reason)", "stage": "\(job.stage.rawValue)"])
            await commit(job, await lastDraft(job, reason: reason), metrics: metrics, logger: logger)
            return
        }
        let delay = configuration.retry.delay(afterAttempt: job.attempt, jitter: jitter())
        do {
            try await queue.retryModelJob(job, reason: reason, after: delay)
            metrics.modelRetries.increment()
            logger.warning("model failed; will retry", metadata: ["reason": "\(reason)", "retry_in": "\(delay)"])
        } catch {
            // The lease expires and the job is claimed again: nothing is lost.
            logger.error("could not record a model failure", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }

    private func commit(_ job: ModelJob, _ draft: AssessmentDraft, next: ModelJob.Stage? = nil, metrics: WorkerMetrics,
                        logger: Logger) async {
        do {
            switch try await queue.completeModelJob(job, draft: draft, next: next) {
            case .written:
                metrics.modelAssessments.increment()
                logger.debug("model assessment written", metadata: [
                    "level": "\(draft.proposedLevel.rawValue)", "model": "\(draft.model?.status.rawValue ?? "none")"])
            case .dropped:
                logger.info("model assessment dropped: the arrival moved on")
            }
        } catch let error as QueueError {
            logger.info("model job lost before commit", metadata: ["reason": "\(error)"])
        } catch {
            logger.error("could not write the model assessment; its lease expires",
                         metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// What a job out of attempts records. The images stage gives up on the images only: the text score
    /// is written again with each image listed not analysed and why, so the model's view on the board
    /// stays; if even that fails, and for the text stage, the model is recorded unavailable.
    private func lastDraft(_ job: ModelJob, reason: String) async -> AssessmentDraft {
        guard job.stage == .images else { return unavailable(job, reason: reason) }
        do {
            return try await phase.score(job.presentation, images: job.images,
                                         reading: .abandoned(reason: "the model did not finish reading the images: \(reason)"))
        } catch {
            return unavailable(job, reason: reason)
        }
    }

    /// The rules' assessment with the model recorded unavailable and why.
    private func unavailable(_ job: ModelJob, reason: String) -> AssessmentDraft {
        TriagePolicy.rulesPhase(rules.assess(job.presentation), model: .unavailable(reason), inputSHA256: job.inputSHA256)
    }

    private func giveBack(_ job: ModelJob) async {
        do {
            try await queue.releaseModelJob(job)
        } catch {
            logger.warning("could not release a model job; its lease will expire",
                           metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }
}
