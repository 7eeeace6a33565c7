import Foundation
import Logging
import ServiceLifecycle
import Testing
import TriageCore
@testable import TriageService
import TriageStore
import TriageStoreTestSupport

/// A scorer that fails its first `failures` calls, then scores with the rules.
final class FlakyScoring: ArrivalScoring, @unchecked Sendable {
    private let lock = NSLock()
    private var remainingFailures: Int
    struct Crash: Error {}

    init(failures: Int) { remainingFailures = failures }

    func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft {
        let fail = lock.withLock {
            defer { remainingFailures -= 1 }
            return remainingFailures > 0
        }
        if fail { throw Crash() }
        return try await RulesPhase().score(presentation)
    }
}

/// A scorer that holds every call until `open()`, so a test can shut down with work in flight.
final class GatedScoring: ArrivalScoring, @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private(set) var started = 0

    func open() { lock.withLock { isOpen = true } }
    var startedCount: Int { lock.withLock { started } }

    func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft {
        lock.withLock { started += 1 }
        while !lock.withLock({ isOpen }) { try await Task.sleep(for: .milliseconds(20)) }
        return try await RulesPhase().score(presentation)
    }
}

@Suite("Queue worker")
struct TriageWorkerTests {
    /// The server processes of LISTENing connections on the current database.
    static let listeners = "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'"

    static let quickRetry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(50), maxDelay: .milliseconds(200))

    /// Runs `workers` worker services against `database` until `body` returns, then shuts them down gracefully.
    func withWorkers<T: Sendable>(
        _ database: TestDatabase, count workers: Int = 1, scoring: any ArrivalScoring = RulesPhase(),
        configuration: WorkerConfiguration, listen: Bool = true, modelPhase: (any ModelPhase)? = nil,
        _ body: (PostgresTriageStore) async throws -> T
    ) async throws -> T {
        try await database.withStore { store in
            let services = (0..<workers).map { _ in
                TriageWorker(queue: store, scoring: scoring, configuration: configuration,
                             listenURL: listen ? database.appURL : nil, logger: TestDatabase.logger,
                             modelPhase: modelPhase.map { (queue: store, scoring: $0) })
            }
            let group = ServiceGroup(services: services, gracefulShutdownSignals: [], cancellationSignals: [],
                                     logger: TestDatabase.logger)
            return try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let result = try await body(store)
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                    return result
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
            }
        }
    }

    /// Polls `condition` every 50 ms for up to `timeout`.
    func eventually(_ timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// Inserts one arrival and expects it scored by a worker whose poll interval is 10 minutes: only the
    /// arrival's notification can wake it that soon.
    func expectNotificationWakesWorker(_ database: TestDatabase) async throws {
        let start = ContinuousClock.now
        try await database.insertArrivals(count: 1)
        #expect(try await eventually(.seconds(90)) { try await database.count("assessments") == 1 })
        // Far below the poll interval even on a machine busy with the rest of the suite.
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test("a NOTIFY wakes an idle worker long before its poll interval")
    func notifyWakesWorker() async throws {
        try await TestDatabase.with { database in
            let configuration = WorkerConfiguration(pollInterval: .seconds(600))
            try await withWorkers(database, configuration: configuration) { store async throws in
                // Wait for the LISTEN connection, and for the catch-up claim made after connecting to pass,
                // so that only a notification can wake the worker before its 10-minute poll.
                #expect(try await eventually { try await database.ownerQuery(Self.listeners).count == 1 })
                try await Task.sleep(for: .milliseconds(500))
                try await expectNotificationWakesWorker(database)
            }
        }
    }

    @Test("the LISTEN connection reconnects after the server drops it")
    func listenReconnects() async throws {
        try await TestDatabase.with { database in
            let configuration = WorkerConfiguration(pollInterval: .seconds(600), reconnectDelay: .milliseconds(100))
            try await withWorkers(database, configuration: configuration) { store async throws in
                let listener = Self.listeners
                #expect(try await eventually { try await database.ownerQuery(listener).count == 1 })
                let first = try await database.ownerQuery(listener)
                try await database.ownerQuery("""
                    SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity
                    WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                    """)
                #expect(try await eventually {
                    let now = try await database.ownerQuery(listener)
                    return now.count == 1 && now != first
                })
                try await expectNotificationWakesWorker(database)
            }
        }
    }

    @Test("four workers score 1,000 plain-SQL arrivals, each exactly once on its first claim")
    func fourWorkers() async throws {
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1000)
            // Leases far longer than the deadline: this is about claims, not expiry (tested apart), and the suite's
            // engine tests can hold the two cores for tens of seconds.
            let configuration = WorkerConfiguration(concurrency: 2, batchSize: 16, lease: .seconds(600),
                                                    pollInterval: .milliseconds(200))
            try await withWorkers(database, count: 4, configuration: configuration) { store async throws in
                // A deadline, not a speed claim: the suite shares two cores with the engine's tests.
                #expect(try await eventually(.seconds(300)) { try await database.count("assessments") == 1000 })
                #expect(try await store.verifyAudit().isIntact)
            }
            #expect(try await database.count("arrivals", where: "state = 'done' AND attempts = 1") == 1000)
            #expect(try await database.count("worklist", where: "status = 'awaiting_confirmation'") == 1000)
        }
    }

    @Test("a plain-SQL arrival with impossible vitals is dead-lettered at once with the validation message")
    func invalidPlainSQLArrival() async throws {
        try await TestDatabase.with { database in
            let impossible = #"{"age":{"years":30},"sex":"M","arrival_mode":"walk-in","chief_complaint":"cough","vitals":{"hr":900}}"#
            try await database.insertArrivals(count: 1, payload: impossible)
            try await database.ownerQuery("""
                INSERT INTO arrivals (source, external_id, patient_ref, payload)
                VALUES ('sql', 'no-age', 'MRN-x', '{"sex":"M"}')
                """)
            try await withWorkers(database, configuration: WorkerConfiguration(pollInterval: .milliseconds(100))) { store async throws in
                #expect(try await eventually { try await store.failedArrivals(limit: 10, departments: nil).count == 2 })
                let failed = try await store.failedArrivals(limit: 10, departments: nil)
                #expect(failed.allSatisfy { $0.attempts == 1 })
                #expect(failed.contains { $0.lastError.contains("hr") })
                #expect(failed.contains { $0.lastError.contains("age") })
                #expect(failed.allSatisfy { !$0.lastError.contains("MRN") })
            }
            #expect(try await database.count("assessments") == 0)
        }
    }

    @Test("a scorer that keeps failing is retried with backoff, then dead-lettered; a transient failure recovers")
    func retriesThenDeadLetter() async throws {
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1)
            let configuration = WorkerConfiguration(pollInterval: .milliseconds(50), retry: Self.quickRetry)
            try await withWorkers(database, scoring: FlakyScoring(failures: 100), configuration: configuration) { store async throws in
                #expect(try await eventually { try await store.failedArrivals(limit: 1, departments: nil).count == 1 })
                let failed = try #require(try await store.failedArrivals(limit: 1, departments: nil).first)
                #expect(failed.attempts == 3)
                #expect(failed.lastError.contains("Crash"))
            }
            #expect(try await database.count("assessments") == 0)
        }
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1)
            let configuration = WorkerConfiguration(pollInterval: .milliseconds(50), retry: Self.quickRetry)
            try await withWorkers(database, scoring: FlakyScoring(failures: 2), configuration: configuration) { _ async throws in
                #expect(try await eventually { try await database.count("assessments") == 1 })
            }
            #expect(try await database.count("assessments", where: "attempt = 3") == 1)
        }
    }

    @Test("graceful shutdown finishes the arrival in flight and gives back the claimed ones not started")
    func gracefulShutdown() async throws {
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 4)
            let gate = GatedScoring()
            let configuration = WorkerConfiguration(concurrency: 1, batchSize: 4, pollInterval: .milliseconds(100))
            try await database.withStore { store async throws in
                let worker = TriageWorker(queue: store, scoring: gate, configuration: configuration, listenURL: nil,
                                          logger: TestDatabase.logger)
                let group = ServiceGroup(services: [worker], gracefulShutdownSignals: [], cancellationSignals: [],
                                         logger: TestDatabase.logger)
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    #expect(try await eventually(.seconds(90)) { gate.startedCount == 1 })
                    #expect(try await store.queueDepth().processing == 4)
                    await group.triggerGracefulShutdown()
                    try await Task.sleep(for: .milliseconds(200))
                    gate.open()
                    try await tasks.waitForAll()
                }
            }
            #expect(gate.startedCount == 1)
            #expect(try await database.count("assessments") == 1)
            #expect(try await database.count("arrivals", where: "state = 'queued' AND attempts = 0") == 3)
        }
    }

    /// With the database gone (a failover, a power cut), a claim waits for a connection until the pool gives up,
    /// about a minute: past the 30 s a Kubernetes pod gets to stop before it is killed. Shutdown calls the claim off.
    @Test("graceful shutdown does not wait for a claim on an unreachable database", .timeLimit(.minutes(5)))
    func shutdownWithTheDatabaseDown() async throws {
        // Port 1 on loopback: nothing listens, so every connection attempt is refused at once.
        let unreachable = try DatabaseURL("postgres://edtriage_app@127.0.0.1:1/edtriage?sslmode=disable")
        try await TestDatabase.withClient(unreachable) { client in
            let store = PostgresTriageStore(client: client, configuration: StoreConfiguration(), logger: TestDatabase.logger)
            let worker = TriageWorker(queue: store, configuration: WorkerConfiguration(pollInterval: .seconds(600)),
                                      listenURL: nil, logger: TestDatabase.logger)
            let group = ServiceGroup(services: [worker], gracefulShutdownSignals: [], cancellationSignals: [],
                                     logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await Task.sleep(for: .seconds(2))
                let asked = ContinuousClock.now
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                let stoppedAfter = ContinuousClock.now - asked
                #expect(stoppedAfter < .seconds(15), "stopped \(stoppedAfter) after it was asked to")
            }
        }
    }

    @Test("decoding errors name the field, never the value")
    func decodingErrorPath() throws {
        let claim = ClaimedArrival(arrivalID: 1, scoringRound: 1, attempt: 1, leaseToken: UUID(), source: "s",
                                   externalID: "e", patientRef: "secret-ref", receivedAt: Date(),
                                   payloadJSON: #"{"age":{"years":"forty"},"sex":"F","arrival_mode":"walk-in","chief_complaint":"secret"}"#,
                                   images: [])
        guard case .failure(let rejection) = TriageWorker.revalidate(claim, with: ArrivalValidator()) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.field == "age.years")
        #expect(!rejection.reason.contains("forty") && !rejection.reason.contains("secret"))
    }
}
