import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Prometheus
import Testing
import TriageStore
import TriageStoreTestSupport
@testable import TriageService

/// The assembled service (`edtriage serve`): PostgreSQL client, worker and HTTP server in one ServiceGroup,
/// over real sockets. An arrival posted over HTTP is scored by the group's worker and appears on the board;
/// a graceful shutdown then ends every service cleanly.
@Suite struct ServiceGroupTests {
    @Test func servesScoresAndShutsDownGracefully() async throws {
        try await TestDatabase.with { database in
            let port = Int.random(in: 20_000...40_000)
            let configuration = try await ServiceHarness.configuration([
                "EDTRIAGE_HTTP_PORT": "\(port)",
                "EDTRIAGE_DATABASE_URL": database.appURL.description + "?sslmode=disable",
                "EDTRIAGE_DATABASE_PASSWORD": database.appURL.password ?? "",
                "EDTRIAGE_DATABASE_MIGRATIONS_PATH": TestDatabase.migrationsDirectory.path,
                "EDTRIAGE_WORKER_POLL_INTERVAL_MS": "100",
            ])
            var logger = Logger(label: "edtriage.tests.group")
            logger.logLevel = .warning
            let group = try await buildServiceGroup(configuration: configuration, metrics: PrometheusCollectorRegistry(),
                                                    logger: logger)
            let base = URL(string: "http://127.0.0.1:\(port)")!
            let nurse = try await TokenVerifier(configuration: configuration.auth)
                .mintToken(actorID: "rn-live", role: .nurse, lifetime: .seconds(300))

            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await eventually { try await get(base.appendingPathComponent("readyz")).status == 200 }

                var submit = URLRequest(url: base.appendingPathComponent("v1/arrivals"))
                submit.httpMethod = "POST"
                submit.setValue("Bearer \(nurse)", forHTTPHeaderField: "Authorization")
                submit.setValue("application/json", forHTTPHeaderField: "Content-Type")
                submit.httpBody = Data(Arrivals.chestPain().utf8)
                let (_, response) = try await URLSession.shared.data(for: submit)
                #expect((response as? HTTPURLResponse)?.statusCode == 202)

                var board = URLRequest(url: base.appendingPathComponent("v1/worklist"))
                board.setValue("Bearer \(nurse)", forHTTPHeaderField: "Authorization")
                try await eventually {
                    let (data, _) = try await URLSession.shared.data(for: board)
                    return try JSONDecoder.iso8601.decode(WorklistSnapshot.self, from: data).rows.count == 1
                }

                // A board long-polling at shutdown is answered at once (304), so it does not hold the
                // server open for its 30 s wait.
                let (_, current) = try await URLSession.shared.data(for: board)
                var poll = URLRequest(url: URL(string: "\(base)/v1/worklist?wait=30")!)
                poll.setValue("Bearer \(nurse)", forHTTPHeaderField: "Authorization")
                poll.setValue((current as? HTTPURLResponse)?.value(forHTTPHeaderField: "ETag"),
                              forHTTPHeaderField: "If-None-Match")
                async let polled = URLSession.shared.data(for: poll)
                try await Task.sleep(for: .milliseconds(500))
                let shutdownStarted = ContinuousClock.now
                await group.triggerGracefulShutdown()
                let (_, pollResponse) = try await polled
                #expect((pollResponse as? HTTPURLResponse)?.statusCode == 304)
                try await tasks.waitForAll()
                #expect(ContinuousClock.now - shutdownStarted < .seconds(10))
            }
            #expect(try await database.count("arrivals", where: "state = 'done'") == 1)
        }
    }

    private func get(_ url: URL) async throws -> (status: Int, body: Data) {
        let (data, response) = try await URLSession.shared.data(from: url)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// Retries `condition` (connection errors count as false) for up to ten seconds.
    private func eventually(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("condition not met within 10 s")
    }
}
