import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import TriageStore

/// What `/readyz` and `/metrics` report, refreshed in the background on one schedule. Both answer without a
/// token, so they must cost no database work however often they are called: a request reads the state of
/// the last refresh, never the database.
///
/// Queue depth and each department's board census are counted here, so every instance reports them, also one
/// running `--no-worker`; the worker's own queue gauges of the same name update the same series.
final class BackgroundStatus: ReadinessCheck, Service {
    private let source: any ReadinessCheck
    private let queue: any ArrivalQueue
    private let worklist: any WorklistRepository
    private let registry: PrometheusCollectorRegistry
    private let interval: Duration
    private let logger: Logger
    private let notReady = Mutex<String?>("starting: not checked yet")

    init(source: any ReadinessCheck, queue: any ArrivalQueue, worklist: any WorklistRepository,
         registry: PrometheusCollectorRegistry, interval: Duration, logger: Logger) {
        self.source = source
        self.queue = queue
        self.worklist = worklist
        self.registry = registry
        self.interval = interval
        self.logger = logger
    }

    func notReadyReason() async -> String? { notReady.withLock { $0 } }
    func degradedReason() async -> String? { await source.degradedReason() }
    var vision: String? { source.vision }

    /// Checks readiness and counts the queue once.
    func refresh() async {
        let reason = await source.notReadyReason()
        notReady.withLock { $0 = reason }
        do {
            let depth = try await queue.queueDepth()
            for (state, count) in [("queued", depth.queued), ("ready", depth.ready), ("processing", depth.processing),
                                   ("failed", depth.failed)] {
                registry.makeGauge(descriptor: Self.queueDepth, labels: [("state", state)]).set(Double(count))
            }
            for census in try await worklist.boardCensus() {
                registry.makeGauge(descriptor: Self.boardPatients,
                                   labels: [("department", census.department), ("state", census.state.rawValue)])
                    .set(Double(census.patients))
            }
        } catch {
            logger.warning("queue depth or board census unavailable for /metrics",
                           metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
        }
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.refresh()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    static var boardPatients: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "edtriage_board_patients", unitName: "",
                             helpText: "Patients on each department's board, by state")
    }

    /// No help text: the registry requires one text per name, and the worker's swift-metrics gauges of
    /// this name register without one.
    static var queueDepth: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "edtriage_queue_depth", unitName: "", helpText: "")
    }
}
