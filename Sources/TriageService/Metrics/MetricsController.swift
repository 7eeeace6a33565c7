import Hummingbird
import Prometheus

/// `GET /metrics`: the Prometheus text exposition of `registry`, as the services and `BackgroundStatus`
/// last set it (a scrape touches no database).
struct MetricsController: Sendable {
    let registry: PrometheusCollectorRegistry

    func addRoutes(to routes: APIRoutes) {
        routes.on(.metrics) { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: registry.emitToString())))
        }
    }
}
