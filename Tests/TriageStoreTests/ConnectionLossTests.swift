import Logging
import PostgresNIO
import Testing
@testable import TriageStore
import TriageStoreTestSupport

/// Statements on a connection that has closed: after a database crash a pooled connection can close between its
/// lease and the next statement, and PostgresNIO never answers a statement written to it. The store's `send`
/// fails such a statement with `DatabaseConnectionLost` (an "unavailable" failure, retried) instead of waiting
/// for good, and `whileOpen` does the same for a LISTEN. The crash itself, under load, is `ReplicaChaosTests`.
@Suite("A lost connection")
struct ConnectionLossTests {
    /// The limit is for a statement that is never answered; it leaves the test database's set-up room on a machine
    /// busy with every other suite (seen past 60 s there).
    @Test(.timeLimit(.minutes(5)))
    func statementsOnAClosedConnectionFailInsteadOfWaiting() async throws {
        try await TestDatabase.with { database in
            try await TestDatabase.withClient(database.appURL) { client in
                try await client.withConnection { connection in
                    let logger = TestDatabase.logger
                    #expect(try await connection.rows("SELECT 1 AS one", logger: logger).count == 1)
                    try await connection.close()

                    let lost = await #expect(throws: (any Error).self) {
                        try await connection.send("SELECT 1", logger: logger)
                    }
                    #expect(lost.map(DatabaseFailure.isConnectionLost) == true)
                    #expect(lost.map(DatabaseFailure.isUnavailable) == true)
                    // A transaction fails at its BEGIN, and does not then wait on a ROLLBACK.
                    await #expect(throws: DatabaseConnectionLost.self) {
                        try await connection.transaction(logger: logger) { try await $0.send("SELECT 1", logger: logger) }
                    }
                }
            }
        }
    }

    /// A result the server cuts off part-way (a crash, a restart, a terminated backend): the statement fails as a lost
    /// connection, so its caller retries, and the process goes on. Many socket reads' worth of rows have arrived when
    /// the backend is ended in a pause of the statement, so the rows and the close reach the connection together.
    @Test(.timeLimit(.minutes(5)))
    func aResultCutOffPartWayFailsItsStatement() async throws {
        try await TestDatabase.with { database in
            try await TestDatabase.withClient(database.appURL) { client in
                try await client.withConnection { connection in
                    let logger = TestDatabase.logger
                    let pid = try #require(try await connection.firstRow(
                        "SELECT pg_backend_pid()::text AS pid", logger: logger)?.value("pid", as: String.self))
                    let cutOff = Task {
                        try await connection.send("""
                            SELECT g, repeat('x', 2000), CASE WHEN g = 300 THEN pg_sleep(3600) END
                            FROM generate_series(1, 600) g
                            """, logger: logger)
                    }
                    while try await database.ownerQuery(
                        "SELECT count(*)::text FROM pg_stat_activity WHERE pid = \(pid) AND wait_event = 'PgSleep'"
                    ) != ["1"] {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    _ = try await database.ownerQuery("SELECT pg_terminate_backend(\(pid))::text")

                    let lost = await #expect(throws: (any Error).self) { try await cutOff.value }
                    #expect(lost.map(DatabaseFailure.isConnectionLost) == true)
                }
                #expect(try await client.send("SELECT 1", logger: TestDatabase.logger).count == 1)
            }
        }
    }

    /// An operation that is never answered: it ends when the server closes the connection, and when the waiting
    /// task is cancelled (which closes the connection).
    @Test(.timeLimit(.minutes(5)))
    func anUnansweredOperationEndsWithItsConnection() async throws {
        try await TestDatabase.with { database in
            let logger = TestDatabase.logger
            func connect() async throws -> PostgresConnection {
                try await PostgresConnection.connect(configuration: try database.appURL.connectionConfiguration(), id: 1,
                                                     logger: logger)
            }
            let neverAnswered = { @Sendable (_: PostgresConnection) async throws in
                try await Task.sleep(for: .seconds(3_600))
            }

            let dropped = try await connect()
            let pid = try #require(try await dropped.query("SELECT pg_backend_pid()::text", logger: logger)
                .collect().first?.decode(String.self))
            let waiting = Task { try await dropped.whileOpen(neverAnswered) }
            try await Task.sleep(for: .milliseconds(200))
            _ = try await database.ownerQuery("SELECT pg_terminate_backend(\(pid))::text")
            await #expect(throws: DatabaseConnectionLost.self) { try await waiting.value }

            let abandoned = try await connect()
            let cancelled = Task { try await abandoned.whileOpen(neverAnswered) }
            try await Task.sleep(for: .milliseconds(200))
            cancelled.cancel()
            await #expect(throws: DatabaseConnectionLost.self) { try await cancelled.value }
            #expect(abandoned.isClosed)

            // Already closed: a LISTEN ends at once.
            await #expect(throws: (any Error).self) {
                try await abandoned.whileOpen { try await $0.listen(on: "edtriage_test") { _ in } }
            }
        }
    }
}
