import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user[:password]@host[:port]/database[?sslmode=MODE]` URL, turned into a client configuration.
///
/// `sslmode` takes libpq's names and meanings for `disable`, `require`, `verify-ca` and `verify-full`. A URL
/// without it is refused for any host but loopback, so that a database across the network is never reached
/// in clear by omission; on loopback it means `disable`.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: DatabaseTLS

    public enum ParseError: Error, CustomStringConvertible {
        case invalid(String)
        case unusableRootCertificate(String)
        public var description: String {
            switch self {
            case .invalid(let why): "invalid database URL: \(why)"
            case .unusableRootCertificate(let why): why
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
        let modes = DatabaseTLS.Mode.allCases.map(\.rawValue).joined(separator: ", ")
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
        case .some(let name):
            guard let mode = DatabaseTLS.Mode(rawValue: name) else {
                throw ParseError.invalid("sslmode=\(name) is not supported (use one of \(modes))")
            }
            tls = DatabaseTLS(mode: mode)
        case .none where isLoopbackHost(host):
            tls = DatabaseTLS(mode: .disable)
        case .none:
            throw ParseError.invalid("\(host) is not loopback: say how to reach it with sslmode= (one of \(modes); "
                                     + "verify-full checks the server's certificate and name)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
    }

    public init(host: String, port: Int, username: String, password: String?, database: String,
                tls: DatabaseTLS = DatabaseTLS(mode: .disable)) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
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
                                     database: database, tls: tls.clientTLS)
    }

    /// Settings for one connection outside a pool (it needs its TLS context made up front).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: username, password: password,
                                         database: database, tls: try tls.connectionTLS())
    }

    /// The URL without its password, safe to log.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }
}

/// Whether `host` names this machine: a link to it never crosses a network.
public func isLoopbackHost(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
}

/// Encryption and server authentication of the database connection.
public struct DatabaseTLS: Sendable, Hashable {
    /// libpq's `sslmode` values that promise something: no TLS, or TLS that is never silently dropped.
    public enum Mode: String, Sendable, CaseIterable {
        /// Clear text (loopback or a trusted private link only).
        case disable
        /// Encrypted; the server's certificate is not checked.
        case require
        /// Encrypted; the certificate must chain to a trusted root.
        case verifyCA = "verify-ca"
        /// Encrypted; the certificate must chain to a trusted root and name the host in the URL.
        case verifyFull = "verify-full"
    }

    public var mode: Mode
    /// Certificates the server's must chain to (`database.ssl_root_cert`); the system's trust store when nil.
    public var roots: [NIOSSLCertificate]?

    public init(mode: Mode, roots: [NIOSSLCertificate]? = nil) {
        self.mode = mode
        self.roots = roots
    }

    /// Trusts only the PEM certificates in `path` (read now, so that a bad file stops start-up).
    public mutating func trustRoots(fromPEMFile path: String) throws {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw DatabaseURL.ParseError.unusableRootCertificate("cannot read \(path)")
        }
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(bytes)), !certificates.isEmpty else {
            throw DatabaseURL.ParseError.unusableRootCertificate("\(path) holds no PEM certificate")
        }
        roots = certificates
    }

    var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        switch mode {
        case .disable, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let roots { configuration.trustRoots = .certificates(roots) }
        return configuration
    }

    var clientTLS: PostgresClient.Configuration.TLS {
        mode == .disable ? .disable : .require(tlsConfiguration)
    }

    func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        mode == .disable ? .disable : .require(try NIOSSLContext(configuration: tlsConfiguration))
    }
}
