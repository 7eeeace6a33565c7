import Foundation
import PostgresNIO
import Testing
import TriageStore
import TriageStoreTestSupport

/// The database link over TLS, against the real cluster: scripts/postgres.sh runs it with ssl = on and a
/// certificate for localhost and 127.0.0.1 signed by a CA it made, named by EDTRIAGE_DATABASE_SSL_ROOT_CERT.
@Suite("Database TLS")
struct DatabaseTLSTests {
    private func server(_ mode: DatabaseTLS.Mode, host: String = "127.0.0.1", trusting roots: String?) throws
        -> DatabaseURL
    {
        var url = try TestDatabase.serverURL()
        url.host = host
        url.tls = DatabaseTLS(mode: mode)
        if let roots { try url.tls.trustRoots(fromPEMFile: roots) }
        return url
    }

    private func clusterCA() throws -> String {
        try #require(TestDatabase.serverCertificateAuthority,
                     "EDTRIAGE_DATABASE_SSL_ROOT_CERT names the cluster's CA (source scripts/dev-env.sh)")
    }

    /// Whether the server sees this session as encrypted (pg_stat_ssl), asked over `url`.
    private func sessionIsEncrypted(_ url: DatabaseURL) async throws -> Bool {
        try await TestDatabase.withClient(url) { client in
            let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                                              logger: TestDatabase.logger).collect()
            return try rows.first?.decode(Bool.self) ?? false
        }
    }

    @Test("verify-full with the cluster's CA connects, by address and by name, and the session is encrypted")
    func verifyFull() async throws {
        let ca = try clusterCA()
        for host in ["127.0.0.1", "localhost"] {
            let url = try server(.verifyFull, host: host, trusting: ca)
            try await url.checkConnection(logger: TestDatabase.logger)
            #expect(try await sessionIsEncrypted(url))
        }
        #expect(try await sessionIsEncrypted(try server(.disable, trusting: nil)) == false)
    }

    @Test("a CA that did not sign the server's certificate is refused with a clear error, for verify-ca and verify-full")
    func wrongCertificateAuthority() async throws {
        let stranger = try TestCertificateAuthority.make(name: "Another CA")
        defer { stranger.remove() }
        for mode in [DatabaseTLS.Mode.verifyCA, .verifyFull] {
            let url = try server(mode, trusting: stranger.certificate.path)
            let error = await #expect(throws: DatabaseConnectionError.self) {
                try await url.checkConnection(logger: TestDatabase.logger)
            }
            let description = error?.description ?? ""
            #expect(description.contains("TLS handshake failed"), "\(description)")
            #expect(description.contains("sslmode=\(mode.rawValue)"))
            #expect(!description.contains("password"))
        }
        // require encrypts but, as in libpq, checks no certificate: the stranger CA does not matter.
        #expect(try await sessionIsEncrypted(try server(.require, trusting: stranger.certificate.path)))
    }

    @Test("a URL says how to reach a remote server; unknown and downgradable modes are refused")
    func urlModes() throws {
        #expect(try DatabaseURL("postgres://u@127.0.0.1/db").tls.mode == .disable)
        #expect(try DatabaseURL("postgres://u@db.hospital.example/db?sslmode=verify-full").tls.mode == .verifyFull)
        #expect(try DatabaseURL("postgres://u@db.hospital.example/db?sslmode=verify-ca").tls.mode == .verifyCA)
        for refused in ["postgres://u@db.hospital.example/db", "postgres://u@10.0.0.5/db",
                        "postgres://u@127.0.0.1/db?sslmode=prefer", "postgres://u@127.0.0.1/db?sslmode=allow"] {
            #expect(throws: DatabaseURL.ParseError.self, "\(refused)") { try DatabaseURL(refused) }
        }
    }

    @Test("a root certificate file that cannot be read or holds no certificate is refused, naming the file")
    func unusableRootCertificate() throws {
        var tls = DatabaseTLS(mode: .verifyFull)
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(UUID()).pem")
        try Data("-----BEGIN CERTIFICATE-----\ngarbage\n".utf8).write(to: notPEM)
        defer { try? FileManager.default.removeItem(at: notPEM) }
        for path in [notPEM.path, "/nonexistent/ca.pem"] {
            let error = #expect(throws: DatabaseURL.ParseError.self) { try tls.trustRoots(fromPEMFile: path) }
            #expect(error?.description.contains(path) == true)
        }
    }
}
