import Foundation
import Logging
import ServiceLifecycle
import TriageCore
import TriageStore

/// Scores queued arrivals: waits for a NOTIFY (or the poll interval), claims a batch, re-validates
/// and scores each arrival, and commits the batch's assessments with their board changes in one transaction.
///
/// Failures retry with backoff, then go to the dead letter; input that fails validation goes there at
/// once. On graceful shutdown it stops claiming, finishes the arrivals already being scored and gives
/// back the claimed ones it has not started. Logs carry arrival ids only, never patient data.
public struct TriageWorker: Service {
    let queue: any ArrivalQueue
    let scoring: any ArrivalScoring
    let validator: ArrivalValidator
    let configuration: WorkerConfiguration
    /// Where the LISTEN connection goes; nil disables it (polling only).
    let listenURL: DatabaseURL?
    let logger: Logger
    let metrics = WorkerMetrics()
    /// The model phase, when a model is configured and loaded.
    let modelLane: ModelLane?
    /// Rung after each rules assessment and on every poll tick: wakes the model phase.
    private let modelDoorbell = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))

    /// The channel the arrivals insert/requeue trigger notifies (Migrations/0002).
    static let arrivalsChannel = "edtriage_arrivals"

    public init(queue: any ArrivalQueue, scoring: any ArrivalScoring = RulesPhase(),
                validator: ArrivalValidator = ArrivalValidator(), configuration: WorkerConfiguration,
                listenURL: DatabaseURL?, logger: Logger,
                modelPhase: (queue: any ModelPhaseQueue, scoring: any ModelPhase)? = nil) {
        self.queue = queue
        self.scoring = scoring
        self.validator = validator
        self.configuration = configuration
        self.listenURL = listenURL
        self.logger = logger
        modelLane = modelPhase.map {
            ModelLane(queue: $0.queue, phase: $0.scoring, configuration: configuration, logger: logger)
        }
    }

    public func run() async throws {
        let (wakeups, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { lanes in
            // On graceful shutdown the model lane stops the job it is scoring and gives back every claimed one;
            // only the wake-up sources are cancelled.
            if let modelLane {
                lanes.addTask {
                    for await _ in modelDoorbell.stream { await modelLane.drain(metrics: metrics) }
                }
            }
            await withTaskGroup(of: Void.self) { wakeupSources in
                if let listenURL {
                    let listener = NotificationListener(
                        url: listenURL, channel: Self.arrivalsChannel, reconnectDelay: configuration.reconnectDelay,
                        maxReconnectDelay: configuration.maxReconnectDelay, logger: logger)
                    wakeupSources.addTask { await listener.run { doorbell.yield() } }
                }
                wakeupSources.addTask { await pollTicker(doorbell) }
                if modelLane != nil {
                    // The lane reports itself on every ring: often enough for the board, whatever the poll interval.
                    wakeupSources.addTask { await ring(modelDoorbell.continuation, every: ModelLane.reportInterval) }
                }
                await withGracefulShutdownHandler {
                    for await _ in wakeups {
                        await drainQueue()
                    }
                } onGracefulShutdown: {
                    doorbell.finish()
                    modelDoorbell.continuation.finish()
                }
                wakeupSources.cancelAll()
            }
        }
        await modelLane?.stop()
        logger.info("worker stopped")
    }

    private func ring(_ doorbell: AsyncStream<Void>.Continuation, every interval: Duration) async {
        while !Task.isCancelled {
            doorbell.yield()
            try? await Task.sleep(for: interval)
        }
    }

    /// Rings the doorbell every poll interval (the fallback for lost notifications and for retries
    /// whose backoff has passed) and refreshes the queue-depth gauges.
    private func pollTicker(_ doorbell: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled {
            doorbell.yield()
            modelDoorbell.continuation.yield()
            if let depth = try? await queue.queueDepth() { metrics.record(depth) }
            try? await Task.sleep(for: configuration.pollInterval)
        }
    }

    /// Claims and scores batches until the queue has nothing ready or shutdown begins.
    private func drainQueue() async {
        while !Task.isShuttingDownGracefully {
            let claims: [ClaimedArrival]
            do {
                // Called off at shutdown: with the database down, a claim waits for a connection until the pool
                // gives up, about a minute, past the 30 s a Kubernetes pod gets to stop. A claim that did commit
                // is taken over by another worker when its lease expires.
                claims = try await cancelWhenGracefulShutdown {
                    try await metrics.claimLatency.time {
                        try await queue.claim(limit: configuration.batchSize, lease: configuration.lease,
                                              maxAttempts: configuration.retry.maxAttempts)
                    }
                }
            } catch {
                if !Task.isShuttingDownGracefully {
                    logger.error("claim failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                }
                return
            }
            if claims.isEmpty { return }
            await processBatch(claims)
        }
    }

    /// Scores the batch with at most `concurrency` arrivals at a time, then commits every scored one together.
    private func processBatch(_ claims: [ClaimedArrival]) async {
        let scored = await withTaskGroup(of: ScoredArrival?.self) { group in
            var pending = claims[...]
            var running = 0
            var scored: [ScoredArrival] = []
            while let claim = pending.popFirst() {
                if running == configuration.concurrency, let done = await group.next() {
                    running -= 1
                    if let done { scored.append(done) }
                }
                group.addTask { await score(claim) }
                running += 1
            }
            for await done in group { if let done { scored.append(done) } }
            return scored
        }
        await commit(scored)
    }

    /// One claimed arrival scored; nil when it was given back, dead-lettered or its failure recorded instead.
    private func score(_ claim: ClaimedArrival) async -> ScoredArrival? {
        let logger = logger(for: claim)
        if Task.isShuttingDownGracefully {
            await giveBack(claim, logger: logger)
            return nil
        }
        do {
            switch Self.revalidate(claim, with: validator) {
            case .success(let presentation):
                let draft = try await metrics.scoringLatency.time { try await scoring.score(presentation) }
                return ScoredArrival(claim: claim, presentation: presentation, draft: draft)
            case .failure(let rejection):
                try await queue.deadLetter(claim, reason: rejection.reason)
                metrics.deadLetters.increment()
                logger.warning("arrival rejected by validation", metadata: ["field": "\(rejection.field)"])
            }
        } catch let error as QueueError {
            logger.info("claim lost before commit", metadata: ["reason": "\(error)"])
        } catch {
            await recordFailure(claim, error: error, logger: logger)
        }
        return nil
    }

    /// Commits the scored arrivals in one transaction; each outcome is recorded on the queue.
    private func commit(_ scored: [ScoredArrival]) async {
        guard !scored.isEmpty else { return }
        let results = await queue.complete(scored)
        for (item, result) in zip(scored, results) {
            let logger = logger(for: item.claim)
            switch result {
            case .success:
                metrics.assessmentWritten(department: item.claim.department)
                logger.debug("assessment written", metadata: ["level": "\(item.draft.proposedLevel.rawValue)"])
            case .failure(let error as QueueError):
                // The claim was lost (lease reclaimed, or new vitals started a new round): not ours to record.
                logger.info("claim lost before commit", metadata: ["reason": "\(error)"])
            case .failure(let error):
                await recordFailure(item.claim, error: error, logger: logger)
            }
        }
        modelDoorbell.continuation.yield()
    }

    private func logger(for claim: ClaimedArrival) -> Logger {
        var logger = logger
        logger[metadataKey: "arrival_id"] = "\(claim.arrivalID)"
        logger[metadataKey: "attempt"] = "\(claim.attempt)"
        return logger
    }

    /// Why a stored arrival can never be scored; its text names a field, never a value.
    struct Rejection: Error {
        var field: String
        var reason: String
    }

    /// Applies the validation producers apply before inserting, since plain-SQL producers skip it.
    static func revalidate(_ claim: ClaimedArrival, with validator: ArrivalValidator)
        -> Result<ClinicalPresentation, Rejection>
    {
        var submission: ArrivalSubmission
        do {
            submission = try claim.submission()
        } catch let error as DecodingError {
            let field = Self.path(of: error)
            return .failure(Rejection(field: field, reason: "invalid payload at \(field): \(Self.kind(of: error))"))
        } catch {
            return .failure(Rejection(field: "payload", reason: "invalid payload"))
        }
        do {
            _ = try validator.validate(&submission)
        } catch {
            return .failure(Rejection(field: error.field, reason: "invalid \(error.field): \(error.message)"))
        }
        return .success(submission.presentation)
    }

    private func recordFailure(_ claim: ClaimedArrival, error: any Error, logger: Logger) async {
        let reason = "scoring failed: \(String(reflecting: type(of: error)))"
        do {
            switch try await queue.fail(claim, reason: reason, policy: configuration.retry) {
            case .retryScheduled(let delay):
                metrics.retries.increment()
                logger.warning("scoring failed; will retry", metadata: ["retry_in": "\(delay)"])
            case .deadLettered:
                metrics.deadLetters.increment()
                logger.error("scoring failed on the last attempt; moved to the dead letter")
            }
        } catch {
            // The lease will expire and the arrival be reclaimed: nothing is lost.
            logger.error("could not record a failure", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }

    private func giveBack(_ claim: ClaimedArrival, logger: Logger) async {
        do {
            try await queue.release(claim)
        } catch {
            logger.warning("could not release a claim; its lease will expire",
                           metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// The JSON path of a decoding error, e.g. `vitals.hr` (keys only: no values).
    static func path(of error: DecodingError) -> String {
        let context: DecodingError.Context? = switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
             .dataCorrupted(let context): context
        @unknown default: nil
        }
        var keys = context?.codingPath.map(\.stringValue) ?? []
        if case .keyNotFound(let key, _) = error { keys.append(key.stringValue) }
        return keys.isEmpty ? "payload" : keys.joined(separator: ".")
    }

    static func kind(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch: "wrong type"
        case .valueNotFound: "missing value"
        case .keyNotFound: "missing field"
        case .dataCorrupted: "malformed value"
        @unknown default: "undecodable"
        }
    }
}
