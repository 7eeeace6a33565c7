import Foundation
import Testing
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

    /// Starts a long-running command (`serve`); the caller ends it.
    func start(_ arguments: [String]) throws -> ServiceProcess {
        try ServiceProcess(arguments, environment: environment)
    }

    func run(_ arguments: [String], stdin: Data? = nil) async throws -> Output {
        try await ExternalProgram.run(Self.executable.path, arguments, environment: environment, stdin: stdin)
    }

    /// A development token for `role` (`EDTRIAGE_AUTH_ALLOW_DEV_TOKENS` must be set in `environment`).
    func token(_ role: String) async throws -> String {
        try await run(["token", "--role", role] + configArguments).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `serve` with the configuration file, once `/readyz` on `port` answers 200 (within 2 minutes, room for a
    /// machine running every other suite); the caller terminates it.
    func serve(port: Int) async throws -> ServiceProcess {
        let service = try start(["serve"] + configArguments)
        var ready = false
        for _ in 0..<1_200 where !ready && service.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            ready = (try? await httpStatus("http://127.0.0.1:\(port)/readyz")) == 200
        }
        if !ready { try await service.stop() }
        try #require(ready, "serve did not become ready: \(service.account)")
        return service
    }

    /// Waits until something accepts TCP connections on `port` (the HL7 v2 listener) or 15 s pass.
    static func waitForListener(port: Int) async throws {
        var connected = false
        for _ in 0..<150 where !connected {
            try await Task.sleep(for: .milliseconds(100))
            connected = (try? await ExternalProgram.run("bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"]))?.status == 0
        }
        try #require(connected, "nothing listens on \(port)")
    }
}

/// A running `edtriage` command that serves until stopped.
///
/// Its output goes to a file: a pipe nobody reads would stall it once full, and the file tells how it ended. A
/// service that ends by itself before the test stops it is recorded as an issue with its exit and its log, so that
/// a crash is reported as one instead of as the failures it causes further on.
final class ServiceProcess {
    private let process: Process
    private let outputFile: URL
    private var stopRequested = false

    init(_ arguments: [String], environment: [String: String]) throws {
        outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("edtriage-\(UUID()).log")
        FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }
        process = try ExternalProgram.launch(CommandRunner.executable, arguments, environment: environment, stdin: nil,
                                             stdout: output, stderr: output)
    }

    deinit { try? FileManager.default.removeItem(at: outputFile) }

    var isRunning: Bool { process.isRunning }

    /// Exited with status 0 (after SIGTERM: a graceful shutdown).
    var exitedCleanly: Bool { !process.isRunning && process.terminationReason == .exit && process.terminationStatus == 0 }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Sends SIGTERM and waits up to `timeout` for the exit.
    func stop(within timeout: Duration = .seconds(30)) async throws {
        stopRequested = true
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
    }

    /// For `defer`: records an issue when the service had ended before being stopped, then stops it.
    func end(sourceLocation: SourceLocation = #_sourceLocation) {
        if !stopRequested && !process.isRunning {
            Issue.record("edtriage ended before the test stopped it: \(account)", sourceLocation: sourceLocation)
        }
        stopRequested = true
        if process.isRunning { process.terminate() }
    }

    /// How it ended, if it has, and the end of its log.
    var account: String {
        let ending = process.isRunning ? "still running"
            : process.terminationReason == .exit ? "exit status \(process.terminationStatus)"
            : "killed by signal \(process.terminationStatus)"
        let log = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        return "\(ending); its log ends:\n\(log.suffix(6_000))"
    }
}

/// A program found on PATH (or named by path), run to its end.
///
/// Its output goes to temporary files and the wait is a sleep loop: blocking reads or `waitUntilExit` would
/// hold one of the test process's few cooperative threads for as long as the program runs.
enum ExternalProgram {
    static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil,
                    stdin: Data? = nil) async throws -> CommandRunner.Output {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("program-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (outURL, errURL) = (folder.appendingPathComponent("stdout"), folder.appendingPathComponent("stderr"))
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let (out, err) = (try FileHandle(forWritingTo: outURL), try FileHandle(forWritingTo: errURL))
        defer { try? out.close(); try? err.close() }

        let process = try launch(URL(fileURLWithPath: "/usr/bin/env"), [program] + arguments, environment: environment,
                                 stdin: stdin, stdout: out, stderr: err)
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        return CommandRunner.Output(status: process.terminationStatus,
                                    stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                                    stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Starts `executable` in the package root; `stdin` is written to it and closed.
    static func launch(_ executable: URL, _ arguments: [String], environment: [String: String]?, stdin: Data?,
                       stdout: Any, stderr: Any) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.currentDirectoryURL = CommandRunner.packageRoot
        process.standardOutput = stdout
        process.standardError = stderr
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        return process
    }
}

extension DatabaseURL {
    var urlWithPassword: String {
        "postgres://\(username)\(password.map { ":\($0)" } ?? "")@\(host):\(port)/\(database)"
    }
}
