import ComputeThreadTesting
import Dispatch
import Foundation
import Testing

/// Skipped when bench/pool-stalls.sh turns the compute thread off.
@Suite(.onComputeThread, .enabled(if: ComputeThread.executor != nil)) struct ComputeThreadTests {
    @Test func aSynchronousTestRunsOnTheComputeThread() {
        #expect(DispatchQueue.getSpecific(key: QueueExecutor.marker) == true)
    }

    @Test(arguments: [1, 2]) func soDoesEachCaseOfAParameterizedTest(case: Int) {
        #expect(DispatchQueue.getSpecific(key: QueueExecutor.marker) == true, "case \(`case`)")
    }

    @Test func soDoesAnAsynchronousTestAfterASuspension() async throws {
        try await Task.sleep(for: .milliseconds(10))
        #expect(DispatchQueue.getSpecific(key: QueueExecutor.marker) == true)
    }
}

/// The control: without the trait a test runs on the cooperative pool.
@Test func withoutTheTraitATestRunsOnTheCooperativePool() {
    #expect(DispatchQueue.getSpecific(key: QueueExecutor.marker) == nil)
}

/// For bench/pool-stalls.sh only: sleeps 100 ms at a time on the cooperative pool while the other suites run, and
/// reports how late it woke. Skipped unless EDTRIAGE_POOL_PROBE_SECONDS is set.
@Test(.enabled(if: PoolStallProbe.seconds != nil))
func poolStallProbe() async throws {
    let seconds = try #require(PoolStallProbe.seconds)
    let clock = ContinuousClock()
    let start = clock.now
    var lateness: [Duration] = []
    while clock.now - start < .seconds(seconds) {
        let asleep = clock.now
        try await Task.sleep(for: .milliseconds(100))
        lateness.append(clock.now - asleep - .milliseconds(100))
    }
    let worst = lateness.max() ?? .zero
    let overOneSecond = lateness.count { $0 > .seconds(1) }
    let overATenth = lateness.count { $0 > .milliseconds(100) }
    print("pool stall probe: \(lateness.count) wake-ups in \(seconds) s, worst \(worst) late, "
          + "\(overOneSecond) more than 1 s late, \(overATenth) more than 0.1 s")
}

enum PoolStallProbe {
    static let seconds = ProcessInfo.processInfo.environment["EDTRIAGE_POOL_PROBE_SECONDS"].flatMap(Int.init)
}
