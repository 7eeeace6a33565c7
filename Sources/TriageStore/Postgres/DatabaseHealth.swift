import Foundation
import Logging
import PostgresNIO

/// Whether the database answers and its schema is the migration files' (versions and checksums). Read-only,
/// so it works with the service's least-privileged role.
public struct SchemaReadiness: Sendable {
    let client: PostgresClient
    let migrationsDirectory: URL
    let logger: Logger

    public init(client: PostgresClient, migrationsDirectory: URL, logger: Logger) {
        self.client = client
        self.migrationsDirectory = migrationsDirectory
        self.logger = logger
    }

    /// Nil when ready, else why not (no connection details).
    public func notReadyReason() async -> String? {
        do {
            try await MigrationRunner(directory: migrationsDirectory, client: client, logger: logger).requireCurrent()
            return nil
        } catch let error as MigrationError {
            return error.description
        } catch {
            return "the database is unreachable"
        }
    }
}

/// Store errors that mean "the database is not available for now; retry shortly" rather than a defect.
public enum DatabaseFailure {
    public static func isUnavailable(_ error: any Error) -> Bool {
        if isConnectionLost(error) { return true }
        guard let error = error as? PSQLError else { return false }
        // SQLSTATE classes 08 connection exception, 53 insufficient resources, 57 operator intervention
        // (which includes a statement cancelled by statement_timeout).
        return error.code == .server && ["08", "53", "57"].contains { sqlState(error).hasPrefix($0) }
    }

    /// Whether the connection the error came from is gone: closed on either side, or ended by the server
    /// (SQLSTATE class 08, and 57P01–57P03: shutdown, crash, not yet accepting connections).
    public static func isConnectionLost(_ error: any Error) -> Bool {
        if error is DatabaseConnectionLost { return true }
        guard let error = error as? PSQLError else { return false }
        let endedByServer = error.code == .server
            && (sqlState(error).hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState(error)))
        return endedByServer || connectionFailures.contains(error.code)
    }

    private static func sqlState(_ error: PSQLError) -> String { error.serverInfo?[.sqlState] ?? "" }

    private static let connectionFailures: Set<PSQLError.Code> = [
        .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown,
        .sslUnsupported, .failedToAddSSLHandler,
    ]
}
