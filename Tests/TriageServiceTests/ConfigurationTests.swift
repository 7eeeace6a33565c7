import Configuration
import Foundation
import Testing
@testable import TriageService

@Suite struct ConfigurationTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let yamlPath = repositoryRoot.appendingPathComponent("config/edtriage.yaml").path

    @Test func defaultsLoadWithoutAFile() async throws {
        let configuration = try await ServiceConfiguration.load(file: nil, environment: [:])
        #expect(configuration.http.port == 8080)
        #expect(configuration.triage.reassessmentMinutes[.emergent] == 15)
        #expect(configuration.database.url.username == "edtriage_app")
        #expect(configuration.auth.hs256Secret == nil)
        #expect(configuration.logLevel == .info)
        #expect(configuration.triage.rationaleLanguage == .english)
    }

    @Test func environmentOverridesTheFile() async throws {
        let configuration = try await ServiceConfiguration.load(file: Self.yamlPath, environment: [
            "EDTRIAGE_HTTP_PORT": "9090",
            "EDTRIAGE_DATABASE_URL": "postgres://someone:pw@db.local:6543/triage?sslmode=disable",
            "EDTRIAGE_TRIAGE_REASSESSMENT_MINUTES_ESI3": "45",
            "EDTRIAGE_TRIAGE_IMAGE_CONTENT_TYPES": "image/png",
            "EDTRIAGE_TRIAGE_RATIONALE_LANGUAGE": "note",
        ])
        #expect(configuration.http.port == 9090)
        #expect(configuration.database.url.host == "db.local")
        #expect(configuration.database.url.password == "pw")
        #expect(configuration.triage.reassessmentMinutes[.urgent] == 45)
        #expect(configuration.triage.imageContentTypes == ["image/png"])
        #expect(configuration.triage.rationaleLanguage == .note)
    }

    /// The shipped YAML lists exactly the keys of `ServiceConfiguration.keys`, each at its default.
    @Test func yamlFileMatchesTheKeyCatalog() async throws {
        let text = try String(contentsOfFile: Self.yamlPath, encoding: .utf8)
        let fileKeys = Set(YAMLKeys.leafKeys(of: text))
        #expect(fileKeys == Set(ServiceConfiguration.keys.map(\.name)))
        let file = ConfigReader(provider: try await FileProvider<YAMLSnapshot>(filePath: .init(Self.yamlPath)))
        for key in ServiceConfiguration.keys {
            let name = ConfigKey(key.name)
            switch key.defaultValue {
            case .string(let value)?: #expect(file.string(forKey: name) == value, "\(key.name)")
            case .int(let value)?: #expect(file.int(forKey: name) == value, "\(key.name)")
            case .double(let value)?: #expect(file.double(forKey: name) == value, "\(key.name)")
            case .bool(let value)?: #expect(file.bool(forKey: name) == value, "\(key.name)")
            case .stringArray(let value)?: #expect(file.stringArray(forKey: name) == value, "\(key.name)")
            case nil: #expect(file.string(forKey: name) == "", "\(key.name) has no default: list it as \"\"")
            default: Issue.record("\(key.name): unexpected default type")
            }
        }
    }

    /// The note goes to the model server: plain http only on loopback unless allowed, no credentials in the
    /// URL (assessments record it), the bearer key a secret from the environment or a file.
    @Test func theModelServerLinkIsEncryptedOrLocalAndItsKeyIsASecret() async throws {
        func load(_ url: String, _ extra: [String: String] = [:]) async throws -> ServiceConfiguration {
            try await ServiceConfiguration.load(file: nil, environment: [
                "EDTRIAGE_MODEL_OPENAI_URL": url, "EDTRIAGE_MODEL_OPENAI_MODEL": "medgemma-27b",
            ].merging(extra) { $1 })
        }
        for url in ["http://127.0.0.1:8000", "http://localhost:8000", "https://gpu.hospital.example"] {
            #expect(try await load(url).model.openAI?.baseURL.absoluteString == url)
        }
        let clear = await #expect(throws: ConfigurationError.self) { try await load("http://10.1.2.3:8000") }
        #expect(clear?.description.contains("in clear") == true)
        #expect(try await load("http://10.1.2.3:8000", ["EDTRIAGE_MODEL_OPENAI_ALLOW_INSECURE_HTTP": "true"])
            .model.openAI != nil)
        let credentials = await #expect(throws: ConfigurationError.self) {
            try await load("https://user:hunter2@gpu.hospital.example")
        }
        #expect(credentials?.description.contains("hunter2") == false)
        #expect(credentials?.description.contains("EDTRIAGE_MODEL_OPENAI_API_KEY") == true)

        #expect(try await load("https://gpu.hospital.example", ["EDTRIAGE_MODEL_OPENAI_API_KEY": "k-1"])
            .model.openAI?.apiKey == Secret("k-1"))
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("model-key-\(UUID())")
        try Data("k-2\n".utf8).write(to: keyFile)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        #expect(try await load("https://gpu.hospital.example", ["EDTRIAGE_MODEL_OPENAI_API_KEY_FILE": keyFile.path])
            .model.openAI?.apiKey == Secret("k-2"))
    }

    @Test func connectionSettingsAreCheckedAtLoad() async throws {
        let half = await #expect(throws: ConfigurationError.self) {
            try await ServiceConfiguration.load(file: nil, environment: ["EDTRIAGE_HTTP_TLS_CERTIFICATE_FILE": "/etc/x.pem"])
        }
        #expect(half?.description.contains("http.tls.certificate_file is set without it") == true)
        let idle = await #expect(throws: ConfigurationError.self) {
            try await ServiceConfiguration.load(file: nil, environment: ["EDTRIAGE_HTTP_IDLE_TIMEOUT_SECONDS": "30"])
        }
        #expect(idle?.key == "http.idle_timeout_seconds")
        let roots = await #expect(throws: ConfigurationError.self) {
            try await ServiceConfiguration.load(file: nil, environment: ["EDTRIAGE_DATABASE_SSL_ROOT_CERT": "/nonexistent/ca.pem"])
        }
        #expect(roots?.description.contains("database.ssl_root_cert") == true)
    }

    @Test func aMissingFileIsAnErrorUnlessAllowed() async throws {
        let path = "/nonexistent/edtriage.yaml"
        await #expect(throws: (any Error).self) { try await ServiceConfiguration.load(file: path, environment: [:]) }
        let configuration = try await ServiceConfiguration.load(file: path, allowMissing: true, environment: [:])
        #expect(configuration.http.port == 8080)
    }

    @Test func aValueOfTheWrongTypeIsAnErrorNamingTheKey() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await ServiceConfiguration.load(file: nil, environment: ["EDTRIAGE_HTTP_PORT": "eighty"])
        }
        #expect(error?.key == "http.port")
        let range = await #expect(throws: ConfigurationError.self) {
            try await ServiceConfiguration.load(file: nil, environment: ["EDTRIAGE_HTTP_PORT": "70000"])
        }
        #expect(range?.key == "http.port")
        let choice = await #expect(throws: ConfigurationError.self) {
            try await ServiceConfiguration.load(file: nil, environment: ["EDTRIAGE_TRIAGE_RATIONALE_LANGUAGE": "ko"])
        }
        #expect(choice?.key == "triage.rationale_language")
    }

    @Test func secretsInTheFileAreRefused() async throws {
        let secretFile = try temporaryFile("auth:\n  hs256_secret: \"do-not-put-me-here-0123456789abcdef\"\n")
        let error = await #expect(throws: ConfigurationError.self) {
            try await ServiceConfiguration.load(file: secretFile, environment: [:])
        }
        #expect(error?.key == "auth.hs256_secret")
        #expect(error.map { !$0.description.contains("do-not-put-me-here") } == true)

        let urlFile = try temporaryFile("database:\n  url: \"postgres://app:hunter2@db/edtriage?sslmode=disable\"\n")
        let urlError = await #expect(throws: ConfigurationError.self) {
            try await ServiceConfiguration.load(file: urlFile, environment: [:])
        }
        #expect(urlError?.key == "database.url")
        #expect(urlError.map { !$0.description.contains("hunter2") } == true)
    }

    @Test func secretsComeFromTheEnvironmentOrAFile() async throws {
        let passwordFile = try temporaryFile("s3cret-password\n")
        let secretFile = try temporaryFile("file-secret-0123456789abcdef0123456789\n")
        let configuration = try await ServiceConfiguration.load(file: nil, environment: [
            "EDTRIAGE_DATABASE_PASSWORD_FILE": passwordFile,
            "EDTRIAGE_AUTH_HS256_SECRET_FILE": secretFile,
        ])
        #expect(configuration.database.url.password == "s3cret-password")
        #expect(configuration.auth.hs256Secret?.value == "file-secret-0123456789abcdef0123456789")
        #expect("\(configuration.auth.hs256Secret!)" == "<secret>")

        let fromEnvironment = try await ServiceConfiguration.load(file: nil, environment: [
            "EDTRIAGE_AUTH_HS256_SECRET": "env-secret-0123456789abcdef0123456789",
            "EDTRIAGE_AUTH_HS256_SECRET_FILE": secretFile,
        ])
        #expect(fromEnvironment.auth.hs256Secret?.value == "env-secret-0123456789abcdef0123456789")
    }

    @Test func everyKeyHasItsEnvironmentVariable() {
        let names = ServiceConfiguration.keys.map(\.environmentVariable)
        #expect(Set(names).count == names.count)
        #expect(ServiceConfiguration.keys.first { $0.name == "http.body_limit_bytes" }?.environmentVariable
                == "EDTRIAGE_HTTP_BODY_LIMIT_BYTES")
    }

    @Test func configurationTableListsEveryKeyAndSecret() {
        let rows = ServiceConfiguration.configurationTableMarkdown().split(separator: "\n")
        #expect(rows.count == ServiceConfiguration.keys.count + ServiceConfiguration.secretKeys.count + 2)
        #expect(rows.contains("| `http.port` | `EDTRIAGE_HTTP_PORT` | `8080` | HTTP port. |"))
    }

    private func temporaryFile(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("edtriage-\(UUID().uuidString)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// The dotted leaf keys of a YAML file made of nested mappings (what config/edtriage.yaml is).
enum YAMLKeys {
    static func leafKeys(of text: String) -> [String] {
        var stack: [(indent: Int, key: String)] = []
        var leaves: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.drop { $0 == " " }
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let colon = trimmed.firstIndex(of: ":") else { continue }
            let indent = line.count - trimmed.count
            while let last = stack.last, last.indent >= indent { stack.removeLast() }
            let key = String(trimmed[..<colon])
            let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            let path = (stack.map(\.key) + [key]).joined(separator: ".")
            if value.isEmpty {
                stack.append((indent, key))
            } else {
                leaves.append(path)
            }
        }
        return leaves
    }
}
