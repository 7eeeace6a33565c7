import Foundation
import PostgresNIO
import Testing
import TriageStore
import TriageStoreTestSupport
@testable import TriageService

/// Every connection of the service's pool starts with the configured PostgreSQL session limits, so a slow
/// statement, a long lock wait or an abandoned transaction cannot hold the clinical database.
@Suite struct SessionLimitsTests {
    @Test func theServicePoolCarriesTheConfiguredLimits() async throws {
        try await TestDatabase.with { database in
            let configuration = try await ServiceConfiguration.load(file: nil, environment: [
                "EDTRIAGE_DATABASE_URL": database.appURL.description,
                "EDTRIAGE_DATABASE_PASSWORD": database.appURL.password ?? "",
                "EDTRIAGE_DATABASE_STATEMENT_TIMEOUT_MS": "300",
                "EDTRIAGE_DATABASE_LOCK_TIMEOUT_MS": "200",
                "EDTRIAGE_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS": "5000",
            ])
            try await PostgresClient.withRunning(configuration.database.serviceClientConfiguration,
                                                 logger: TestDatabase.logger) { client in
                let rows = try await client.query("""
                    SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),
                           current_setting('idle_in_transaction_session_timeout')
                    """, logger: TestDatabase.logger)
                var settings: [String] = []
                for try await (statement, lock, idle) in rows.decode((String, String, String).self) {
                    settings = [statement, lock, idle]
                }
                #expect(settings == ["300ms", "200ms", "5s"])
                // The server cancels a statement that runs past the limit (SQLSTATE 57014, query_canceled).
                await #expect {
                    _ = try await client.query("SELECT pg_sleep(2)", logger: TestDatabase.logger).collect()
                } throws: { error in
                    (error as? PSQLError)?.serverInfo?[.sqlState] == "57014"
                }
            }
        }
    }

    @Test func limitsDefaultOnAndOutOfRangeValuesAreRefused() async throws {
        let defaults = try await ServiceConfiguration.load(file: nil, environment: [:]).database.sessionLimits
        #expect(defaults == .init(statementMilliseconds: 60_000, lockMilliseconds: 10_000, idleInTransactionMilliseconds: 60_000))
        await #expect(throws: (any Error).self) {
            try await ServiceConfiguration.load(file: nil, environment: ["EDTRIAGE_DATABASE_LOCK_TIMEOUT_MS": "-1"])
        }
    }
}
