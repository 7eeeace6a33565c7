import ComputeThreadTesting
import Testing
import TriageCore

@Suite(.onComputeThread) struct ESILevelTests {
    @Test func moreUrgentSortsFirst() {
        #expect(ESILevel.resuscitation < .emergent)
        #expect(min(ESILevel.urgent, .emergent) == .emergent)
        #expect(ESILevel.nonUrgent.isMoreUrgent(than: .lessUrgent) == false)
    }
}
