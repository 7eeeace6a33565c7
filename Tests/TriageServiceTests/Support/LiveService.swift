import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import TriageStoreTestSupport
@testable import TriageService

/// The assembled service (`edtriage serve`: PostgreSQL client, worker, HTTP server in one ServiceGroup) on a
/// random loopback port over a fresh database, for tests that need real sockets (curl-like clients, a browser).
struct LiveService: Sendable {
    let base: URL
    let group: ServiceGroup
    let configuration: ServiceConfiguration
    let database: TestDatabase
    /// When the group's `run()` returned: a shutdown is timed to here, not to the test database's removal.
    let groupEnded: EndTime

    final class EndTime: Sendable {
        private let instant = Mutex<ContinuousClock.Instant?>(nil)
        var value: ContinuousClock.Instant? { instant.withLock { $0 } }
        func record() { instant.withLock { $0 = .now } }
    }

    /// Runs the group while `body` runs (once `/readyz` answers), then shuts it down gracefully and returns
    /// `body`'s result once every service has ended. `environment` adds or replaces configuration.
    @discardableResult
    static func run<Result: Sendable>(environment: [String: String] = [:],
                                      _ body: @Sendable @escaping (LiveService) async throws -> Result) async throws -> Result {
        try await TestDatabase.with { database in
            let port = TestPorts.random()
            let configuration = try await ServiceHarness.configuration([
                "EDTRIAGE_HTTP_PORT": "\(port)",
                "EDTRIAGE_DATABASE_URL": database.appURL.description + "?sslmode=disable",
                "EDTRIAGE_DATABASE_PASSWORD": database.appURL.password ?? "",
                "EDTRIAGE_DATABASE_MIGRATIONS_PATH": TestDatabase.migrationsDirectory.path,
                "EDTRIAGE_WORKER_POLL_INTERVAL_MS": "100",
            ].merging(environment) { $1 })
            var logger = Logger(label: "edtriage.tests.live")
            logger.logLevel = .warning
            let group = try await buildServiceGroup(configuration: configuration, metrics: PrometheusCollectorRegistry(),
                                                    logger: logger)
            let service = LiveService(base: URL(string: "http://127.0.0.1:\(port)")!, group: group,
                                      configuration: configuration, database: database, groupEnded: EndTime())
            return try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    service.groupEnded.record()
                }
                try await eventually { try await service.send("GET", "readyz").status == 200 }
                let result: Result
                do {
                    result = try await body(service)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            }
        }
    }

    func token(_ role: Role, actor: String) async throws -> String {
        try await TokenVerifier(configuration: configuration.auth).mintToken(actorID: actor, role: role,
                                                                             lifetime: .seconds(600))
    }

    /// One HTTP request to `path` (relative to the service, query allowed).
    @discardableResult
    func send(_ method: String, _ path: String, token: String? = nil, headers: [String: String] = [:],
              json: String? = nil) async throws -> (status: Int, headers: [String: String], body: Data) {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        let fields = (http?.allHeaderFields ?? [:]).reduce(into: [String: String]()) { fields, field in
            fields[String(describing: field.key).lowercased()] = String(describing: field.value)
        }
        return (http?.statusCode ?? 0, fields, data)
    }
}
