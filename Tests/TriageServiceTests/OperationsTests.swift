import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import TriageStore
@testable import TriageService

@Suite struct OperationsTests {
    @Test func healthAndReadiness() async throws {
        try await ServiceHarness.run { harness in
            #expect(try await harness.send(.get, "/healthz", as: nil).status == .ok)
            let ready = try await harness.send(.get, "/readyz", as: nil)
            #expect(ready.status == .ok)
            #expect(String(buffer: ready.body).contains("ready"))
        }
    }

    /// Without migrations the service is up but not ready.
    @Test func notReadyBeforeMigrations() async throws {
        try await ServiceHarness.run(migrate: false) { harness in
            #expect(try await harness.send(.get, "/healthz", as: nil).status == .ok)
            let response = try await harness.send(.get, "/readyz", as: nil)
            #expect(response.status == .serviceUnavailable)
            #expect(try harness.problem(response).type == "https://edtriage.example/problems/unavailable")
        }
    }

    /// The background-counted queue depth and the worker's swift-metrics gauges (as the executable bootstraps
    /// them over the same registry) update one series; a scrape reads the last count and queries nothing.
    @Test func metricsExposeQueueDepth() async throws {
        try await ServiceHarness.run { harness in
            let workerGauge = PrometheusMetricsFactory(registry: harness.metrics)
                .makeRecorder(label: "edtriage_queue_depth", dimensions: [("state", "failed")], aggregate: false)
            workerGauge.record(Int64(7))
            _ = try await harness.submit(Arrivals.chestPain())
            func scrape() async throws -> String {
                let response = try await harness.send(.get, "/metrics", as: nil)
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            #expect(try await scrape().contains(#"edtriage_queue_depth{state="queued"} 0"#))
            await harness.status.refresh()
            let text = try await scrape()
            #expect(text.contains(#"edtriage_queue_depth{state="queued"} 1"#))
            #expect(text.contains(#"edtriage_queue_depth{state="failed"} 0"#))
        }
    }

    /// Readiness is the last background check's: a database that goes away shows at the next refresh, and
    /// probes in between cost it nothing.
    @Test func readinessIsRefreshedInTheBackground() async throws {
        try await ServiceHarness.run { harness in
            #expect(try await harness.send(.get, "/readyz", as: nil).status == .ok)
            try await harness.database.ownerQuery("DELETE FROM schema_migrations WHERE version = 1")
            #expect(try await harness.send(.get, "/readyz", as: nil).status == .ok)
            await harness.status.refresh()
            let response = try await harness.send(.get, "/readyz", as: nil)
            #expect(response.status == .serviceUnavailable)
            #expect(String(buffer: response.body).contains("0001_"))
        }
    }

    @Test func auditTrailForAdmins() async throws {
        try await ServiceHarness.run { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let page = try await harness.send(.get, "/v1/audit?arrival_id=\(row.arrivalID)", as: .admin)
            #expect(page.status == .ok)
            let entries = try harness.decode(AuditPageBody.self, page).entries
            #expect(entries.map(\.action).contains("arrival.accepted"))
            #expect(entries.allSatisfy { $0.entityID == String(row.arrivalID) })

            let byActor = try harness.decode(AuditPageBody.self,
                                             try await harness.send(.get, "/v1/audit?actor=nobody", as: .admin))
            #expect(byActor.entries.isEmpty)
            let badDate = try await harness.send(.get, "/v1/audit?since=yesterday", as: .admin)
            #expect(badDate.status == .unprocessableContent)
            #expect(try harness.problem(badDate).field == "since")

            let verify = try harness.decode(AuditVerification.self,
                                            try await harness.send(.get, "/v1/audit/verify", as: .admin))
            #expect(verify.isIntact)
            #expect(verify.checked == (try await harness.database.count("audit_log")))

            let failed = try await harness.send(.get, "/v1/admin/failed", as: .admin)
            #expect(failed.status == .ok)
            let notFailed = try await harness.send(.post, "/v1/admin/failed/\(row.arrivalID)/requeue", as: .admin)
            #expect(notFailed.status == .conflict)
        }
    }

    /// Reads of patient data leave access rows (who read which arrival's what) that `?kind=access` finds apart
    /// from the changes; the audit queries themselves are access too.
    @Test func readsOfPatientDataAreAuditedAsAccess() async throws {
        try await ServiceHarness.run { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            #expect(try await harness.send(.get, "/v1/assessments/\(row.assessmentID)", as: .nurse).status == .ok)
            func page(_ query: String) async throws -> [AuditEntry] {
                try harness.decode(AuditPageBody.self, try await harness.send(.get, "/v1/audit?\(query)", as: .admin)).entries
            }
            let reads = try await page("kind=access")
            #expect(reads.map(\.action) == ["access.assessment"])
            #expect(reads.first?.actor == "test-nurse" && reads.first?.entityID == String(row.arrivalID))
            let changes = try await page("kind=change")
            #expect(!changes.isEmpty && changes.allSatisfy { !$0.action.hasPrefix("access.") })
            #expect(try await page("kind=access").map(\.action) == ["access.assessment", "access.audit", "access.audit"])
            #expect(try await page("kind=access&arrival_id=\(row.arrivalID)").map(\.action) == ["access.assessment"])
            let wrongKind = try await harness.send(.get, "/v1/audit?kind=reads", as: .admin)
            #expect(wrongKind.status == .unprocessableContent)
            #expect(try harness.problem(wrongKind).field == "kind")
        }
    }

    struct AuditPageBody: Decodable {
        let entries: [AuditEntry]
    }
}

/// The OpenAPI file and the router describe the same API: every route is documented with its method
/// and path, and every documented operation is routed.
@Suite struct OpenAPISyncTests {
    @Test func documentMatchesTheRouter() async throws {
        let documented = Set(OpenAPIOperations.parse(try OpenAPIController.document()))
        let router = try await buildRouter(configuration: try await ServiceHarness.configuration(),
                                           repository: ServiceHarness.offlineStore(), readiness: NeverReady(),
                                           metrics: .init())
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(documented == routed)
        #expect(!routed.isEmpty)
    }

    @Test func documentIsServed() async throws {
        try await ServiceHarness.run { harness in
            let response = try await harness.send(.get, "/v1/openapi.yaml", as: nil)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == (try OpenAPIController.document()))
        }
    }
}

/// `METHOD /path` for each operation under `paths:` of an OpenAPI YAML document.
enum OpenAPIOperations {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    static func parse(_ yaml: String) -> [String] {
        var operations: [String] = []
        var inPaths = false
        var currentPath: String?
        for line in yaml.split(separator: "\n") {
            if !line.hasPrefix(" ") {
                inPaths = line.hasPrefix("paths:")
                continue
            }
            guard inPaths else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let indent = line.prefix { $0 == " " }.count
            if indent == 2, trimmed.hasPrefix("/"), trimmed.hasSuffix(":") {
                currentPath = String(trimmed.dropLast())
            } else if indent == 4, let path = currentPath, trimmed.hasSuffix(":"),
                      methods.contains(String(trimmed.dropLast())) {
                operations.append("\(trimmed.dropLast().uppercased()) \(path)")
            }
        }
        return operations
    }
}
