import Dispatch
import Foundation
import Testing

/// Runs a suite's tests on one thread kept for synchronous, compute-bound tests, instead of on Swift's
/// cooperative pool.
///
/// Swift Testing runs every test of the process on the cooperative pool, which has one thread per core: two on
/// CI. A synchronous test that computes for seconds (the engine's, which run the model; the rules' over every
/// vignette) holds a pool thread all that time; two at once stopped every other test in the process, and the
/// deadlines of the store's, the service's and the CLI's tests then passed while those were not running at all
/// (a 100 ms sleep woke 34 s late). On a thread of their own, one at a time, such tests leave the pool at least
/// one core.
public struct ComputeThread: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// A scope around each test case, where the test's body runs; none around the suite itself.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? { testCase == nil ? nil : self }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(Self.executor) { try await function() }
    }

    /// The compute thread's executor; nil with `EDTRIAGE_COMPUTE_THREAD=off`, which leaves the work on the pool for
    /// bench/pool-stalls.sh to compare.
    public static let executor: QueueExecutor? =
        ProcessInfo.processInfo.environment["EDTRIAGE_COMPUTE_THREAD"] == "off"
            ? nil : QueueExecutor(label: "edtriage.tests.compute")
}

extension Trait where Self == ComputeThread {
    /// The suite's tests on the compute thread (see `ComputeThread`).
    public static var onComputeThread: Self { Self() }
}

/// Runs tasks' jobs on a serial dispatch queue, whose thread dispatch takes from outside the cooperative pool.
public final class QueueExecutor: TaskExecutor, @unchecked Sendable {
    /// Set on the queue, so that a test can tell that it runs there.
    public static let marker = DispatchSpecificKey<Bool>()
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
        queue.setSpecific(key: Self.marker, value: true)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
