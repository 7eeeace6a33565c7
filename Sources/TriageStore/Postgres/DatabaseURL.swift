import Foundation
import PostgresNIO

/// A `postgres://user[:password]@host[:port]/database` URL, turned into a client configuration.
///
/// TLS is off (`sslmode=disable`, the only mode accepted): the database runs inside the hospital,
/// normally on the same host as the service.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String

    public enum ParseError: Error, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self {
            case .invalid(let why): "invalid database URL: \(why)"
            }
        }
    }

    public init(_ string: String) throws {
        guard let components = URLComponents(string: string),
              components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw ParseError.invalid("expected postgres://user@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw ParseError.invalid("missing host") }
        guard let user = components.user, !user.isEmpty else { throw ParseError.invalid("missing user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw ParseError.invalid("missing database name") }
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value, mode != "disable" {
            throw ParseError.invalid("sslmode=\(mode) is not supported (use disable)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
    }

    public init(host: String, port: Int, username: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// The same server and credentials, another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The same server and database, other credentials.
    public func with(username: String, password: String?) -> DatabaseURL {
        var copy = self
        copy.username = username
        copy.password = password
        return copy
    }

    public var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                     database: database, tls: .disable)
    }

    public var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: username, password: password,
                                         database: database, tls: .disable)
    }

    /// The URL without its password, safe to log.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }
}
