import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TriageStore
import TriageStoreTestSupport

/// The `edtriage` commands, run as real processes against a real PostgreSQL.
@Suite struct CLITests {
    static let validArrival = #"{"source":"cli-test","external_id":"E1","patient_ref":"MRN-SECRET-1","age":{"years":58},"sex":"M","arrival_mode":"walk-in","chief_complaint":"chest pain","note":"Crushing chest pain, very private note","vitals":{"hr":96,"rr":18,"sbp":148,"dbp":92,"spo2":97}}"#
    static let impossibleVitals = #"{"source":"cli-test","external_id":"E2","patient_ref":"MRN-SECRET-2","age":{"years":40},"sex":"F","arrival_mode":"walk-in","chief_complaint":"dizzy","note":"another private note","vitals":{"hr":400}}"#

    @Test func ingestAcceptsValidLinesAndRejectsTheRestWritingNothingForThem() async throws {
        try await TestDatabase.with { database in
            let cli = CommandRunner(database: database)
            let input = [Self.validArrival, "{not json", Self.impossibleVitals, ""].joined(separator: "\n")
            let first = try await cli.run(["ingest", "-"] + cli.configArguments, stdin: Data(input.utf8))
            #expect(first.status == 2)
            #expect(first.stdout.contains("accepted 1, duplicates 0, rejected 2"))
            #expect(first.stderr.contains("line 2: malformed JSON"))
            #expect(first.stderr.contains("line 3: vitals.hr"))
            for secret in ["MRN-SECRET", "private note", "Crushing"] {
                #expect(!first.stderr.contains(secret) && !first.stdout.contains(secret))
            }
            #expect(try await database.count("arrivals") == 1)

            let again = try await cli.run(["ingest", "-"] + cli.configArguments, stdin: Data(Self.validArrival.utf8))
            #expect(again.status == 0)
            #expect(again.stdout.contains("accepted 0, duplicates 1, rejected 0"))
            #expect(try await database.count("arrivals") == 1)
        }
    }

    @Test func migrateAppliesOnceThenReportsCurrent() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let cli = CommandRunner(database: database)
            let first = try await cli.run(["migrate"] + cli.configArguments)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("applied 0001_"))
            let second = try await cli.run(["migrate"] + cli.configArguments)
            #expect(second.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "schema is current")
        }
    }

    @Test func verifyAuditReportsIntactChainThenTheTamperedRow() async throws {
        try await TestDatabase.with { database in
            let cli = CommandRunner(database: database)
            _ = try await cli.run(["ingest", "-"] + cli.configArguments, stdin: Data(Self.validArrival.utf8))
            let intact = try await cli.run(["verify-audit"] + cli.configArguments)
            #expect(intact.status == 0)
            #expect(intact.stdout.contains("audit chain links intact: 1 rows"))
            #expect(intact.stdout.contains("no signed checkpoints configured"))

            try await database.ownerQuery("""
                SET session_replication_role = replica;
                UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1
                """)
            let broken = try await cli.run(["verify-audit"] + cli.configArguments)
            #expect(broken.status != 0)
            #expect(broken.stdout.contains("BROKEN at seq 1"))
        }
    }

    /// `serve` writes signed checkpoints as it audits; after the newest rows are deleted behind the triggers'
    /// back, `verify-audit` still finds every remaining link valid, and fails on the checkpoint.
    @Test func verifyAuditComparesTheChainWithTheSignedCheckpoints() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-checkpoints-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoints = folder.appendingPathComponent("checkpoints.jsonl")
        let keyFile = folder.appendingPathComponent("checkpoint.key")
        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedData().write(to: keyFile)
        try await TestDatabase.with { database in
            var cli = CommandRunner(database: database, port: TestPorts.random())
            cli.environment["EDTRIAGE_AUDIT_CHECKPOINT_FILE"] = checkpoints.path
            cli.environment["EDTRIAGE_AUDIT_CHECKPOINT_KEY_FILE"] = keyFile.path
            let service = try cli.start(["serve"] + cli.configArguments)
            defer { service.end() }
            _ = try await cli.run(["ingest", "-"] + cli.configArguments, stdin: Data(Self.validArrival.utf8))
            for _ in 0..<100 where try await database.count("arrivals", where: "state = 'done'") < 1 {
                try await Task.sleep(for: .milliseconds(100))
            }
            try await service.stop()
            let head = try await database.count("audit_log")
            let intact = try await cli.run(["verify-audit"] + cli.configArguments)
            #expect(intact.status == 0, "\(intact.stdout)")
            #expect(intact.stdout.contains("matches the checkpoint of seq \(head)"))

            // An auditor's host holds a copy of the checkpoints and the public key only.
            let publicKey = folder.appendingPathComponent("checkpoint.pub")
            try Data(try await cli.run(["verify-audit", "--print-public-key"] + cli.configArguments).stdout.utf8)
                .write(to: publicKey)
            var auditor = cli
            auditor.environment["EDTRIAGE_AUDIT_CHECKPOINT_FILE"] = nil
            auditor.environment["EDTRIAGE_AUDIT_CHECKPOINT_KEY_FILE"] = nil
            let withPublicKey = ["verify-audit", "--checkpoint-file", checkpoints.path, "--public-key", publicKey.path]
                + cli.configArguments
            let audited = try await auditor.run(withPublicKey)
            #expect(audited.status == 0 && audited.stdout.contains("matches the checkpoint of seq \(head)"),
                    "\(audited.stdout)\(audited.stderr)")
            let strangerKey = folder.appendingPathComponent("stranger.pub")
            try Data(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation.base64EncodedString().utf8).write(to: strangerKey)
            let forged = try await auditor.run(["verify-audit", "--checkpoint-file", checkpoints.path,
                                                "--public-key", strangerKey.path] + cli.configArguments)
            #expect(forged.status != 0 && forged.stdout.contains("not a checkpoint signed by this key"), "\(forged.stdout)")

            try await database.ownerQuery("""
                SET session_replication_role = replica;
                DELETE FROM audit_log WHERE seq = \(head)
                """)
            for command in [["verify-audit"] + cli.configArguments, withPublicKey] {
                let truncated = try await cli.run(command)
                #expect(truncated.status != 0)
                #expect(truncated.stdout.contains("audit chain links intact: \(head - 1) rows"))
                #expect(truncated.stdout.contains("audit checkpoint MISMATCH"))
            }
        }
    }

    @Test func scoreExplainsOneArrivalOfflineAndRejectsImpossibleVitals() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let cli = CommandRunner(database: database)
            let scored = try await cli.run(["score", "-"], stdin: Data(Self.validArrival.utf8))
            #expect(scored.status == 0, "\(scored.stderr)")
            #expect(scored.stdout.hasPrefix("ESI 2 (emergent), decision point B"))
            #expect(scored.stdout.contains("NEWS2"))

            let rejected = try await cli.run(["score", "-"], stdin: Data(Self.impossibleVitals.utf8))
            #expect(rejected.status != 0)
            #expect(rejected.stderr.contains("vitals.hr"))
        }
    }

    @Test func evalPrintsMachineReadableMetrics() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let cli = CommandRunner(database: database)
            let cases = CommandRunner.packageRoot.deletingLastPathComponent()
                .appendingPathComponent("shared/clinical/vignettes.jsonl").path
            let result = try await cli.run(["eval", "--cases", cases, "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(json["count"] as? Int == 30)
            #expect((json["confusion_matrix"] as? [[Int]])?.count == 5)
        }
    }

    /// `model info` describes a vision tower (mmproj) as well as a text model, and names a broken file's defect.
    @Test func modelInfoDescribesAVisionTower() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let cli = CommandRunner(database: database)
            let mmproj = CommandRunner.packageRoot.appendingPathComponent("Tests/GemmaEngineTests/Fixtures/vision/tiny-mmproj-f16.gguf")
            let info = try await cli.run(["model", "info", "--model", mmproj.path])
            #expect(info.status == 0, "\(info.stderr)")
            #expect(info.stdout.contains("clip.projector_type = \"gemma3\""))
            #expect(info.stdout.contains("""
                vision tower (gemma3 projector): 112 px images, 14 px patches (8 × 8), 2 blocks of width 64, 4 heads, \
                MLP 128; pooled 4 × 4 to 4 tokens per image, projected to 640 (pairs with a text model of embedding length 640)
                """))
            let notAModel = try await cli.run(["model", "info", "--model", CommandRunner.packageRoot.appendingPathComponent("README.md").path])
            #expect(notAModel.status != 0)
            #expect(notAModel.stderr.contains("not a GGUF file"))
        }
    }

    /// `model generate --image` puts the image's soft tokens into the prompt as llama.cpp lays them out (19
    /// positions for this prompt and tower, as in the fixtures' manifest); bad images get a clear error.
    @Test func modelGenerateReadsAnImage() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let cli = CommandRunner(database: database)
            let vision = CommandRunner.packageRoot.appendingPathComponent("Tests/GemmaEngineTests/Fixtures/vision")
            let tower = ["--mmproj", vision.appendingPathComponent("tiny-mmproj-f16.gguf").path]
            let image = ["--image", vision.appendingPathComponent("square-40x40.png").path]
            let generated = try await cli.run(["model", "generate", "--chat", "--prompt", "Describe the image.", "-n", "2"]
                                              + tower + image)
            #expect(generated.status == 0, "\(generated.stderr)")
            #expect(generated.stderr.contains("prompt: 19 tokens"))
            #expect(!generated.stdout.isEmpty)

            let withoutTower = try await cli.run(["model", "generate", "--prompt", "x"] + image)
            #expect(withoutTower.stderr.contains("--image needs --mmproj"))
            let notAnImage = try await cli.run(["model", "generate", "--prompt", "x", "--image",
                                                CommandRunner.packageRoot.appendingPathComponent("README.md").path] + tower)
            #expect(notAnImage.status != 0)
            #expect(notAnImage.stderr.contains("unsupported image: not a JPEG, PNG or WebP image"))
            let tooLarge = try await cli.run(["model", "generate", "--prompt", "x", "--max-image-pixels", "100"] + tower + image)
            #expect(tooLarge.stderr.contains("image of 40 × 40 pixels exceeds the limit of 100 pixels"))
        }
    }

    /// `score --mmproj` reads the arrival's images with the note (the sample laceration carries a photo), and
    /// `model info --mmproj` says whether the model can read images.
    @Test func scoreReadsTheArrivalsImages() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let cli = CommandRunner(database: database)
            let tower = CommandRunner.packageRoot.appendingPathComponent("Tests/GemmaEngineTests/Fixtures/vision/tiny-mmproj-f16.gguf").path
            let samples = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("samples/arrivals.ndjson"),
                                     encoding: .utf8)
            let laceration = try #require(samples.split(separator: "\n").first { $0.contains("\"images\"") })
            let model = ["--model", TestModel.path, "--rationale-tokens", "0"]
            let scored = try await cli.run(["score", "-", "--mmproj", tower] + model, stdin: Data(laceration.utf8))
            #expect(scored.status == 0, "\(scored.stderr)")
            #expect(scored.stdout.contains("Model (scored):"))
            #expect(scored.stdout.contains("image 1: analysed (sha256 "))
            let textOnly = try await cli.run(["score", "-"] + model, stdin: Data(laceration.utf8))
            #expect(textOnly.stdout.contains("image 1: not analysed: no vision model is configured (sha256 "))

            let info = try await cli.run(["model", "info", "--model", TestModel.path, "--mmproj", tower])
            #expect(info.stdout.contains("vision: available: vision tower (gemma3 projector): 112 px images"))
            let broken = try await cli.run(["model", "info", "--model", TestModel.path, "--mmproj",
                                            CommandRunner.packageRoot.appendingPathComponent("README.md").path])
            #expect(broken.stdout.contains("vision: unavailable: vision model README.md unavailable: "))
        }
    }

    /// `serve` comes up, answers, and on SIGTERM shuts down cleanly (HTTP first, database last).
    @Test func serveAnswersAndStopsGracefullyOnSIGTERM() async throws {
        try await TestDatabase.with { database in
            let port = TestPorts.random()
            let cli = CommandRunner(database: database, port: port)
            let service = try cli.start(["serve"] + cli.configArguments)
            defer { service.end() }
            var status: Int?
            for _ in 0..<100 where status == nil {
                try await Task.sleep(for: .milliseconds(100))
                status = try? await httpStatus("http://127.0.0.1:\(port)/healthz")
            }
            #expect(status == 200)
            try await service.stop(within: .seconds(10))
            #expect(service.exitedCleanly, "\(service.account)")
        }
    }

    /// `serve` over HTTPS, checked with curl: trusted only through the site's CA, no plain HTTP on the port,
    /// a renewed certificate served after SIGHUP without a restart, a broken renewal leaving the last good one,
    /// and a key that is not the certificate's refused at start.
    @Test func serveSpeaksHTTPSAndReloadsItsCertificateOnSIGHUP() async throws {
        let authority = try TestCertificateAuthority.make()
        defer { authority.remove() }
        let certificateFile = authority.folder.appendingPathComponent("server.crt")
        let keyFile = authority.folder.appendingPathComponent("server.key")
        let strayKey = authority.folder.appendingPathComponent("stray.key")
        try authority.issue(commonName: "stray", certificateFile: authority.folder.appendingPathComponent("stray.crt"),
                            keyFile: strayKey)
        try authority.issue(commonName: "edtriage-first", certificateFile: certificateFile, keyFile: keyFile)
        try await TestDatabase.with { database in
            let port = TestPorts.random()
            var cli = CommandRunner(database: database, port: port)
            cli.environment["EDTRIAGE_HTTP_TLS_CERTIFICATE_FILE"] = certificateFile.path
            cli.environment["EDTRIAGE_HTTP_TLS_KEY_FILE"] = strayKey.path
            let refused = try await cli.run(["serve", "--no-worker"] + cli.configArguments)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("is not the private key of \(certificateFile.path)"), "\(refused.stderr)")

            cli.environment["EDTRIAGE_HTTP_TLS_KEY_FILE"] = keyFile.path
            let service = try cli.start(["serve", "--no-worker"] + cli.configArguments)
            defer { service.end() }
            let url = "https://127.0.0.1:\(port)/healthz"
            func served(_ name: String) async throws -> Bool {
                for _ in 0..<100 {
                    let answer = try await Curl.get(url, trusting: authority.certificate)
                    if answer.status == 200 && answer.verbose.contains("CN=\(name)") { return true }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return false
            }
            #expect(try await served("edtriage-first"))
            #expect(try await Curl.get(url, trusting: nil).status == 0, "not trusted without the site's CA")
            #expect(try await Curl.get("http://127.0.0.1:\(port)/healthz", trusting: nil).status == 0)

            try authority.issue(commonName: "edtriage-renewed", certificateFile: certificateFile, keyFile: keyFile)
            service.signal(SIGHUP)
            #expect(try await served("edtriage-renewed"))

            try Data("not a key".utf8).write(to: keyFile)
            service.signal(SIGHUP)
            try await Task.sleep(for: .milliseconds(500))
            #expect(service.isRunning)
            #expect(try await served("edtriage-renewed"))

            try await service.stop(within: .seconds(10))
            #expect(service.exitedCleanly, "\(service.account)")
        }
    }

    @Test func serveRefusesToStartOnADatabaseWithoutTheMigrations() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let cli = CommandRunner(database: database, port: TestPorts.random())
            let result = try await cli.run(["serve"] + cli.configArguments)
            #expect(result.status != 0)
            #expect(result.stderr.contains("migrations not applied: 0001_"))
        }
    }

    /// Off by default (production), `token` mints nothing; allowed (development), each mint is audited.
    @Test func tokenMintsAJWTTheServiceAcceptsOnlyWhereDevelopmentTokensAreAllowed() async throws {
        try await TestDatabase.with { database in
            let port = TestPorts.random()
            var cli = CommandRunner(database: database, port: port)
            let refused = try await cli.run(["token", "--role", "admin"] + cli.configArguments)
            #expect(refused.status != 0)
            #expect(refused.stdout.isEmpty)
            #expect(refused.stderr.contains("auth.allow_dev_tokens"), "\(refused.stderr)")
            #expect(try await database.count("audit_log", where: "action = 'token.minted'") == 0)

            cli.environment["EDTRIAGE_AUTH_ALLOW_DEV_TOKENS"] = "true"
            let token = try await cli.run(["token", "--role", "dashboard"] + cli.configArguments)
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.split(separator: ".").count == 3)
            let minted = try await database.ownerQuery(
                "SELECT actor || ' ' || entity_id || ' ' || (after->>'role') FROM audit_log WHERE action = 'token.minted'")
            #expect(minted == ["os:\(ProcessInfo.processInfo.userName) dev-dashboard dashboard"])
            let service = try cli.start(["serve", "--no-worker"] + cli.configArguments)
            defer { service.end() }
            var status: Int?
            for _ in 0..<100 where status != 200 {
                try await Task.sleep(for: .milliseconds(100))
                status = try? await httpStatus("http://127.0.0.1:\(port)/v1/worklist", bearer: token)
            }
            #expect(status == 200)
            #expect(try await httpStatus("http://127.0.0.1:\(port)/v1/worklist", bearer: token + "x") == 401)
        }
    }
}

/// The status code of a GET, over a real socket.
func httpStatus(_ url: String, bearer: String? = nil) async throws -> Int {
    try await httpRequest(url, bearer: bearer).status
}

/// One request over a real socket: the status, the response's Content-Type and ETag, and the body.
func httpRequest(_ url: String, method: String = "GET", bearer: String? = nil, headers: [String: String] = [:],
                 body: Data? = nil) async throws -> (status: Int, contentType: String?, eTag: String?, body: Data) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpBody = body
    if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as? HTTPURLResponse
    return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "Content-Type"), http?.value(forHTTPHeaderField: "ETag"), data)
}

/// curl, a client nobody here wrote, for what URLSession on Linux cannot do: trust one CA file.
enum Curl {
    /// The status (0 when no HTTP answer came, e.g. an untrusted certificate) and curl's verbose log,
    /// which names the certificate's subject.
    static func get(_ url: String, trusting authority: URL?) async throws -> (status: Int, verbose: String) {
        let result = try await ExternalProgram.run(
            "curl", ["-sS", "-v", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}"]
                + (authority.map { ["--cacert", $0.path] } ?? []) + [url])
        return (Int(result.stdout) ?? 0, result.stderr)
    }
}
