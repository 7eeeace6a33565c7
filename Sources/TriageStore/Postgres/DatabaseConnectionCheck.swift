import Logging
import NIOSSL
import PostgresNIO

/// Why the database cannot be reached, in words an operator can act on. PostgresNIO keeps the detail of its
/// errors out of `description`, and its pool retries a failing connection forever, so a wrong address,
/// password or certificate would otherwise show as a service that hangs at start-up.
public struct DatabaseConnectionError: Error, CustomStringConvertible {
    public let url: DatabaseURL
    public let reason: String

    public var description: String { "cannot connect to \(url) (sslmode=\(url.tls.mode.rawValue)): \(reason)" }
}

extension DatabaseURL {
    /// Opens one connection (TLS handshake and authentication included) and closes it again.
    public func checkConnection(logger: Logger) async throws {
        do {
            let connection = try await PostgresConnection.connect(configuration: try connectionConfiguration(), id: 0,
                                                                  logger: logger)
            try await connection.close()
        } catch {
            throw DatabaseConnectionError(url: self, reason: Self.reason(for: error, tls: tls.mode))
        }
    }

    private static func reason(for error: any Error, tls: DatabaseTLS.Mode) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if error.code == .sslUnsupported {
            return "the server does not offer TLS, which sslmode=\(tls.rawValue) requires"
        }
        if let message = error.serverInfo?[.message] {
            return "the server refused the connection: \(message)"
        }
        switch error.underlying {
        case let failure as NIOSSLError:
            return "TLS handshake failed (\(failure)): the server's certificate does not chain to "
                + "database.ssl_root_cert (or the system's trust store)"
        case let failure as NIOSSLExtraError where failure == .failedToValidateHostname:
            return "the server's certificate does not name this host (sslmode=verify-full)"
        case .some(let underlying):
            return "\(underlying)"
        case .none:
            return "\(error.code)"
        }
    }
}
