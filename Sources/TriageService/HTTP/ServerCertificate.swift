import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The API's TLS certificate chain and private key, read from PEM files (`http.tls.certificate_file`,
/// `http.tls.key_file`) and read again on SIGHUP, so a renewed certificate takes effect at the next
/// handshake without restarting the service or dropping the boards' open connections.
final class ServerCertificate: Sendable {
    struct Files: Sendable, Equatable {
        var certificate: String
        var key: String
    }

    /// Why a certificate or key cannot be used; NIOSSL's own errors do not name the file.
    struct Unusable: Error, CustomStringConvertible {
        let file: String
        let reason: String
        var description: String { "TLS: \(file): \(reason)" }
    }

    private struct Identity: Sendable {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
    }

    let files: Files
    private let current: Mutex<Identity>

    init(files: Files) throws {
        self.files = files
        current = Mutex(try Self.load(files))
    }

    /// Reads both files again. On failure the certificate in use stays in use and the error says why.
    func reload() throws {
        let identity = try Self.load(files)
        current.withLock { $0 = identity }
    }

    /// Server settings (TLS 1.2 or later) whose every handshake presents the certificate loaded last.
    var tlsConfiguration: TLSConfiguration {
        let identity = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: identity.chain.map { .certificate($0) }, privateKey: .privateKey(identity.key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.sslContextCallback = { [self] _, promise in
            let identity = self.current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = identity.chain.map { .certificate($0) }
            override.privateKey = .privateKey(identity.key)
            promise.succeed(override)
        }
        return configuration
    }

    private static func load(_ files: Files) throws -> Identity {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        } catch {
            throw Unusable(file: files.certificate, reason: "not a readable PEM certificate chain")
        }
        guard !chain.isEmpty else { throw Unusable(file: files.certificate, reason: "holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw Unusable(file: files.key, reason: "not a readable PEM private key")
        }
        // A context refuses a key that is not the certificate's (BoringSSL checks the pair).
        do {
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        } catch {
            throw Unusable(file: files.key, reason: "is not the private key of \(files.certificate)")
        }
        return Identity(chain: chain, key: key)
    }
}

/// Reads the API's certificate again on each SIGHUP (what `systemctl reload` and renewal hooks send).
struct CertificateReloader: Service {
    let certificate: ServerCertificate
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                try certificate.reload()
                logger.info("TLS certificate reloaded")
            } catch {
                logger.error("TLS certificate not reloaded; the one in use stays", metadata: ["reason": "\(error)"])
            }
        }
    }
}
