import Metrics
import TriageStore

/// The worker's swift-metrics instruments (exported by whatever backend the service bootstraps).
struct WorkerMetrics: Sendable {
    let queueReady = Gauge(label: "edtriage_queue_depth", dimensions: [("state", "ready")])
    let queueProcessing = Gauge(label: "edtriage_queue_depth", dimensions: [("state", "processing")])
    let queueFailed = Gauge(label: "edtriage_queue_depth", dimensions: [("state", "failed")])
    let claimLatency = Timer(label: "edtriage_claim_duration_seconds")
    let scoringLatency = Timer(label: "edtriage_scoring_duration_seconds")
    let modelLatency = Timer(label: "edtriage_model_scoring_duration_seconds")
    let modelAssessments = Counter(label: "edtriage_model_assessments_total")
    let modelRetries = Counter(label: "edtriage_model_failures_total", dimensions: [("outcome", "retry")])
    let retries = Counter(label: "edtriage_scoring_failures_total", dimensions: [("outcome", "retry")])
    let deadLetters = Counter(label: "edtriage_scoring_failures_total", dimensions: [("outcome", "dead_letter")])

    /// Counts a rules assessment written for an arrival in `department` (`edtriage_assessments_total{department}`).
    func assessmentWritten(department: String) {
        Counter(label: "edtriage_assessments_total", dimensions: [("department", department)]).increment()
    }

    func record(_ depth: QueueDepth) {
        queueReady.record(depth.ready)
        queueProcessing.record(depth.processing)
        queueFailed.record(depth.failed)
    }
}

extension Timer {
    /// Runs `body` (on the caller's actor) and records how long it took.
    func time<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { record(duration: ContinuousClock.now - start) }
        return try await body()
    }

    private func record(duration: Duration) {
        let parts = duration.components
        recordNanoseconds(parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000)
    }
}
