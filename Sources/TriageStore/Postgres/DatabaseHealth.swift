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
        guard let error = error as? PSQLError else { return false }
        let sqlState = error.serverInfo?[.sqlState] ?? ""
        // SQLSTATE classes 08 connection exception, 53 insufficient resources, 57 operator intervention
        // (which includes a statement cancelled by statement_timeout).
        let serverUnavailable = error.code == .server && ["08", "53", "57"].contains { sqlState.hasPrefix($0) }
        return serverUnavailable || connectionFailures.contains(error.code)
    }

    private static let connectionFailures: Set<PSQLError.Code> = [
        .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown,
        .sslUnsupported, .failedToAddSSLHandler,
    ]
}
