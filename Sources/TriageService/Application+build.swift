import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import PostgresNIO
import Prometheus
import ServiceLifecycle
import TriageCore
import TriageStore
import UnixSignals

/// Builds the HTTP application over `repository`. The caller runs it (alone, in tests, or inside the
/// service group of `buildServiceGroup`).
///
/// - Parameters:
///   - metrics: The registry `/metrics` exposes. The executable bootstraps swift-metrics with a
///     `PrometheusMetricsFactory` over the same registry; tests pass a fresh one and bootstrap nothing.
func buildApplication(
    configuration: ServiceConfiguration,
    repository: any TriageRepository,
    readiness: any ReadinessCheck,
    metrics: PrometheusCollectorRegistry,
    certificate: ServerCertificate? = nil,
    arrivals: ArrivalBatcher? = nil,
    boardChanges: BoardChangeFeed? = nil,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(
        configuration: configuration, repository: repository, readiness: readiness, metrics: metrics,
        arrivals: arrivals, boardChanges: boardChanges)
    let headLimit = TimeAmount.seconds(Int64(configuration.http.requestHeadTimeoutSeconds))
    let http1 = HTTPServerBuilder.http1(configuration: .init(
        additionalChannelHandlers: [RequestHeadDeadline(limit: headLimit)],
        idleTimeout: .seconds(Int64(configuration.http.idleTimeoutSeconds))))
    return Application(
        router: router,
        server: try certificate.map { try .tls(http1, tlsConfiguration: $0.tlsConfiguration) } ?? http1,
        configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port),
                             serverName: "edtriage"),
        logger: logger)
}

/// The router with every endpoint of `Endpoint.all`, each behind its access-table check. Long-polls wait on
/// `boardChanges`, which the caller runs; without one they end at their timeout.
public func buildRouter(
    configuration: ServiceConfiguration,
    repository: any TriageRepository,
    readiness: any ReadinessCheck,
    metrics: PrometheusCollectorRegistry,
    arrivals: ArrivalBatcher? = nil,
    boardChanges: BoardChangeFeed? = nil
) async throws -> Router<TriageRequestContext> {
    let router = Router(context: TriageRequestContext.self)
    // Order matters: router middleware wraps the routes added after it. Problems outermost, so even
    // failures of the logging and metrics middleware become problem+json.
    router.addMiddleware {
        ProblemMiddleware()
        LogRequestsMiddleware(.info)
        MetricsMiddleware()
    }
    let departments = configuration.triage.departments
    let verifier = try await TokenVerifier(configuration: configuration.auth, departments: departments)
    let gate = DepartmentGate(departments: departments, arrivals: repository)
    let routes = APIRoutes(router: router, authenticator: BearerAuthenticator(verifier: verifier, auditTrail: repository))
    let updateBodyLimit = configuration.http.updateBodyLimitBytes
    HealthController(readiness: readiness).addRoutes(to: routes)
    MetricsController(registry: metrics).addRoutes(to: routes)
    OpenAPIController().addRoutes(to: routes)
    try BoardController().addRoutes(to: routes)
    let boardChanges = boardChanges ?? BoardChangeFeed(
        listenURL: nil, worklist: repository, capacity: configuration.http.longPollMaxWaiting, logger: Logger(label: "edtriage"))
    WorklistController(worklist: repository, changes: boardChanges, gate: gate, snapshots: BoardSnapshotCache(),
                       maxWait: .seconds(configuration.http.longPollMaxSeconds),
                       wallScreensSeeLess: configuration.auth.dashboardView == .minimal)
        .addRoutes(to: routes)
    AssessmentController(assessments: repository, worklist: repository, auditTrail: repository,
                         updateBodyLimit: updateBodyLimit, gate: gate).addRoutes(to: routes)
    // New arrivals, JSON and FHIR alike (and HL7 when the listener shares `arrivals`), are committed together
    // when they come in together.
    let arrivals = arrivals ?? ArrivalBatcher(queue: repository)
    let validator = ArrivalValidator(limits: configuration.triage.arrivalLimits)
    ArrivalController(queue: repository, arrivals: arrivals, worklist: repository, assessments: repository,
                      auditTrail: repository, validator: validator,
                      arrivalBodyLimit: configuration.http.bodyLimitBytes, updateBodyLimit: updateBodyLimit, gate: gate)
        .addRoutes(to: routes)
    AdminController(auditTrail: repository, queue: repository,
                    checkpoints: try configuration.audit.checkpoints.map(AuditCheckpoints.init(files:)), gate: gate)
        .addRoutes(to: routes)
    FHIRController(arrivals: arrivals, validator: validator, bundleLimit: configuration.http.bodyLimitBytes,
                   worklist: repository, assessments: repository, auditTrail: repository,
                   scheme: configuration.http.tls == nil ? "http" : "https", gate: gate).addRoutes(to: routes)
    return router
}

/// Which parts `edtriage serve` runs (`--no-api`, `--no-worker`).
public struct ServeParts: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let api = ServeParts(rawValue: 1 << 0)
    public static let worker = ServeParts(rawValue: 1 << 1)
    public static let all: ServeParts = [.api, .worker]
}

/// The whole service as one `ServiceGroup`: the PostgreSQL client, the queue worker and the HTTP server.
///
/// On SIGTERM or SIGINT the group shuts its services down in reverse order: the HTTP server first (stops
/// accepting, lets in-flight requests finish; long-polls return at once), then the worker (stops claiming,
/// finishes the arrivals it is scoring and releases the others), then the database client, last.
/// Runs pending migrations first when `database.migrate_on_start` is set.
public func buildServiceGroup(
    configuration: ServiceConfiguration,
    parts: ServeParts = .all,
    metrics: PrometheusCollectorRegistry,
    logger: Logger
) async throws -> ServiceGroup {
    if configuration.database.migrateOnStart {
        try await migrateDatabase(configuration: configuration, logger: logger)
    } else {
        try await requireCurrentSchema(configuration: configuration, logger: logger)
    }
    try await registerDepartments(configuration: configuration, logger: logger)
    let client = PostgresClient(
        configuration: configuration.database.serviceClientConfiguration,
        backgroundLogger: logger)
    let store = PostgresTriageStore(client: client, configuration: configuration.storeConfiguration, logger: logger)
    var services: [any Service] = [client]
    if let files = configuration.audit.checkpoints {
        services.append(AuditCheckpointer(
            checkpoints: try AuditCheckpoints(files: files), trail: store,
            everyAppends: configuration.audit.checkpointEveryAppends,
            interval: .seconds(configuration.audit.checkpointIntervalSeconds), logger: logger))
    }
    let scoring = parts.contains(.worker) ? await ScoringSetup.load(
        configuration.model, rationaleLanguage: configuration.triage.rationaleLanguage, logger: logger) : .rulesOnly
    if parts.contains(.worker) {
        services.append(TriageWorker(
            queue: store, scoring: scoring.rulesPhase,
            validator: ArrivalValidator(limits: configuration.triage.arrivalLimits),
            configuration: configuration.worker.workerConfiguration, listenURL: configuration.database.url,
            logger: logger, modelPhase: scoring.modelPhase.map { (queue: store, scoring: $0) }))
    }
    if parts.contains(.api) {
        let status = BackgroundStatus(
            source: DegradableReadiness(
                base: SchemaReadiness(client: client, migrationsDirectory: configuration.database.migrationsDirectory,
                                      logger: logger),
                degradedReason: scoring.degradedReason, vision: scoring.vision),
            queue: store, worklist: store, registry: metrics, interval: .milliseconds(configuration.http.statusRefreshMilliseconds),
            logger: logger)
        let certificate = try configuration.http.tls.map(ServerCertificate.init(files:))
        let arrivals = ArrivalBatcher(queue: store)
        let boardChanges = BoardChangeFeed(listenURL: configuration.database.url, worklist: store,
                                           capacity: configuration.http.longPollMaxWaiting, logger: logger)
        services.append(status)
        services.append(boardChanges)
        services.append(try await buildApplication(
            configuration: configuration, repository: store, readiness: status, metrics: metrics,
            certificate: certificate, arrivals: arrivals, boardChanges: boardChanges, logger: logger))
        if let certificate { services.append(CertificateReloader(certificate: certificate, logger: logger)) }
        if let port = configuration.hl7.port {
            services.append(MLLPListener(
                host: configuration.hl7.host, port: port, maxMessageBytes: configuration.hl7.maxMessageBytes,
                certificate: configuration.hl7.tls ? certificate : nil,
                intake: HL7Intake(queue: store, arrivals: arrivals, worklist: store,
                                  validator: ArrivalValidator(limits: configuration.triage.arrivalLimits), logger: logger),
                logger: logger))
        }
    }
    return ServiceGroup(configuration: .init(
        services: services.map { .init(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
}

/// Applies pending migrations with the owner's connection (`database.migration_url`, else `database.url`)
/// and returns them.
@discardableResult
public func migrateDatabase(configuration: ServiceConfiguration, logger: Logger) async throws -> [Migration] {
    let url = configuration.database.migrationURL ?? configuration.database.url
    return try await withCheckedClient(url, logger: logger) { client in
        try await MigrationRunner(
            directory: configuration.database.migrationsDirectory, client: client, logger: logger).migrate()
    }
}

/// Where `edtriage verify-audit` finds the signed checkpoints: those the configuration names (checked with the
/// signing key's public half), or a copy on an auditor's host checked with the public key alone.
public enum CheckpointSource: Sendable {
    case configured
    case publicKey(checkpointFile: String, publicKeyFile: String)
}

/// `edtriage verify-audit`: the chain, and the latest signed checkpoint when there are checkpoints to check.
public func verifyAudit(configuration: ServiceConfiguration, trail: any AuditTrail,
                        checkpoints source: CheckpointSource = .configured) async throws -> AuditVerification {
    switch source {
    case .configured:
        return try await verifyAudit(trail, checkpoints: try configuration.audit.checkpoints.map(AuditCheckpoints.init(files:)))
    case .publicKey(let checkpointFile, let publicKeyFile):
        return try await verifyAudit(trail, checkpoints: try AuditCheckpoints(path: checkpointFile, publicKeyFile: publicKeyFile))
    }
}

/// The public key of `audit.checkpoint_key_file` (base64), for the auditors who verify without the signing key.
public func checkpointPublicKey(configuration: ServiceConfiguration) throws -> String {
    guard let files = configuration.audit.checkpoints else {
        throw ConfigurationError(key: "audit.checkpoint_key_file", reason: "not set: there is no signing key")
    }
    return try AuditCheckpoints(files: files).publicKeyBase64
}

/// Makes the configured departments known to the database, so arrivals may name them.
public func registerDepartments(configuration: ServiceConfiguration, logger: Logger) async throws {
    try await withCheckedClient(configuration.database.url, logger: logger) { client in
        try await PostgresTriageStore(client: client, logger: logger).registerDepartments(configuration.triage.departments)
    }
}

/// Refuses to start on a database that lacks a migration or whose applied files have changed since.
/// Uses the service role's connection: it only reads `schema_migrations`.
public func requireCurrentSchema(configuration: ServiceConfiguration, logger: Logger) async throws {
    try await withCheckedClient(configuration.database.url, logger: logger) { client in
        try await MigrationRunner(directory: configuration.database.migrationsDirectory, client: client, logger: logger)
            .requireCurrent()
    }
}

/// A development token for `edtriage token --role ROLE`: only with `auth.allow_dev_tokens`, signed with the
/// HS256 secret, and audited (`token.minted`, with the operating-system user) before it is handed out.
/// `departments` (codes, or `*` for all) becomes its `departments` claim; nil leaves the claim out.
public func mintDevelopmentToken(configuration: ServiceConfiguration, role: Role, actorID: String,
                                 departments: [String]? = nil, logger: Logger) async throws -> String {
    guard configuration.auth.allowDevelopmentTokens else {
        throw ConfigurationError(key: "auth.allow_dev_tokens", reason: "edtriage token mints tokens only when this "
            + "is true (development: scripts/dev-env.sh sets it); in production the identity provider issues them")
    }
    let issued = Date()
    let lifetime = TimeInterval(configuration.auth.tokenTTLSeconds)
    let token = try await TokenVerifier(configuration: configuration.auth, departments: configuration.triage.departments)
        .mintToken(actorID: actorID, role: role, departments: departments, lifetime: .seconds(lifetime), now: issued)
    try await withCheckedClient(configuration.database.url, logger: logger) { client in
        try await PostgresTriageStore(client: client, logger: logger).appendMintedToken(
            subject: actorID, role: role.rawValue, departments: departments, expiresAt: issued.addingTimeInterval(lifetime),
            mintedBy: "os:\(ProcessInfo.processInfo.userName)")
    }
    return token
}

/// A one-connection client for a short task (a command, a start-up check), after one connection has been
/// tried: a wrong address, password or certificate fails at once with the reason, not in a pool's retries.
private func withCheckedClient<Result: Sendable>(
    _ url: DatabaseURL, logger: Logger, _ body: (PostgresClient) async throws -> Result
) async throws -> Result {
    try await url.checkConnection(logger: logger)
    return try await PostgresClient.withRunning(url.clientConfiguration(maximumConnections: 1), logger: logger, body)
}
