import Configuration
import Foundation
import Logging
import SystemPackage
import TriageCore
import TriageStore

/// Why the configuration could not be loaded; the message names the key and never shows a secret.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let key: String
    public let reason: String

    public var description: String { "configuration key \(key): \(reason)" }
}

extension ServiceConfiguration {
    /// The file `edtriage` reads when no other is named.
    public static let defaultFilePath = "config/edtriage.yaml"

    /// Loads the configuration: `EDTRIAGE_...` environment variables override the YAML file, which overrides
    /// the defaults in `keys`. Secrets come only from the environment or from files named in the configuration.
    ///
    /// - Parameters:
    ///   - file: YAML file to read; nil reads none (defaults and environment only).
    ///   - allowMissing: Treat a missing `file` as empty (for the default path); a malformed file still throws.
    ///   - environment: The process environment; tests pass their own.
    /// The configured department codes: at least one, each a valid code, none twice.
    static func departments(_ codes: [String]) throws -> [String] {
        guard !codes.isEmpty else { throw ConfigurationError(key: "triage.departments", reason: "names no department") }
        for code in codes where !Department.isValidCode(code) {
            throw ConfigurationError(key: "triage.departments",
                                     reason: "\"\(code)\" is not a department code (a-z, 0-9, - and _, at most 64)")
        }
        guard Set(codes).count == codes.count else {
            throw ConfigurationError(key: "triage.departments", reason: "names a department twice")
        }
        return codes
    }

    public static func load(
        file: String?,
        allowMissing: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ServiceConfiguration {
        let fileProvider: (any ConfigProvider)? = if let file {
            try await FileProvider<YAMLSnapshot>(filePath: FilePath(file), allowMissing: allowMissing)
        } else {
            nil
        }
        if let fileProvider {
            try rejectSecrets(in: ConfigReader(provider: fileProvider))
        }
        let environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: environment,
            secretsSpecifier: .specific(Set(secretKeys.map(\.environmentVariable)))
        ).prefixKeys(with: "edtriage")
        let defaults = InMemoryProvider(name: "defaults", values: Dictionary(uniqueKeysWithValues: keys.compactMap { key in
            key.defaultValue.map { (AbsoluteConfigKey(ConfigKey(key.name)), ConfigValue($0, isSecret: false)) }
        }))
        let providers: [any ConfigProvider] = [environmentProvider] + [fileProvider].compactMap { $0 } + [defaults]
        let secrets = SecretSource(environment: environment)
        return try ServiceConfiguration(reader: ConfigReader(providers: providers), secrets: secrets)
    }

    /// Refuses a configuration file that holds a secret or a URL with a password: secrets belong in the
    /// environment or in a file of their own, so the YAML file can be committed and shared.
    private static func rejectSecrets(in file: ConfigReader) throws {
        for secret in secretKeys where file.string(forKey: ConfigKey(secret.name), isSecret: true) != nil {
            throw ConfigurationError(
                key: secret.name,
                reason: "secrets are never read from the configuration file; set \(secret.environmentVariable) "
                    + "or \(secret.fileKey)")
        }
        for key in ["database.url", "database.migration_url"] {
            if let url = file.string(forKey: ConfigKey(key), isSecret: true), (try? DatabaseURL(url))?.password != nil {
                throw ConfigurationError(
                    key: key, reason: "the URL in the configuration file holds a password; set "
                        + "EDTRIAGE_DATABASE_PASSWORD or database.password_file instead")
            }
        }
    }

    init(reader: ConfigReader, secrets: SecretSource) throws {
        let values = ValueReader(reader: reader)
        http = HTTP(
            host: try values.string("http.host"),
            port: try values.int("http.port", in: 1...65_535),
            bodyLimitBytes: try values.int("http.body_limit_bytes", in: 1...(1 << 30)),
            updateBodyLimitBytes: try values.int("http.update_body_limit_bytes", in: 1...(1 << 20)),
            idleTimeoutSeconds: try values.int("http.idle_timeout_seconds", in: 1...3_600),
            requestHeadTimeoutSeconds: try values.int("http.request_head_timeout_seconds", in: 1...600),
            longPollMaxSeconds: try values.int("http.long_poll_max_seconds", in: 0...300),
            longPollMaxWaiting: try values.int("http.long_poll_max_waiting", in: 1...100_000),
            statusRefreshMilliseconds: try values.int("http.status_refresh_ms", in: 100...600_000),
            tls: try values.pairedPaths("http.tls.certificate_file", "http.tls.key_file")
                .map { ServerCertificate.Files(certificate: $0, key: $1) })
        guard http.idleTimeoutSeconds > http.longPollMaxSeconds else {
            throw ConfigurationError(key: "http.idle_timeout_seconds", reason: "\(http.idleTimeoutSeconds) would close "
                + "a board's long-poll (http.long_poll_max_seconds is \(http.longPollMaxSeconds)); make it longer")
        }
        let password = try secrets.value(of: .databasePassword, file: values.optionalString("database.password_file"))
        let roots = try values.optionalString("database.ssl_root_cert")
        database = Database(
            url: try values.databaseURL("database.url", password: password, roots: roots),
            migrationURL: try values.optionalString("database.migration_url").map { _ in
                try values.databaseURL("database.migration_url", password: nil, roots: roots)
            },
            migrationsPath: try values.string("database.migrations_path"),
            migrateOnStart: try values.bool("database.migrate_on_start"),
            poolSize: try values.int("database.pool_size", in: 1...1_000),
            sessionLimits: SessionLimits(
                statementMilliseconds: try values.int("database.statement_timeout_ms", in: 0...86_400_000),
                lockMilliseconds: try values.int("database.lock_timeout_ms", in: 0...86_400_000),
                idleInTransactionMilliseconds: try values.int("database.idle_in_transaction_timeout_ms", in: 0...86_400_000)))
        worker = Worker(
            concurrency: try values.int("worker.concurrency", in: 1...256),
            batchSize: try values.int("worker.batch_size", in: 1...1_000),
            leaseSeconds: try values.int("worker.lease_seconds", in: 1...86_400),
            pollIntervalMilliseconds: try values.int("worker.poll_interval_ms", in: 1...600_000),
            maxAttempts: try values.int("worker.max_attempts", in: 1...100),
            backoffBaseMilliseconds: try values.int("worker.backoff_base_ms", in: 0...3_600_000),
            backoffCapMilliseconds: try values.int("worker.backoff_cap_ms", in: 0...86_400_000))
        var reassessment: [ESILevel: Int] = [:]
        for level in ESILevel.allCases {
            reassessment[level] = try values.int("triage.reassessment_minutes.esi\(level.rawValue)", in: 0...1_440)
        }
        triage = Triage(
            reassessmentMinutes: reassessment,
            maxImages: try values.int("triage.max_images", in: 0...64),
            maxImageBytes: try values.int("triage.max_image_bytes", in: 1...(1 << 30)),
            imageContentTypes: try values.stringArray("triage.image_content_types"),
            topFindings: try values.int("triage.top_findings", in: 0...20),
            rationaleLanguage: try values.choice("triage.rationale_language"),
            departments: try Self.departments(try values.stringArray("triage.departments")))
        let es256KeyFile = try values.optionalString("auth.es256_public_key_file")
        auth = Auth(
            issuer: try values.string("auth.issuer"),
            audience: try values.string("auth.audience"),
            hs256Secret: try secrets.value(of: .hs256Secret, file: values.optionalString("auth.hs256_secret_file")),
            es256PublicKeyPEM: try es256KeyFile.map { try SecretSource.contents(of: $0, key: "auth.es256_public_key_file") },
            dashboardView: try values.choice("auth.dashboard_view"),
            allowDevelopmentTokens: try values.bool("auth.allow_dev_tokens"),
            tokenTTLSeconds: try values.int("auth.token_ttl_seconds", in: 60...(7 * 86_400)),
            maxTokenLifetimeSeconds: try values.int("auth.max_token_lifetime_seconds", in: 60...(30 * 86_400)))
        audit = Audit(
            checkpoints: try values.pairedPaths("audit.checkpoint_file", "audit.checkpoint_key_file")
                .map { AuditCheckpoints.Files(checkpoints: $0, key: $1) },
            checkpointEveryAppends: try values.int("audit.checkpoint_every_appends", in: 1...1_000_000),
            checkpointIntervalSeconds: try values.int("audit.checkpoint_interval_seconds", in: 1...86_400))
        hl7 = HL7(
            host: try values.string("hl7.host"),
            port: try Self.positive(values.int("hl7.port", in: 0...65_535)),
            maxMessageBytes: try values.int("hl7.max_message_bytes", in: 1_024...(64 << 20)),
            tls: try values.bool("hl7.tls"))
        if hl7.tls && http.tls == nil {
            throw ConfigurationError(key: "hl7.tls", reason: "needs http.tls.certificate_file and http.tls.key_file")
        }
        model = Model(
            path: try values.optionalString("model.path"),
            mmproj: try values.optionalString("model.mmproj"),
            maxImagesPerArrival: try values.int("model.max_images_per_arrival", in: 0...EmbeddedTriageModel.cachedImages),
            maxImagePixels: try values.int("model.max_image_pixels", in: 1...1_000_000_000),
            threads: try values.int("model.threads", in: 1...256),
            contextTokens: try Self.positive(values.int("model.context_tokens", in: 0...1_048_576)),
            backend: try values.choice("model.backend", in: ["embedded", "openai"]),
            raiseThreshold: try values.double("model.raise_threshold", in: 0.01...1),
            rationaleMaxTokens: try values.int("model.rationale_max_tokens", in: 0...1_024),
            rationaleTimeoutMilliseconds: try values.int("model.rationale_timeout_ms", in: 100...600_000),
            openAI: try Self.openAIBackend(values, key: secrets.value(
                of: .modelServerKey, file: values.optionalString("model.openai.api_key_file"))))
        let level = try values.string("log.level")
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ConfigurationError(key: "log.level", reason: "unknown level \(level)")
        }
        self.logLevel = logLevel
    }
}

extension ServiceConfiguration {
    /// Nil for 0, the keys' way of saying "the default".
    fileprivate static func positive(_ value: Int) -> Int? { value > 0 ? value : nil }

    /// The `model.openai.*` keys; nil unless both the URL and the model name are set. The note goes to the
    /// server, so plain `http` is refused for any host but loopback unless allowed, and credentials belong in
    /// the bearer key, not in the URL (which every assessment records).
    fileprivate static func openAIBackend(_ values: ValueReader, key: Secret?) throws -> OpenAIBackendConfiguration? {
        let timeout = try values.int("model.openai.timeout_ms", in: 100...600_000)
        let attempts = try values.int("model.openai.max_attempts", in: 1...10)
        let breakerFailures = try values.int("model.openai.breaker_failures", in: 1...1_000)
        let cooldown = try values.int("model.openai.breaker_cooldown_ms", in: 0...3_600_000)
        let allowInsecureHTTP = try values.bool("model.openai.allow_insecure_http")
        guard let text = try values.optionalString("model.openai.url"), let model = try values.optionalString("model.openai.model")
        else { return nil }
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", let host = url.host else {
            throw ConfigurationError(key: "model.openai.url", reason: "not an http(s) URL")
        }
        guard url.user == nil, url.password == nil else {
            throw ConfigurationError(key: "model.openai.url", reason: "holds credentials; set "
                + "\(SecretKey.modelServerKey.environmentVariable) or model.openai.api_key_file instead")
        }
        guard url.scheme == "https" || isLoopbackHost(host) || allowInsecureHTTP else {
            throw ConfigurationError(key: "model.openai.url", reason: "plain http to \(host) would send notes in "
                + "clear: use https, or set model.openai.allow_insecure_http on a link you trust")
        }
        return OpenAIBackendConfiguration(baseURL: url, model: model, apiKey: key, timeout: .milliseconds(timeout),
                                          maxAttempts: attempts, breakerThreshold: breakerFailures,
                                          breakerCooldown: .milliseconds(cooldown))
    }
}

/// Typed, range-checked reads that name the key in every error; a value of the wrong type is an error,
/// never silently replaced by the default.
private struct ValueReader {
    let reader: ConfigReader

    func string(_ key: String) throws -> String {
        try wrapping(key) { try reader.requiredString(forKey: ConfigKey(key)) }
    }

    /// An optional string key; an empty value counts as unset so the YAML file can list the key with `""`.
    func optionalString(_ key: String) throws -> String? {
        let value = reader.string(forKey: ConfigKey(key))
        return value?.isEmpty == false ? value : nil
    }

    func stringArray(_ key: String) throws -> [String] {
        try wrapping(key) { try reader.requiredStringArray(forKey: ConfigKey(key)) }
    }

    func bool(_ key: String) throws -> Bool {
        try wrapping(key) { try reader.requiredBool(forKey: ConfigKey(key)) }
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int {
        let value = try wrapping(key) { try reader.requiredInt(forKey: ConfigKey(key)) }
        guard range.contains(value) else {
            throw ConfigurationError(key: key, reason: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws -> Double {
        let value = try wrapping(key) { try reader.requiredDouble(forKey: ConfigKey(key)) }
        guard range.contains(value) else {
            throw ConfigurationError(key: key, reason: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func choice(_ key: String, in choices: [String]) throws -> String {
        let value = try string(key)
        guard choices.contains(value) else {
            throw ConfigurationError(key: key, reason: "\(value) is not one of \(choices.joined(separator: ", "))")
        }
        return value
    }

    func choice<Value: RawRepresentable & CaseIterable>(_ key: String) throws -> Value where Value.RawValue == String {
        let value = try string(key)
        guard let choice = Value(rawValue: value) else {
            let choices = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(key: key, reason: "\(value) is not one of \(choices)")
        }
        return choice
    }

    /// Two paths that only work together (a certificate and its key): both, or neither.
    func pairedPaths(_ first: String, _ second: String) throws -> (String, String)? {
        switch (try optionalString(first), try optionalString(second)) {
        case (nil, nil): return nil
        case let (one?, other?): return (one, other)
        case (nil, _): throw ConfigurationError(key: first, reason: "\(second) is set without it")
        case (_, nil): throw ConfigurationError(key: second, reason: "\(first) is set without it")
        }
    }

    /// `roots`: a PEM file of the CAs the server's certificate must chain to.
    func databaseURL(_ key: String, password: Secret?, roots: String?) throws -> DatabaseURL {
        let text = try wrapping(key) { try reader.requiredString(forKey: ConfigKey(key), isSecret: true) }
        var url = try wrapping(key) { try DatabaseURL(text) }
        if let password { url.password = password.value }
        if let roots { try wrapping("database.ssl_root_cert") { try url.tls.trustRoots(fromPEMFile: roots) } }
        return url
    }

    private func wrapping<T>(_ key: String, _ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch let error as DatabaseURL.ParseError {
            throw ConfigurationError(key: key, reason: error.description)
        } catch {
            throw ConfigurationError(key: key, reason: "missing or not a valid value (\(error))")
        }
    }
}

/// Reads secrets from the environment, or from a file whose path the configuration names.
struct SecretSource {
    let environment: [String: String]

    func value(of secret: SecretKey, file: String?) throws -> Secret? {
        if let value = environment[secret.environmentVariable], !value.isEmpty {
            return Secret(value)
        }
        return try file.map { Secret(try Self.contents(of: $0, key: secret.fileKey)) }
    }

    /// The file's text without the trailing newline editors add.
    static func contents(of path: String, key: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: key, reason: "cannot read \(path)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ConfigurationError(key: key, reason: "\(path) is empty") }
        return trimmed
    }
}
