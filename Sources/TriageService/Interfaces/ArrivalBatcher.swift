import Metrics
import TriageCore
import TriageStore

/// Commits the arrivals that come in while a commit is under way together, in the next one: a feed sending over
/// many connections then pays one commit (one audit-chain append lock and one disk flush) per batch instead of
/// one per arrival, and each sender still hears back only once its own arrival is committed. A lone arrival is
/// committed at once; nothing waits on a timer.
public actor ArrivalBatcher {
    private let queue: any ArrivalQueue
    /// Most arrivals in one transaction, so that one commit never holds the audit chain for long.
    private let maxBatch: Int
    private var waiting: [(item: ArrivalEnqueue, answer: CheckedContinuation<EnqueueResult, any Error>)] = []
    private var committing = false

    public init(queue: any ArrivalQueue, maxBatch: Int = 64) {
        self.queue = queue
        self.maxBatch = maxBatch
    }

    /// Stores the arrival as `ArrivalQueue.enqueue` does; returns once it is committed.
    public func enqueue(_ item: ArrivalEnqueue) async throws -> EnqueueResult {
        try await withCheckedThrowingContinuation { answer in
            waiting.append((item, answer))
            guard !committing else { return }
            committing = true
            Task { await commitWaiting() }
        }
    }

    private func commitWaiting() async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(maxBatch))
            waiting.removeFirst(batch.count)
            let results = await queue.enqueue(batch: batch.map(\.item))
            for (waiter, result) in zip(batch, results) {
                if case .success(let stored) = result, !stored.isDuplicate {
                    Counter(label: "edtriage_arrivals_accepted_total",
                            dimensions: [("department", waiter.item.submission.storedDepartment)])
                        .increment()
                }
                waiter.answer.resume(with: result)
            }
        }
        committing = false
    }
}
