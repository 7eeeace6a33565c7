import Foundation
import Logging
import PostgresNIO
import TriageStore

/// A throw-away database on the PostgreSQL server named by `EDTRIAGE_TEST_DATABASE_URL`, migrated with
/// the repository's Migrations/, so test suites run in parallel without seeing each other's rows.
///
/// The URL must be a superuser (or owner with CREATEDB) URL: `source scripts/dev-env.sh` sets it and
/// `EDTRIAGE_DATABASE_SSL_ROOT_CERT` (the CA of the cluster's TLS certificate). The service role `edtriage_app`
/// logs in with password `EDTRIAGE_TEST_APP_PASSWORD` (default `edtriage_app`, as the script creates it).
public struct TestDatabase: Sendable {
    /// The owner (superuser) on the fresh database.
    public let ownerURL: DatabaseURL
    /// The service role on the fresh database.
    public let appURL: DatabaseURL
    public let name: String

    public static let logger = Logger(label: "edtriage.tests")

    /// The repository's Migrations folder, found from this file's path.
    public static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Migrations")

    public struct MissingServer: Error, CustomStringConvertible {
        public var description: String {
            "EDTRIAGE_TEST_DATABASE_URL is not set. Start the dev database and set it with "
                + "`source scripts/dev-env.sh`, then run `swift test`."
        }
    }

    public static func serverURL() throws -> DatabaseURL {
        guard let url = ProcessInfo.processInfo.environment["EDTRIAGE_TEST_DATABASE_URL"], !url.isEmpty else {
            throw MissingServer()
        }
        var server = try DatabaseURL(url)
        if let roots = serverCertificateAuthority { try server.tls.trustRoots(fromPEMFile: roots) }
        return server
    }

    /// The CA file of the server's TLS certificate (`EDTRIAGE_DATABASE_SSL_ROOT_CERT`, as the service reads it).
    public static var serverCertificateAuthority: String? {
        ProcessInfo.processInfo.environment["EDTRIAGE_DATABASE_SSL_ROOT_CERT"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Creates and (unless `migrate` is false) migrates a fresh database, runs `body`, then drops it.
    public static func with<T: Sendable>(migrate: Bool = true, _ body: (TestDatabase) async throws -> T)
        async throws -> T
    {
        let server = try serverURL()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        try await withClient(server) { client in
            try await client.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        }
        let password = ProcessInfo.processInfo.environment["EDTRIAGE_TEST_APP_PASSWORD"] ?? "edtriage_app"
        let database = TestDatabase(ownerURL: server.with(database: name),
                                    appURL: server.with(database: name).with(username: "edtriage_app",
                                                                             password: password),
                                    name: name)
        do {
            if migrate {
                try await withClient(database.ownerURL) { client in
                    try await MigrationRunner(directory: migrationsDirectory, client: client, logger: logger).migrate()
                }
            }
            let result = try await body(database)
            try await database.drop(server)
            return result
        } catch {
            try? await database.drop(server)
            throw error
        }
    }

    private func drop(_ server: DatabaseURL) async throws {
        try await Self.withClient(server) { client in
            try await client.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: Self.logger)
        }
    }

    /// A running `PostgresClient` for the duration of `body`.
    @discardableResult
    public static func withClient<T: Sendable>(_ url: DatabaseURL, _ body: (PostgresClient) async throws -> T)
        async throws -> T
    {
        try await PostgresClient.withRunning(url.clientConfiguration, logger: logger, body)
    }

    /// A store connected as the service role.
    public func withStore<T: Sendable>(_ configuration: StoreConfiguration = StoreConfiguration(),
                                       _ body: (PostgresTriageStore) async throws -> T) async throws -> T {
        try await Self.withClient(appURL) { client in
            try await body(PostgresTriageStore(client: client, configuration: configuration, logger: Self.logger))
        }
    }

    /// Runs SQL statements (separated by `;`) on one owner (superuser) connection and returns the
    /// first column of the last statement's rows; the statements should cast that column to text.
    @discardableResult
    public func ownerQuery(_ sql: String) async throws -> [String?] {
        try await Self.withClient(ownerURL) { client in
            try await client.withConnection { connection in
                var rows: [PostgresRow] = []
                for statement in SQLScript.statements(sql) {
                    rows = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger)
                        .collect()
                }
                return try rows.map { try $0.makeRandomAccess()[0].decode(String?.self) }
            }
        }
    }

    /// `SELECT count(*) FROM table` as the owner.
    public func count(_ table: String, where condition: String = "true") async throws -> Int {
        Int(try await ownerQuery("SELECT count(*)::text FROM \(table) WHERE \(condition)").first?.flatMap { $0 } ?? "")
            ?? -1
    }
}

extension TestDatabase {
    /// A valid presentation as a plain-SQL producer would store it.
    public static let validPayload = #"{"age":{"years":30},"sex":"M","arrival_mode":"walk-in","chief_complaint":"cough","vitals":{"hr":82,"rr":16,"sbp":130,"spo2":97,"temp_c":37.1}}"#

    /// Inserts `count` arrivals with plain SQL (no API, no validation), as the owner.
    public func insertArrivals(count: Int, payload: String = validPayload) async throws {
        let tag = UUID().uuidString.prefix(8)
        try await ownerQuery("""
            INSERT INTO arrivals (source, external_id, patient_ref, payload)
            SELECT 'sql', '\(tag)-' || n, 'MRN-' || n, '\(payload)'::jsonb FROM generate_series(1, \(count)) AS n
            """)
    }
}
