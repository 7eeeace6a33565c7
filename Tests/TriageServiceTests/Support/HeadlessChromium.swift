import Foundation
import Testing

/// Debian's `chromium` in headless mode, driven from the command line: load a URL, let the page run for a
/// budget of virtual time (timers advance at once; network waits are real), then dump the DOM or screenshot.
struct HeadlessChromium: Sendable {
    let executable: URL

    /// The `chromium` on PATH; a missing browser fails the test with the install command (no silent skip).
    static func find() throws -> HeadlessChromium {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("chromium")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return HeadlessChromium(executable: candidate) }
        }
        throw MissingBrowser()
    }

    struct MissingBrowser: Error, CustomStringConvertible {
        var description: String {
            "chromium is not on PATH: the board's browser tests need it (apt-get install chromium, or run scripts/test.sh)"
        }
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    /// The page's DOM after `budget` of virtual time.
    func dom(of url: URL, budget: Duration = .seconds(6)) async throws -> String {
        let output = try await run(["--virtual-time-budget=\(budget.milliseconds)", "--dump-dom", url.absoluteString])
        return String(decoding: output, as: UTF8.self)
    }

    /// Saves a PNG of the page at `width`×`height` after `budget` of virtual time.
    func screenshot(of url: URL, to file: URL, width: Int, height: Int, budget: Duration = .seconds(6)) async throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try await run(["--virtual-time-budget=\(budget.milliseconds)", "--window-size=\(width),\(height)",
                       "--hide-scrollbars", "--screenshot=\(file.path)", url.absoluteString])
    }

    /// Runs one headless session in a fresh profile (so session storage starts empty), killed after `timeout`.
    @discardableResult
    private func run(_ arguments: [String], timeout: Duration = .seconds(90)) async throws -> Data {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("edtriage-chromium-\(UUID())")
        let outputFile = profile.appendingPathExtension("out")
        FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: profile)
            try? FileManager.default.removeItem(at: outputFile)
        }
        let process = Process()
        process.executableURL = executable
        // Root (CI containers) cannot use Chromium's sandbox.
        let sandbox = getuid() == 0 ? ["--no-sandbox"] : []
        process.arguments = ["--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--no-default-browser-check", "--disable-extensions", "--user-data-dir=\(profile.path)"]
            + sandbox + arguments
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = FileHandle.nullDevice
        let exited = AsyncStream<Int32> { continuation in
            process.terminationHandler = { continuation.yield($0.terminationStatus); continuation.finish() }
        }
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            process.terminate()
        }
        var status: Int32 = -1
        for await code in exited { status = code }
        watchdog.cancel()
        guard status == 0 else { throw Failed(description: "chromium exited with \(status) for \(arguments)") }
        return try Data(contentsOf: outputFile)
    }
}

private extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
