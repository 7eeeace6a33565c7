import Dispatch

/// Splits index ranges across a fixed number of workers.
///
/// Each output element is written by exactly one worker, and its value never depends on
/// which worker computed it, so results are identical for every thread count.
public struct Parallel: Sendable {
    public let threads: Int

    public init(threads: Int) {
        self.threads = max(1, threads)
    }

    /// Calls `body` on disjoint subranges covering `0..<count`, each a multiple of `granularity` long
    /// (except the last), from up to `threads` workers at once.
    public func forEachRange(_ count: Int, granularity: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        let units = (count + granularity - 1) / granularity
        let workers = min(threads, units)
        guard workers > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let first = units * worker / workers * granularity
            let last = min(count, units * (worker + 1) / workers * granularity)
            if first < last { body(first..<last) }
        }
    }
}
