import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Prometheus
import TriageCore
import TriageStore
import TriageStoreTestSupport
@testable import TriageService

/// The real application over the real store on a fresh PostgreSQL database, with helpers to mint tokens,
/// send JSON and score queued arrivals the way the worker does.
struct ServiceHarness: Sendable {
    static let secret = "edtriage-test-secret-0123456789abcdef"

    let configuration: ServiceConfiguration
    let store: PostgresTriageStore
    let database: TestDatabase
    let client: any TestClientProtocol
    let verifier: TokenVerifier
    /// The registry `/metrics` exposes.
    let metrics: PrometheusCollectorRegistry
    /// What `/readyz` and `/metrics` report; refreshed before `body` runs, then only when a test asks.
    let status: BackgroundStatus
    /// What long-polls wait on; it runs for as long as the harness.
    let boardChanges: BoardChangeFeed

    /// Configuration from the defaults plus `environment` (with the test HS256 secret), like production.
    static func configuration(_ environment: [String: String] = [:]) async throws -> ServiceConfiguration {
        try await ServiceConfiguration.load(
            file: nil, environment: ["EDTRIAGE_AUTH_HS256_SECRET": secret].merging(environment) { $1 })
    }

    /// Runs `body` against a fresh, migrated database (unless `migrate` is false).
    static func run(
        environment: [String: String] = [:],
        migrate: Bool = true,
        _ body: @Sendable @escaping (ServiceHarness) async throws -> Void
    ) async throws {
        let configuration = try await configuration(environment)
        try await TestDatabase.with(migrate: migrate) { database in
            try await TestDatabase.withClient(database.appURL) { postgres in
                let store = PostgresTriageStore(
                    client: postgres, configuration: configuration.storeConfiguration, logger: TestDatabase.logger)
                if migrate { try await store.registerDepartments(configuration.triage.departments) }
                var logger = Logger(label: "edtriage.tests.http")
                logger.logLevel = .warning
                let metrics = PrometheusCollectorRegistry()
                let status = BackgroundStatus(
                    source: SchemaReadiness(client: postgres, migrationsDirectory: TestDatabase.migrationsDirectory,
                                            logger: TestDatabase.logger),
                    queue: store, worklist: store, registry: metrics, interval: .seconds(3_600), logger: logger)
                await status.refresh()
                let boardChanges = BoardChangeFeed(listenURL: database.appURL, worklist: store,
                                                   capacity: configuration.http.longPollMaxWaiting, logger: logger)
                let app = try await buildApplication(
                    configuration: configuration, repository: store, readiness: status,
                    metrics: metrics, boardChanges: boardChanges, logger: logger)
                let verifier = try await TokenVerifier(configuration: configuration.auth,
                                                       departments: configuration.triage.departments)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await boardChanges.run() }
                    try await app.test(.router) { client in
                        try await body(ServiceHarness(configuration: configuration, store: store, database: database,
                                                      client: client, verifier: verifier, metrics: metrics,
                                                      status: status, boardChanges: boardChanges))
                    }
                    group.cancelAll()
                }
            }
        }
    }

    /// A store whose client never connects: for tests that only build the router.
    static func offlineStore() throws -> PostgresTriageStore {
        let url = try DatabaseURL("postgres://nobody@127.0.0.1:1/none?sslmode=disable")
        return PostgresTriageStore(client: PostgresClient(configuration: url.clientConfiguration,
                                                          backgroundLogger: TestDatabase.logger),
                                   logger: TestDatabase.logger)
    }

    /// A token for `role`; `departments` (codes, or `*`) becomes its claim, which a one-department service needs not.
    func token(_ role: Role, actor: String? = nil, departments: [String]? = nil) async throws -> String {
        try await verifier.mintToken(actorID: actor ?? "test-\(role.rawValue)", role: role, departments: departments,
                                     lifetime: .seconds(600))
    }

    func headers(_ role: Role?, _ extra: HTTPFields = [:]) async throws -> HTTPFields {
        var headers = extra
        if let role { headers[.authorization] = "Bearer \(try await token(role))" }
        return headers
    }

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, as role: Role?, headers extra: HTTPFields = [:],
              json: String? = nil) async throws -> TestResponse {
        var headers = try await headers(role, extra)
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers,
                                        body: json.map { ByteBuffer(string: $0) })
    }

    /// Submits `arrival` as a nurse and returns its id.
    func submit(_ arrival: String) async throws -> Int {
        let response = try await send(.post, "/v1/arrivals", as: .nurse, json: arrival)
        guard response.status == .accepted || response.status == .ok else {
            throw HarnessError("submit answered \(response.status.code): \(String(buffer: response.body))")
        }
        return try decode(ArrivalReply.self, response).arrivalID
    }

    /// Scores everything queued, as the worker does (claim, rules pipeline, complete in one transaction).
    func scoreQueued() async throws {
        let pipeline = RulesPhase()
        for claim in try await store.claim(limit: 100, lease: .seconds(60), maxAttempts: 5) {
            let presentation = try claim.submission().presentation
            _ = try await store.complete(claim, presentation: presentation, draft: try await pipeline.score(presentation))
        }
    }

    /// Submits and scores an arrival; returns its board row.
    func boardRow(for arrival: String) async throws -> WorklistRow {
        let id = try await submit(arrival)
        try await scoreQueued()
        guard let row = try await store.row(arrivalID: id) else { throw HarnessError("arrival \(id) not on the board") }
        return row
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try JSONDecoder.iso8601.decode(T.self, from: Data(response.body.readableBytesView))
    }

    func problem(_ response: TestResponse) throws -> Problem.Body {
        try decode(Problem.Body.self, response)
    }

    /// The kind of error a response reports, as the path's error format names it: problem+json's `type`, or under
    /// `/fhir/` the OperationOutcome's issue code.
    func refusal(_ response: TestResponse, at path: String) throws -> String {
        guard path.hasPrefix("/fhir/") else { return try problem(response).type }
        return try decode(FHIROperationOutcome.self, response).issue.first?.code ?? ""
    }

    /// What `refusal` reads for a problem of `kind` at `path`.
    static func refusal(_ kind: Problem.Kind, at path: String) -> String {
        path.hasPrefix("/fhir/") ? Problem(kind, "").operationOutcome.issue[0].code : kind.typeURI
    }

    struct ArrivalReply: Decodable {
        let arrivalID: Int
        let duplicate: Bool?
        private enum CodingKeys: String, CodingKey {
            case duplicate
            case arrivalID = "arrival_id"
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Arrivals as producers send them.
enum Arrivals {
    /// A stable adult with chest pain; `externalID` makes it unique per test. `images` is the JSON array of images.
    static func chestPain(_ externalID: String = UUID().uuidString, heartRate: Double = 88,
                          images: String = "[]") -> String {
        """
        {"source": "test-adt", "external_id": "\(externalID)", "patient_ref": "MRN-\(externalID.prefix(8))",
         "age": {"years": 54}, "sex": "M", "arrival_mode": "walk-in", "chief_complaint": "chest pain",
         "note": "pain for two hours", "vitals": {"hr": \(heartRate), "rr": 18, "sbp": 132, "dbp": 84,
         "spo2": 97, "temp_c": 36.8, "pain": 6, "gcs": 15, "avpu": "A"}, "images": \(images)}
        """
    }
}

extension JSONDecoder {
    /// Our wire format's dates are ISO 8601.
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
