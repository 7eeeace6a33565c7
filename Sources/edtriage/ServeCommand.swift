import ArgumentParser
import Logging
import Metrics
import Prometheus
import TriageService

/// Runs the HTTP API and the queue workers in one process until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API and run the queue workers.")

    @OptionGroup var options: ConfigurationOptions
    @Flag(help: "Serve the API only; another process runs the workers.") var noWorker = false
    @Flag(help: "Run the workers only (same as `edtriage worker`).") var noApi = false

    func run() async throws {
        var parts = ServeParts.all
        if noWorker { parts.remove(.worker) }
        if noApi { parts.remove(.api) }
        guard !parts.isEmpty else { throw ValidationError("--no-worker and --no-api leave nothing to run") }
        try await runService(options: options, parts: parts)
    }
}

/// Runs the queue workers only, for scaling scoring apart from the API.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run the queue workers only.")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        try await runService(options: options, parts: .worker)
    }
}

private func runService(options: ConfigurationOptions, parts: ServeParts) async throws {
    let configuration = try await options.load()
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    let logger = Logger(label: "edtriage")
    let group = try await buildServiceGroup(configuration: configuration, parts: parts, metrics: registry, logger: logger)
    try await group.run()
}
