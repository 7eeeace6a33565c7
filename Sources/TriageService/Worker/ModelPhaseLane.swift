import Logging
import TriageCore
import TriageStore

/// The worker's second phase: takes rules assessments whose model status is pending, scores them
/// with the model and writes the superseding assessment. It runs beside the queue loop, so the
/// board never waits on the model; its work list is the database, so a restart loses nothing.
struct ModelPhaseLane: Sendable {
    let queue: any ModelPhaseQueue
    let scoring: any ModelPhase
    let batchSize: Int
    let logger: Logger

    /// Scores pending arrivals until none is left, shutdown begins, or a round fails (the next
    /// wake-up retries, so a failing database is not hammered).
    func drain(metrics: WorkerMetrics) async {
        while !Task.isShuttingDownGracefully {
            let pending: [PendingModelScore]
            do {
                pending = try await queue.pendingModelScores(limit: batchSize)
            } catch {
                logger.error("reading pending model scores failed",
                             metadata: ["error": "\(String(reflecting: type(of: error)))"])
                return
            }
            if pending.isEmpty { return }
            for item in pending {
                guard !Task.isShuttingDownGracefully else { return }
                guard await score(item, metrics: metrics) else { return }
            }
        }
    }

    /// One model score; false when it could not be written (left pending for the next round).
    private func score(_ item: PendingModelScore, metrics: WorkerMetrics) async -> Bool {
        var logger = logger
        logger[metadataKey: "arrival_id"] = "\(item.arrivalID)"
        do {
            let draft = try await metrics.modelLatency.time { try await scoring.score(item.presentation) }
            if try await queue.supersede(item, draft: draft) != nil {
                metrics.modelAssessments.increment()
                logger.debug("model assessment written", metadata: [
                    "level": "\(draft.proposedLevel.rawValue)", "model": "\(draft.model?.status.rawValue ?? "none")"])
            } else {
                logger.info("model assessment dropped: the arrival moved on")
            }
            return true
        } catch {
            logger.error("model phase failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return false
        }
    }
}
