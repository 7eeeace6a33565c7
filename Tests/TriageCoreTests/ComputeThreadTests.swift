import ComputeThreadTesting
import Dispatch
import Testing

@Suite(.onComputeThread) struct ComputeThreadTests {
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
