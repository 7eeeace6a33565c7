import Foundation
import Logging
import PostgresNIO
import TriageCore
import TriageStore

/// Everything the service reads at start-up, in one value: built once by `ServiceConfiguration.load`,
/// then handed down so no other code reads the environment or files.
public struct ServiceConfiguration: Sendable {
    public var http: HTTP
    public var database: Database
    public var worker: Worker
    public var triage: Triage
    public var auth: Auth
    public var model: Model
    public var audit: Audit
    public var hl7: HL7
    public var logLevel: Logger.Level

    public struct HTTP: Sendable {
        public var host: String
        public var port: Int
        /// Arrival bodies above this size get 413 before they are decoded.
        public var bodyLimitBytes: Int
        /// The same for confirm, override, discharge and new vitals, which carry a few fields.
        public var updateBodyLimitBytes: Int
        /// A connection with no traffic this long is closed (longer than any long-poll).
        public var idleTimeoutSeconds: Int
        /// A request head must have arrived this long after the connection opened or the last response ended.
        public var requestHeadTimeoutSeconds: Int
        /// Upper bound for `GET /v1/worklist?wait=`, so a board cannot hold a connection forever.
        public var longPollMaxSeconds: Int
        public var longPollMaxWaiting: Int
        /// How often `/readyz`'s state and `/metrics`' queue gauges are refreshed in the background.
        public var statusRefreshMilliseconds: Int
        /// PEM certificate chain and key for HTTPS; plain HTTP when nil.
        var tls: ServerCertificate.Files?
    }

    public struct Database: Sendable {
        /// The service's connection (least-privileged role).
        public var url: DatabaseURL
        /// The owner's connection used to run migrations; `url` when absent.
        public var migrationURL: DatabaseURL?
        /// Folder of the numbered SQL migration files.
        public var migrationsPath: String
        public var migrateOnStart: Bool
        public var poolSize: Int
        /// Limits every service connection carries, so that no request, and no stuck client, holds a
        /// statement, a lock or an open transaction for long; migrations run without them.
        public var sessionLimits: SessionLimits

        public var migrationsDirectory: URL { URL(fileURLWithPath: migrationsPath) }

        /// The service's pool: `poolSize` connections of `url`, each starting with `sessionLimits`.
        public var serviceClientConfiguration: PostgresClient.Configuration {
            var configuration = url.clientConfiguration(maximumConnections: poolSize)
            configuration.options.additionalStartupParameters = sessionLimits.startupParameters
            return configuration
        }
    }

    /// PostgreSQL's session timeouts in milliseconds (0: none), sent in each connection's startup message.
    public struct SessionLimits: Sendable, Equatable {
        public var statementMilliseconds: Int
        public var lockMilliseconds: Int
        public var idleInTransactionMilliseconds: Int

        var startupParameters: [(String, String)] {
            [("statement_timeout", "\(statementMilliseconds)"), ("lock_timeout", "\(lockMilliseconds)"),
             ("idle_in_transaction_session_timeout", "\(idleInTransactionMilliseconds)")]
        }
    }

    public struct Worker: Sendable {
        /// Arrivals scored at the same time by one process.
        public var concurrency: Int
        /// Arrivals claimed per round trip.
        public var batchSize: Int
        /// How long a claim holds before another worker may take the arrival over.
        public var leaseSeconds: Int
        /// Idle wait between empty polls.
        public var pollIntervalMilliseconds: Int
        /// Attempts before an arrival is parked as failed for an admin to requeue.
        public var maxAttempts: Int
        public var backoffBaseMilliseconds: Int
        public var backoffCapMilliseconds: Int

        /// The queue worker's settings.
        public var workerConfiguration: WorkerConfiguration {
            WorkerConfiguration(
                concurrency: concurrency, batchSize: batchSize, lease: .seconds(leaseSeconds),
                pollInterval: .milliseconds(pollIntervalMilliseconds),
                retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(backoffBaseMilliseconds),
                                   maxDelay: .milliseconds(backoffCapMilliseconds)))
        }
    }

    public struct Triage: Sendable {
        /// Minutes until a patient at each level is due for reassessment (0 = continuous).
        public var reassessmentMinutes: [ESILevel: Int]
        public var maxImages: Int
        public var maxImageBytes: Int
        public var imageContentTypes: [String]
        /// Findings shown per worklist row.
        public var topFindings: Int
        public var rationaleLanguage: RationaleLanguage
        /// The EDs this service triages for, by code; the first is not special.
        public var departments: [String]

        /// What the arrival validator accepts.
        public var arrivalLimits: ArrivalLimits {
            ArrivalLimits(maxImages: maxImages, maxImageBytes: maxImageBytes,
                          allowedImageContentTypes: Set(imageContentTypes), departments: departments)
        }
    }

    public struct Auth: Sendable {
        public var issuer: String
        public var audience: String
        /// HS256 shared secret, from `EDTRIAGE_AUTH_HS256_SECRET` or `auth.hs256_secret_file`.
        public var hs256Secret: Secret?
        /// PEM of the ES256 public key that verifies tokens signed by an external identity provider.
        public var es256PublicKeyPEM: String?
        /// What `dashboard` tokens see.
        public var dashboardView: DashboardView
        /// Whether `edtriage token` may mint development tokens.
        public var allowDevelopmentTokens: Bool
        /// Lifetime of tokens minted by `edtriage token`.
        public var tokenTTLSeconds: Int
        /// Longest lifetime (`exp` − `iat`) of any accepted token.
        public var maxTokenLifetimeSeconds: Int
    }

    /// `minimal`: wall-board rows for `dashboard` tokens; `full`: the clinicians' rows.
    public enum DashboardView: String, Sendable, CaseIterable {
        case minimal, full
    }

    public struct Audit: Sendable {
        /// The signed checkpoints' file and signing key; no checkpoints when nil.
        var checkpoints: AuditCheckpoints.Files?
        /// A checkpoint at least every this many appended rows…
        public var checkpointEveryAppends: Int
        /// …and at least this often while rows are appended.
        public var checkpointIntervalSeconds: Int
    }

    /// The HL7 v2 listener (MLLP over TCP) for registration systems and monitors.
    public struct HL7: Sendable {
        public var host: String
        /// Nil: no listener.
        public var port: Int?
        /// A message (MLLP frame) above this size closes its connection.
        public var maxMessageBytes: Int
        /// MLLP inside TLS, with the HTTPS certificate.
        public var tls: Bool
    }

    public struct Model: Sendable {
        /// GGUF model file for the language-model scorer; nil runs the rules alone.
        public var path: String?
        /// The vision tower (mmproj GGUF) that reads the arrival's images; nil reads text only.
        public var mmproj: String?
        public var maxImagesPerArrival: Int
        /// Largest image decoded, in pixels (a decompression bomb is refused from its header).
        public var maxImagePixels: Int
        public var threads: Int
        /// The embedded model's context in tokens; nil takes the model's own (see `EmbeddedTriageModel`).
        public var contextTokens: Int?
        /// `embedded` or `openai`.
        public var backend: String
        /// See `TriagePolicy.modelPhase(rules:model:threshold:inputSHA256:)`.
        public var raiseThreshold: Double
        public var rationaleMaxTokens: Int
        public var rationaleTimeoutMilliseconds: Int
        /// Backend `openai`: the server; nil when `model.openai.url` or `model.openai.model` is unset.
        public var openAI: OpenAIBackendConfiguration?

        /// Nil when the rationale is switched off.
        public var rationaleBudget: RationaleBudget? {
            rationaleMaxTokens == 0 ? nil
                : RationaleBudget(maximumTokens: rationaleMaxTokens, timeout: .milliseconds(rationaleTimeoutMilliseconds))
        }
    }
}

extension ServiceConfiguration {
    /// The store's limits and board policy.
    public var storeConfiguration: StoreConfiguration {
        StoreConfiguration(maxImageBytes: triage.maxImageBytes,
                           reassessment: ReassessmentIntervals(minutes: triage.reassessmentMinutes),
                           topFindings: triage.topFindings)
    }
}

extension DatabaseURL {
    /// PostgresNIO client settings with at most `maximumConnections` open.
    public func clientConfiguration(maximumConnections: Int) -> PostgresClient.Configuration {
        var configuration = clientConfiguration
        configuration.options.maximumConnections = maximumConnections
        return configuration
    }
}

/// A secret value that never prints itself, so it cannot leak through logs or `dump`.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
}
