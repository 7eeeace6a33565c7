import Dispatch

/// A serial executor on its own dispatch queue: the model actor's seconds-long inference runs there
/// instead of blocking a thread of Swift's small cooperative pool, which serves HTTP and the queue.
final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label, qos: .userInitiated) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

/// Runs `work` on a dispatch thread and resumes the caller with its result: loading a model reads and hashes
/// the whole file and prefills the prefix (seconds at MedGemma's size), which would otherwise hold one of the
/// cooperative pool's few threads while other services of the process start.
func offTheCooperativePool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Swift.Result(catching: work)) }
    }
}
