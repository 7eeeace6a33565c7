import Foundation
import Logging
import PostgresNIO
import TriageCore

/// One numbered SQL file from the migrations folder, e.g. `0003_assessments_worklist.sql`.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var fileName: String
    public var sql: String
    /// Hex SHA-256 of the file's bytes, recorded when applied and compared ever after.
    public var checksum: String
}

public enum MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    case unreadableDirectory(String)
    case badFileName(String)
    case duplicateVersion(Int)
    /// An applied file was edited afterwards: the database no longer matches the files.
    case checksumMismatch(fileName: String)
    /// The database records a migration whose file is gone.
    case missingFile(version: Int, fileName: String)
    /// Files not yet applied, when the caller needs a current schema (serve without migrate_on_start).
    case notApplied([String])

    public var description: String {
        switch self {
        case .unreadableDirectory(let path): "cannot read migrations folder \(path)"
        case .badFileName(let name): "migration file \(name) is not named NNNN_name.sql"
        case .duplicateVersion(let version): "two migration files have number \(version)"
        case .checksumMismatch(let name): "migration \(name) was changed after it was applied (checksum mismatch)"
        case .missingFile(let version, let name): "applied migration \(version) (\(name)) has no file"
        case .notApplied(let names): "migrations not applied: \(names.joined(separator: ", ")) (run `edtriage migrate`)"
        }
    }
}

/// Applies the numbered SQL files of a folder in order, each in its own transaction, and records
/// them with their checksum in `schema_migrations`. Refuses to run when an applied file has changed.
///
/// Runs must use the owner's connection (not the service role). A session advisory lock makes
/// concurrent runs (two service instances starting at once) take turns.
public struct MigrationRunner: Sendable {
    public let directory: URL
    let client: PostgresClient
    let logger: Logger

    /// Advisory lock key: "edtriage" in ASCII, for runs of this runner only.
    private static let lockKey = 0x6564_7472_6961_6765

    /// `Migrations` in the working directory: the default when the config names no folder.
    public static var defaultDirectory: URL { URL(fileURLWithPath: "Migrations", isDirectory: true) }

    public init(directory: URL = MigrationRunner.defaultDirectory, client: PostgresClient, logger: Logger) {
        self.directory = directory
        self.client = client
        self.logger = logger
    }

    /// The migration files, ordered by number.
    public func migrations() throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.unreadableDirectory(directory.path)
        }
        var seen = Set<Int>()
        return try names.filter { $0.hasSuffix(".sql") }.map { name in
            guard let version = Self.version(ofFileName: name) else { throw MigrationError.badFileName(name) }
            guard seen.insert(version).inserted else { throw MigrationError.duplicateVersion(version) }
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            return Migration(version: version, fileName: name, sql: String(decoding: data, as: UTF8.self),
                             checksum: CanonicalJSON.sha256Hex(data))
        }.sorted { $0.version < $1.version }
    }

    /// `0012_add_things.sql` → 12.
    static func version(ofFileName name: String) -> Int? {
        let digits = name.prefix(while: \.isNumber)
        guard digits.count >= 1, name.dropFirst(digits.count).first == "_" else { return nil }
        return Int(digits)
    }

    /// Files not yet applied, after checking that every applied one is unchanged. Works with the
    /// service role's connection, so `serve` with migrations disabled can still refuse a changed file.
    public func pending() async throws -> [Migration] {
        let files = try migrations()
        return try await withMigrationLock { connection in
            guard try await self.historyExists(on: connection) else { return files }
            return try await self.unapplied(files, on: connection)
        }
    }

    /// Throws unless every file is applied and unchanged.
    public func requireCurrent() async throws {
        let pending = try await pending()
        guard pending.isEmpty else { throw MigrationError.notApplied(pending.map(\.fileName)) }
    }

    /// Applies every pending file and returns them.
    @discardableResult
    public func migrate() async throws -> [Migration] {
        let files = try migrations()
        return try await withMigrationLock { connection in
            try await connection.send("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    file_name  text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            let pending = try await self.unapplied(files, on: connection)
            for migration in pending {
                try await self.apply(migration, on: connection)
            }
            return pending
        }
    }

    private func withMigrationLock<Result: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await client.withConnection { connection in
            try await connection.send("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let result = try await body(connection)
                try await connection.send("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return result
            } catch {
                _ = try? await connection.send("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// False before the first migration; `pending` may run as the service role, which cannot create tables.
    private func historyExists(on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.send(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
        return try rows.first?.decode(Bool.self) ?? false
    }

    private func unapplied(_ files: [Migration], on connection: PostgresConnection) async throws -> [Migration] {
        let rows = try await connection.send(
            "SELECT version, file_name, checksum FROM schema_migrations ORDER BY version", logger: logger)
        var applied: [Int: (fileName: String, checksum: String)] = [:]
        for row in rows {
            let (version, fileName, checksum) = try row.decode((Int, String, String).self)
            applied[version] = (fileName, checksum)
        }
        let byVersion = Dictionary(uniqueKeysWithValues: files.map { ($0.version, $0) })
        for (version, record) in applied.sorted(by: { $0.key < $1.key }) {
            guard let file = byVersion[version] else {
                throw MigrationError.missingFile(version: version, fileName: record.fileName)
            }
            guard file.checksum == record.checksum else { throw MigrationError.checksumMismatch(fileName: file.fileName) }
        }
        return files.filter { applied[$0.version] == nil }
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        logger.info("applying migration", metadata: ["migration": "\(migration.fileName)"])
        try await connection.transaction(logger: logger) { connection in
            for statement in SQLScript.statements(migration.sql) {
                try await connection.send(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.send("""
                INSERT INTO schema_migrations (version, file_name, checksum)
                VALUES (\(migration.version), \(migration.fileName), \(migration.checksum))
                """, logger: logger)
        }
    }
}
