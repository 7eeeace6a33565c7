import Foundation
import Testing
import TriageStoreTestSupport

/// The API against its OpenAPI document, judged by schemathesis, a client nobody here wrote. From the document
/// it generates valid and invalid requests and checks every answer: no server error, only documented status
/// codes, content types, headers and bodies, invalid input refused and valid input accepted, authentication
/// never ignored, 405 with a truthful Allow for undeclared methods. It runs with every check, once per role and
/// once without a token, against `serve` on a database holding the sample patients; the few answers the schema
/// cannot predict (a stale If-Match, vitals impossible together) are listed in Tests/Conformance/schemathesis.toml.
struct SchemathesisTests {
    static let roles = ["dashboard", "nurse", "physician", "admin", "intake"]

    @Test func everyRoleGetsOnlyDocumentedAnswers() async throws {
        let schemathesis = try #require(ProcessInfo.processInfo.environment["EDTRIAGE_SCHEMATHESIS"],
                                        "scripts/test.sh installs schemathesis and sets EDTRIAGE_SCHEMATHESIS")
        try await TestDatabase.with { database in
            let port = TestPorts.random()
            var cli = CommandRunner(database: database, port: port)
            cli.environment["EDTRIAGE_AUTH_ALLOW_DEV_TOKENS"] = "true"
            let ingest = try await cli.run(["ingest", "samples/arrivals.ndjson"] + cli.configArguments)
            #expect(ingest.status == 0, "\(ingest.stderr)")
            let service = try await cli.serve(port: port)
            defer { service.end() }

            for role in [nil] + Self.roles {
                var headers: [String] = []
                if let role {
                    let token = try await cli.run(["token", "--role", role] + cli.configArguments)
                    headers = ["--header", "Authorization: Bearer \(token.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"]
                }
                let run = try await ExternalProgram.run(schemathesis, [
                    "--config-file", "Tests/Conformance/schemathesis.toml", "--no-color",
                    "run", "Sources/TriageService/Resources/openapi.yaml", "--url", "http://127.0.0.1:\(port)",
                    "--checks", "all", "--max-examples", "25", "--seed", "20261203", "--workers", "1",
                    "--generation-database", "none",
                ] + headers)
                #expect(run.status == 0, "schemathesis as \(role ?? "anonymous"):\n\(run.stdout.suffix(8000))\(run.stderr)")
            }
        }
    }
}
