import Foundation

/// A throw-away CA, and server certificates it signs for 127.0.0.1 and localhost, made with the openssl
/// command line as a site's own CA would make them.
public struct TestCertificateAuthority: Sendable {
    public let folder: URL
    public var certificate: URL { folder.appendingPathComponent("ca.crt") }
    private var key: URL { folder.appendingPathComponent("ca.key") }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func make(name: String = "EDTriage test CA") throws -> TestCertificateAuthority {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let authority = TestCertificateAuthority(folder: folder)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                     "-subj", "/CN=\(name)", "-keyout", authority.key.path, "-out", authority.certificate.path])
        return authority
    }

    /// A server certificate for 127.0.0.1 and localhost named `commonName`, and its key, written to
    /// `certificateFile` and `keyFile` (replacing what is there, as a renewal does).
    public func issue(commonName: String, certificateFile: URL, keyFile: URL) throws {
        let request = folder.appendingPathComponent("\(UUID()).csr")
        let extensions = folder.appendingPathComponent("\(UUID()).ext")
        try Data("subjectAltName = DNS:localhost, IP:127.0.0.1\nextendedKeyUsage = serverAuth\n".utf8).write(to: extensions)
        try Self.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                          "-subj", "/CN=\(commonName)", "-keyout", keyFile.path, "-out", request.path])
        try Self.openssl(["x509", "-req", "-in", request.path, "-CA", certificate.path, "-CAkey", key.path,
                          "-CAcreateserial", "-days", "1", "-extfile", extensions.path, "-out", certificateFile.path])
    }

    public func remove() { try? FileManager.default.removeItem(at: folder) }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "openssl \(arguments.first ?? "") failed with status \(process.terminationStatus)")
        }
    }
}
