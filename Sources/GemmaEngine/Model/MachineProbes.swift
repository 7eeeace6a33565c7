import CGemmaKernels
import Dispatch

/// A rough read-bandwidth estimate: `threads` workers sum disjoint slices of a 1 GiB buffer
/// (large enough to defeat every cache) with a vectorized C loop; the best of three passes
/// counts.
public enum MemoryBandwidth {
    /// Bytes per second.
    public static func measure(threads: Int) -> Double {
        let count = 1 << 27  // 1 GiB of UInt64
        let buffer = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: count)
        buffer.initialize(repeating: 1)
        defer { buffer.deallocate() }
        nonisolated(unsafe) let shared = buffer
        nonisolated(unsafe) let sums = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads)
        defer { sums.deallocate() }
        let best = (0..<3).map { _ in
            probeSeconds {
                DispatchQueue.concurrentPerform(iterations: threads) { worker in
                    let first = count * worker / threads, last = count * (worker + 1) / threads
                    sums[worker] = gk_sum_words(shared.baseAddress! + first, Int64(last - first))
                }
            }
        }.min()!
        // Checking the sum keeps the reads from being optimized away.
        precondition(sums.reduce(0, &+) == UInt64(count), "bandwidth buffer sum")
        return Double(count * MemoryLayout<UInt64>.stride) / best
    }
}

/// The float throughput the products are measured against: `threads` workers run independent
/// multiply-add chains at once (gk_fma_probe), so clock boosts and what a hypervisor grants count as
/// they do for the products; the best of three passes counts.
public enum FloatThroughput {
    /// Floating-point operations per second (a multiply-add counts two).
    public static func measure(threads: Int) -> Double {
        let iterations = 20_000_000
        let best = (0..<3).map { _ in
            probeSeconds {
                DispatchQueue.concurrentPerform(iterations: threads) { _ in _ = gk_fma_probe(Int64(iterations)) }
            }
        }.min()!
        return Double(threads * iterations * 8 * 16 * 2) / best
    }
}

private func probeSeconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
