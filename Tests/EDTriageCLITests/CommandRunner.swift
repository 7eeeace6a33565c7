import Foundation
import TriageStore
import TriageStoreTestSupport

/// Runs the built `edtriage` executable as a real process, the way an operator or a script would.
struct CommandRunner {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The package root, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `edtriage` sits beside the test bundle in the build folder (`swift build --build-tests` builds it).
    static let executable: URL = {
        let testBinary = Bundle.main.executableURL ?? Bundle.main.bundleURL
        let buildFolder = testBinary.deletingLastPathComponent()
        for candidate in [buildFolder, buildFolder.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("edtriage")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return buildFolder.appendingPathComponent("edtriage")
    }()

    var environment: [String: String]

    /// The service configured against `database`, with a test JWT secret.
    init(database: TestDatabase, port: Int? = nil) {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("EDTRIAGE_") }
        environment["EDTRIAGE_DATABASE_URL"] = database.appURL.urlWithPassword
        environment["EDTRIAGE_DATABASE_MIGRATION_URL"] = database.ownerURL.urlWithPassword
        environment["EDTRIAGE_DATABASE_MIGRATIONS_PATH"] = Self.packageRoot.appendingPathComponent("Migrations").path
        environment["EDTRIAGE_AUTH_HS256_SECRET"] = "cli-test-secret-0123456789abcdef"
        environment["EDTRIAGE_HTTP_PORT"] = port.map(String.init)
        environment["EDTRIAGE_LOG_LEVEL"] = "warning"
        self.environment = environment
    }

    /// The configuration file every invocation names.
    var configArguments: [String] { ["--config", Self.packageRoot.appendingPathComponent("config/edtriage.yaml").path] }

    func start(_ arguments: [String], stdin: Data? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = Self.packageRoot
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        return (process, out, err)
    }

    func run(_ arguments: [String], stdin: Data? = nil) async throws -> Output {
        let (process, out, err) = try start(arguments, stdin: stdin)
        async let stdout = out.fileHandleForReading.readToEnd()
        async let stderr = err.fileHandleForReading.readToEnd()
        let (outData, errData) = try await (stdout, stderr)
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: outData ?? Data(), as: UTF8.self),
                      stderr: String(decoding: errData ?? Data(), as: UTF8.self))
    }
}

extension DatabaseURL {
    var urlWithPassword: String {
        "postgres://\(username)\(password.map { ":\($0)" } ?? "")@\(host):\(port)/\(database)"
    }
}
