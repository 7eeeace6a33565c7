import Hummingbird
import Logging
import Prometheus
import TriageStore

/// `GET /metrics`: the Prometheus text exposition of `registry`.
///
/// Queue depth is read from the database at scrape time, so it is reported by every instance, also one
/// running `--no-worker`; the worker's own gauges of the same name update the same series.
struct MetricsController: Sendable {
    let registry: PrometheusCollectorRegistry
    let queue: any ArrivalQueue

    func addRoutes(to routes: APIRoutes) {
        routes.on(.metrics) { _, context in
            await refreshQueueDepth(logger: context.logger)
            let text = registry.emitToString()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// No help text: the registry requires one text per name, and the worker's swift-metrics gauges of
    /// this name register without one.
    static var queueDepth: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "edtriage_queue_depth", unitName: "", helpText: "")
    }

    private func refreshQueueDepth(logger: Logger) async {
        do {
            let depth = try await queue.queueDepth()
            for (state, count) in [("queued", depth.queued), ("ready", depth.ready), ("processing", depth.processing),
                                   ("failed", depth.failed)] {
                registry.makeGauge(descriptor: Self.queueDepth, labels: [("state", state)]).set(Double(count))
            }
        } catch {
            logger.warning("queue depth unavailable for /metrics",
                           metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
        }
    }
}
