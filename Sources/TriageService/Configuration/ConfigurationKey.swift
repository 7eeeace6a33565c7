import Configuration

/// One non-secret configuration key: its dotted name, its default and what it means.
///
/// `ServiceConfiguration.keys` is the one list of them: it supplies the defaults when loading,
/// a test checks `config/edtriage.yaml` against it, and it renders the README's table.
public struct ConfigurationKey: Sendable {
    /// Dotted name as written in the YAML file, e.g. `http.port`.
    public let name: String
    /// The value used when neither the file nor the environment sets the key; nil for optional keys.
    public let defaultValue: ConfigContent?
    public let meaning: String

    public init(_ name: String, _ defaultValue: ConfigContent?, _ meaning: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.meaning = meaning
    }

    /// The environment variable that overrides the key: `http.body_limit_bytes` → `EDTRIAGE_HTTP_BODY_LIMIT_BYTES`.
    public var environmentVariable: String {
        ConfigurationKey.environmentVariable(for: name)
    }

    static func environmentVariable(for dottedName: String) -> String {
        "EDTRIAGE_" + dottedName.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}

/// A secret read only from the environment or from a file named in the configuration, never from the YAML file.
public struct SecretKey: Sendable {
    /// Dotted name, used only to derive the environment variable and to reject the key in the YAML file.
    public let name: String
    /// The configuration key holding a path to a file with the secret.
    public let fileKey: String
    public let meaning: String

    public var environmentVariable: String { ConfigurationKey.environmentVariable(for: name) }
}

extension ServiceConfiguration {
    /// Every non-secret key with its default. Keep `config/edtriage.yaml` in step (a test checks it).
    public static let keys: [ConfigurationKey] = [
        .init("http.host", .string("127.0.0.1"), "Address the HTTP server binds to."),
        .init("http.port", .int(8080), "HTTP port."),
        .init("http.body_limit_bytes", .int(32 * 1024 * 1024),
              "Largest accepted request body (arrivals carry base64 images); larger bodies get 413."),
        .init("http.update_body_limit_bytes", .int(64 * 1024),
              "Largest body of a confirm, override, discharge or new-vitals request; larger bodies get 413."),
        .init("http.idle_timeout_seconds", .int(75),
              "A connection with no traffic this long is closed; must exceed `http.long_poll_max_seconds`."),
        .init("http.request_head_timeout_seconds", .int(15),
              "A request's line and headers must have arrived this long after the connection opened or the last response ended; slower clients are cut off."),
        .init("http.long_poll_max_seconds", .int(30), "Upper bound for `GET /v1/worklist?wait=`."),
        .init("http.long_poll_max_waiting", .int(1_000),
              "Most long-polls waiting at once in one process; past it a long-poll gets 503 with `Retry-After`."),
        .init("http.status_refresh_ms", .int(5_000),
              "How often readiness (`/readyz`) and the queue gauges (`/metrics`) are refreshed in the background; requests to them never touch the database."),
        .init("http.tls.certificate_file", nil,
              "PEM certificate chain for HTTPS (with `http.tls.key_file`); read again on SIGHUP. Plain HTTP when unset."),
        .init("http.tls.key_file", nil, "PEM private key of `http.tls.certificate_file`; read again on SIGHUP."),
        .init("database.url", .string("postgres://edtriage_app@127.0.0.1:54329/edtriage?sslmode=disable"),
              "The service's PostgreSQL connection (least-privileged role). Put no password here."),
        .init("database.migration_url", nil,
              "Owner connection used to run migrations; `database.url` when unset."),
        .init("database.ssl_root_cert", nil,
              "PEM file of the CA certificates the server's must chain to for `sslmode=verify-ca`/`verify-full` in the database URLs; the system's trust store when unset."),
        .init("database.password_file", nil,
              "File holding the database password (instead of `EDTRIAGE_DATABASE_PASSWORD`)."),
        .init("database.migrations_path", .string("Migrations"), "Folder of the numbered SQL migration files."),
        .init("database.migrate_on_start", .bool(false), "Run pending migrations before serving."),
        .init("database.pool_size", .int(10), "Maximum open connections per process."),
        .init("database.statement_timeout_ms", .int(60_000),
              "Longest statement the service's connections may run (PostgreSQL `statement_timeout`); 0 is no limit."),
        .init("database.lock_timeout_ms", .int(10_000),
              "Longest wait for a lock on the service's connections (`lock_timeout`); 0 is no limit."),
        .init("database.idle_in_transaction_timeout_ms", .int(60_000),
              "A service session idle inside a transaction this long is ended (`idle_in_transaction_session_timeout`); 0 is no limit."),
        .init("worker.concurrency", .int(2), "Arrivals scored at the same time by one process."),
        .init("worker.batch_size", .int(32),
              "Arrivals claimed per round trip and committed together (one statement per table, one revision bump and one audit append per batch)."),
        .init("worker.lease_seconds", .int(60),
              "A claim expires after this long, so another worker takes over a crashed worker's arrival."),
        .init("worker.poll_interval_ms", .int(2_000),
              "Polling fallback between queue notifications (LISTEN/NOTIFY wakes the worker at once)."),
        .init("worker.max_attempts", .int(5), "Attempts before an arrival is parked as failed."),
        .init("worker.backoff_base_ms", .int(2_000), "First retry delay; doubles per attempt."),
        .init("worker.backoff_cap_ms", .int(300_000), "Longest retry delay."),
        // Reassessment intervals follow the CTAS reassessment standard (Bullard et al., CJEM 2008/2017:
        // level I continuous, II every 15 min, III 30, IV 60, V 120), mapped level-for-level onto ESI;
        // the Australasian Triage Scale's maximum waits (immediate, 10, 30, 60, 120 min) are of the same order.
        .init("triage.reassessment_minutes.esi1", .int(0), "ESI 1 reassessment interval, minutes (0 = continuous)."),
        .init("triage.reassessment_minutes.esi2", .int(15), "ESI 2 reassessment interval, minutes."),
        .init("triage.reassessment_minutes.esi3", .int(30), "ESI 3 reassessment interval, minutes."),
        .init("triage.reassessment_minutes.esi4", .int(60), "ESI 4 reassessment interval, minutes."),
        .init("triage.reassessment_minutes.esi5", .int(120), "ESI 5 reassessment interval, minutes."),
        .init("triage.max_images", .int(4), "Images accepted with one arrival."),
        .init("triage.max_image_bytes", .int(5 * 1024 * 1024), "Largest accepted image, decoded bytes."),
        .init("triage.image_content_types", .stringArray(["image/jpeg", "image/png", "image/webp"]),
              "Accepted image media types."),
        .init("triage.top_findings", .int(3), "Findings shown per worklist row."),
        .init("triage.departments", .stringArray(["ed"]),
              "The EDs this service triages for (codes: a-z, 0-9, `-`, `_`). Each arrival belongs to one, each has its own board, and with more than one every bearer token must carry a `departments` claim (codes, or `*` for all)."),
        .init("triage.rationale_language", .string("en"),
              "Language of the model's rationale: `en`, or `note` for the triage note's language where it is detected (the prompt's instruction stays in English; the level does not depend on this)."),
        .init("auth.issuer", .string("edtriage"), "Required `iss` claim of bearer tokens."),
        .init("auth.audience", .string("edtriage-api"), "Required `aud` claim of bearer tokens."),
        .init("auth.hs256_secret_file", nil,
              "File holding the HS256 signing secret (instead of `EDTRIAGE_AUTH_HS256_SECRET`)."),
        .init("auth.es256_public_key_file", nil,
              "PEM public key verifying ES256 tokens from an external identity provider."),
        .init("auth.dashboard_view", .string("minimal"),
              "What `dashboard` (wall-screen) tokens see: `minimal` (arrival number, age band, complaint, level, waiting time; no record number, exact age or note-derived text) or `full` (the clinicians' rows)."),
        .init("auth.allow_dev_tokens", .bool(false),
              "Let `edtriage token` mint HS256 tokens (each mint is audited). Off in production, where the identity provider issues tokens; the dev scripts turn it on."),
        .init("auth.token_ttl_seconds", .int(12 * 3600), "Lifetime of tokens minted by `edtriage token` (one shift)."),
        .init("auth.max_token_lifetime_seconds", .int(24 * 3600),
              "Longest `exp` − `iat` a bearer token may have, whoever signed it; longer ones are refused."),
        .init("audit.checkpoint_file", nil,
              "Append-only file of signed checkpoints of the audit chain's head (with `audit.checkpoint_key_file`); outside the database, so deleted or rewritten audit rows are detected. No checkpoints when unset."),
        .init("audit.checkpoint_key_file", nil,
              "File holding the checkpoints' Ed25519 signing key (base64 of 32 bytes, e.g. from `openssl rand -base64 32`); keep it off the database host."),
        .init("audit.checkpoint_every_appends", .int(100), "A checkpoint at least every this many audit rows."),
        .init("audit.checkpoint_interval_seconds", .int(60),
              "And at least this often while audit rows are appended."),
        .init("hl7.host", .string("127.0.0.1"), "Address the HL7 v2 (MLLP) listener binds to."),
        .init("hl7.port", .int(0),
              "TCP port of the HL7 v2 listener for ADT and ORU messages over MLLP (registration systems, monitors); 0 runs none."),
        .init("hl7.max_message_bytes", .int(1_048_576), "Largest HL7 v2 message; a longer one closes its connection."),
        .init("hl7.tls", .bool(false),
              "MLLP inside TLS 1.2+ with the HTTPS certificate and key (`http.tls.*`, reloaded on SIGHUP alike); requires them."),
        .init("model.path", nil, "GGUF model for the language-model scorer; unset scores with the rules alone."),
        .init("model.mmproj", nil,
              "mmproj GGUF (the vision tower beside a MedGemma text GGUF, backend `embedded`): the model reads the arrival's images; unset, missing or broken reads text only and says why."),
        .init("model.max_images_per_arrival", .int(4), "Images of one arrival the model reads (at most 16); the others are listed as not analysed."),
        .init("model.max_image_pixels", .int(50_000_000),
              "Largest image the model decodes, in pixels, checked from the file's header before decoding (decompression bombs)."),
        .init("model.threads", .int(2), "Inference threads (one model instance per process)."),
        .init("model.context_tokens", .int(0),
              "Context of the embedded model in tokens (0 = the model's own, capped so the KV cache fits in a quarter of memory); longer notes are shortened with a visible marker."),
        .init("model.backend", .string("embedded"),
              "`embedded` (the in-process Gemma engine) or `openai` (an OpenAI-compatible server)."),
        .init("model.raise_threshold", .double(0.6),
              "Minimum calibrated P(more urgent than the rules) for the model to raise the level; below it the model is advisory."),
        .init("model.rationale_max_tokens", .int(96),
              "Token budget of the model's JSON rationale (0 = no rationale; the rules' explanation stands)."),
        .init("model.rationale_timeout_ms", .int(30_000), "Time budget of the model's rationale, milliseconds."),
        .init("model.openai.url", nil, "Base URL of the OpenAI-compatible server (backend `openai`), inside the hospital."),
        .init("model.openai.model", nil, "Model name the server serves, e.g. `medgemma-27b`."),
        .init("model.openai.api_key_file", nil,
              "File holding the model server's bearer key (instead of `EDTRIAGE_MODEL_OPENAI_API_KEY`)."),
        .init("model.openai.allow_insecure_http", .bool(false),
              "Allow plain `http` to a model server that is not on loopback (notes would cross the network in clear)."),
        .init("model.openai.timeout_ms", .int(30_000), "Per-request timeout, milliseconds."),
        .init("model.openai.max_attempts", .int(2), "Attempts per call (transport errors, 5xx and 429 are retried)."),
        .init("model.openai.breaker_failures", .int(5), "Consecutive failed calls that open the circuit breaker."),
        .init("model.openai.breaker_cooldown_ms", .int(30_000), "How long an open breaker fails calls at once."),
        .init("log.level", .string("info"), "trace, debug, info, notice, warning, error or critical."),
    ]

    /// Secrets: only from the environment or from the file named by their `fileKey`.
    public static let secretKeys: [SecretKey] = [.hs256Secret, .databasePassword, .modelServerKey]
}

extension ServiceConfiguration {
    /// The README's configuration table: key, environment variable, default, meaning; secrets last.
    public static func configurationTableMarkdown() -> String {
        var lines = ["| Key | Environment variable | Default | Meaning |", "|---|---|---|---|"]
        for key in keys {
            let defaultText = key.defaultValue.map(Self.markdown) ?? "unset"
            lines.append("| `\(key.name)` | `\(key.environmentVariable)` | \(defaultText) | \(key.meaning) |")
        }
        for secret in secretKeys {
            lines.append("| — (secret) | `\(secret.environmentVariable)` | unset | \(secret.meaning) Or `\(secret.fileKey)`. |")
        }
        return lines.joined(separator: "\n")
    }

    private static func markdown(_ content: ConfigContent) -> String {
        switch content {
        case .string(let value): "`\(value)`"
        case .int(let value): "`\(value)`"
        case .double(let value): "`\(value)`"
        case .bool(let value): "`\(value)`"
        case .stringArray(let values): "`\(values.joined(separator: ","))`"
        default: "`\(content)`"
        }
    }
}

extension SecretKey {
    public static let hs256Secret = SecretKey(
        name: "auth.hs256_secret", fileKey: "auth.hs256_secret_file",
        meaning: "HS256 secret that signs and verifies bearer tokens (at least 32 bytes).")
    public static let databasePassword = SecretKey(
        name: "database.password", fileKey: "database.password_file",
        meaning: "Password of the `database.url` role; overrides a password in the URL.")
    public static let modelServerKey = SecretKey(
        name: "model.openai.api_key", fileKey: "model.openai.api_key_file",
        meaning: "Bearer key sent to the OpenAI-compatible model server (`Authorization: Bearer …`).")
}
