import Foundation
import Testing
import TriageStore
import TriageStoreTestSupport

/// The `openai` backend against llama.cpp's own OpenAI-compatible server (`python -m llama_cpp.server`
/// from llama-cpp-python, serving the bundled GGUF on loopback), end to end through `edtriage serve`:
/// the service starts while the server is down, scores once it comes up, reads the same level
/// distribution as the embedded engine, times out on a server that hangs, and recovers when it answers again.
struct LlamaServerTests {
    /// A running `llama_cpp.server` on `port`; `stop()` kills it, `pause()`/`resume()` hang and wake it.
    final class LlamaServer: @unchecked Sendable {
        let process: Process

        init(port: Int) async throws {
            let python = try #require(ProcessInfo.processInfo.environment["EDTRIAGE_LLAMA_SERVER_PYTHON"],
                                      "scripts/test.sh builds llama-cpp-python's server and sets EDTRIAGE_LLAMA_SERVER_PYTHON")
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("llama-server-\(UUID()).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let output = try FileHandle(forWritingTo: log)
            process = try ExternalProgram.launch(
                URL(fileURLWithPath: python),
                ["-m", "llama_cpp.server", "--model", TestModel.path, "--model_alias", "gemma-3-270m",
                 "--host", "127.0.0.1", "--port", String(port), "--n_ctx", "2048", "--n_threads", "2",
                 "--verbose", "false"],
                environment: nil, stdin: nil, stdout: output, stderr: output)
            var up = false
            for _ in 0..<600 where !up && process.isRunning {
                try await Task.sleep(for: .milliseconds(100))
                up = (try? await httpRequest("http://127.0.0.1:\(port)/v1/models").status) == 200
            }
            if !up { process.terminate() }
            let said = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).suffix(2_000)
            try #require(up, "llama_cpp.server did not start: \(said)")
        }

        /// A test that fails half-way leaves no server behind.
        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        func pause() { kill(process.processIdentifier, SIGSTOP) }
        func resume() { kill(process.processIdentifier, SIGCONT) }

        func stop() async throws {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        }
    }

    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The board's first row, as JSON, once `done` holds for it (or after 180 s).
    static func row(_ base: String, token: String, until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        var row: [String: Any] = [:]
        for _ in 0..<1_800 {
            let board = try await httpRequest(base + "/v1/worklist", bearer: token)
            row = (try Self.json(board.body)["rows"] as? [[String: Any]])?.first ?? [:]
            if done(row) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return row
    }

    static func modelStatus(_ row: [String: Any]) -> String? { row["model_status"] as? String }

    /// Whether the board holds `rows` rows, each with its model assessment scored, within 3 minutes.
    static func allScored(_ base: String, token: String, rows: Int) async throws -> Bool {
        for _ in 0..<1_800 {
            let board = try Self.json(try await httpRequest(base + "/v1/worklist", bearer: token).body)
            let statuses = (board["rows"] as? [[String: Any]] ?? []).map(Self.modelStatus)
            if statuses.count == rows && statuses.allSatisfy({ $0 == "scored" }) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func serviceScoresThroughLlamaCppsServerAndRecoversWhenItComesBack() async throws {
        try await TestDatabase.with { database in
            let (port, llamaPort) = (TestPorts.random(), TestPorts.random())
            var cli = CommandRunner(database: database, port: port)
            cli.environment["EDTRIAGE_AUTH_ALLOW_DEV_TOKENS"] = "true"
            cli.environment["EDTRIAGE_MODEL_BACKEND"] = "openai"
            cli.environment["EDTRIAGE_MODEL_OPENAI_URL"] = "http://127.0.0.1:\(llamaPort)"
            cli.environment["EDTRIAGE_MODEL_OPENAI_MODEL"] = "gemma-3-270m"
            // Generous while scoring: a machine running every other suite slows the server many times over.
            cli.environment["EDTRIAGE_MODEL_OPENAI_TIMEOUT_MS"] = "180000"
            cli.environment["EDTRIAGE_MODEL_OPENAI_MAX_ATTEMPTS"] = "1"
            cli.environment["EDTRIAGE_MODEL_OPENAI_BREAKER_COOLDOWN_MS"] = "500"
            cli.environment["EDTRIAGE_WORKER_BACKOFF_BASE_MS"] = "200"
            cli.environment["EDTRIAGE_WORKER_BACKOFF_CAP_MS"] = "1000"
            cli.environment["EDTRIAGE_WORKER_MAX_ATTEMPTS"] = "20"
            let nurse = try await cli.token("nurse")
            var service = try await cli.serve(port: port)
            defer { service.end() }
            let base = "http://127.0.0.1:\(port)"

            // The server is down: the rules' level is on the board, the model lane says why it waits.
            let arrival = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("samples/arrivals.ndjson"),
                                     encoding: .utf8).split(separator: "\n")[0]
            _ = try await cli.run(["ingest", "-"] + cli.configArguments, stdin: Data((arrival + "\n").utf8))
            let waiting = try await Self.row(base, token: nurse) {
                ($0["model_note"] as? String)?.contains("model server unreachable") == true
            }
            #expect(waiting["proposed_level"] != nil && Self.modelStatus(waiting) != "scored", "\(waiting)")

            // Up: the waiting arrival is scored, as the embedded engine scores it.
            let server = try await LlamaServer(port: llamaPort)
            let scored = try await Self.row(base, token: nurse) { Self.modelStatus($0) == "scored" }
            #expect(Self.modelStatus(scored) == "scored", "\(scored)")
            let assessmentID = try #require(scored["assessment_id"] as? Int)
            let record = try Self.json(try await httpRequest(base + "/v1/assessments/\(assessmentID)", bearer: nurse).body)
            let model = try #require((record["assessment"] as? [String: Any])?["model"] as? [String: Any])
            let served = try #require(model["raw_distribution"] as? [Double])
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("arrival-\(UUID()).json")
            try Data(arrival.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let embedded = try await cli.run(["score", file.path, "--json", "--model", TestModel.path,
                                              "--rationale-tokens", "0"])
            let local = try #require(((try Self.json(Data(embedded.stdout.utf8))["model"]) as? [String: Any])?["raw_distribution"]
                as? [Double])
            // Same model, same prompt tokens, two engines: the same distribution up to kernel rounding.
            for (theirs, ours) in zip(served, local) { #expect(abs(theirs - ours) < 0.03, "\(served) vs \(local)") }
            // Decoded by the server within the rationale's grammar, then checked here against the schema.
            #expect(model["rationale"] != nil, "\(model["rationale_error"] ?? "")")

            // Hung: the service again, with a short timeout; the request times out and the job is retried.
            try await service.stop()
            cli.environment["EDTRIAGE_MODEL_OPENAI_TIMEOUT_MS"] = "10000"
            service = try await cli.serve(port: port)
            func arrive(_ suffix: String) async throws {
                _ = try await cli.run(["ingest", "-"] + cli.configArguments,
                                      stdin: Data((arrival.replacingOccurrences(of: "A1001", with: "A1001-\(suffix)") + "\n").utf8))
            }
            // Once this process's lane has calibrated and scores, the server hangs.
            try await arrive("2")
            #expect(try await Self.allScored(base, token: nurse, rows: 2))
            server.pause()
            try await arrive("3")
            var retries = 0.0
            for _ in 0..<600 where retries < 1 {
                try await Task.sleep(for: .milliseconds(200))
                let metrics = String(decoding: try await httpRequest(base + "/metrics").body, as: UTF8.self)
                let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"edtriage_model_failures_total{outcome="retry"}"#) }
                retries = (line?.split(separator: " ").last).flatMap { Double($0) } ?? 0
            }
            #expect(retries >= 1, "a timed-out request is retried")
            server.resume()
            #expect(try await Self.allScored(base, token: nurse, rows: 3), "every arrival scored once the server answers again")
            try await server.stop()
        }
    }
}
