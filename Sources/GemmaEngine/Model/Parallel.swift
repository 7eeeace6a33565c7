import CGemmaKernels

/// Splits index ranges across a fixed number of workers.
///
/// Each output element is written by exactly one worker, and its value never depends on
/// which worker computed it, so results are identical for every thread count.
public struct Parallel: Sendable {
    public let threads: Int
    private let pool: WorkerPool?

    public init(threads: Int) {
        self.threads = max(1, threads)
        pool = self.threads > 1 ? WorkerPool(threads: self.threads) : nil
    }

    /// Calls `body` on disjoint subranges covering `0..<count`, each a multiple of `granularity` long
    /// (except the last), from up to `threads` workers at once. The range is cut into
    /// `chunksPerThread` chunks per worker, claimed as workers become free: more than one lets
    /// long compute-bound steps finish together when the OS slows one core; one is best for
    /// short memory-bound steps (generating a token), where every extra chunk costs more than
    /// it balances.
    public func forEachRange(
        _ count: Int, granularity: Int = 1, chunksPerThread: Int = 1, _ body: @Sendable (Range<Int>) -> Void
    ) {
        let units = (count + granularity - 1) / granularity
        let chunks = min(chunksPerThread * threads, units)
        guard chunks > 1, let pool else {
            if count > 0 { body(0..<count) }
            return
        }
        var nextChunk: Int64 = 0
        withUnsafeMutablePointer(to: &nextChunk) { counter in
            nonisolated(unsafe) let counter = counter
            pool.run { _ in
                while case let chunk = Int(gk_fetch_add(counter, 1)), chunk < chunks {
                    let first = units * chunk / chunks * granularity
                    let last = min(count, units * (chunk + 1) / chunks * granularity)
                    if first < last { body(first..<last) }
                }
            }
        }
    }
}

extension Parallel {
    /// Chunks per thread for a step over `tokens` tokens: balanced when prefilling, one when
    /// generating (see `forEachRange`).
    static func chunksPerThread(tokens: Int) -> Int { tokens > 1 ? 4 : 1 }
}

/// Owns a gk_pool: threads that spin briefly between the forward pass's many short steps
/// instead of being woken for each (see pool.c).
private final class WorkerPool: @unchecked Sendable {
    private let pool: OpaquePointer

    init(threads: Int) {
        guard let pool = gk_pool_create(Int32(threads)) else { fatalError("cannot start \(threads) worker threads") }
        self.pool = pool
    }

    deinit { gk_pool_destroy(pool) }

    /// Runs `body(worker)` for every worker index and returns when all have finished.
    func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var job = body
            withUnsafeMutablePointer(to: &job) { context in
                gk_pool_run(pool, { context, worker in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(worker))
                }, context)
            }
        }
    }
}
