import ArgumentParser
import Foundation
import Logging
import TriageCore
import TriageService
import TriageStore

/// Ingests N arrivals while K workers drain the queue with the rules scorer, and measures what a board
/// sees: arrivals per second, and the time from enqueue to the patient's row on the worklist.
///
/// Point it at a dedicated, migrated database (bench/queue.sh makes one): it adds N patients to the board.
struct QueueBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Queue throughput and arrival→worklist latency with the rules scorer.")

    @OptionGroup var options: ConfigurationOptions
    @Option(help: "Arrivals to ingest.") var arrivals = 1000
    @Option(help: "Worker services, each with worker.concurrency scoring tasks.") var workers = 4
    @Option(help: "Concurrent producers enqueueing.") var producers = 4
    @Option(help: "Arrivals per second across all producers (0: as fast as they can).") var rate = 0.0

    func run() async throws {
        let configuration = try await options.load()
        let logger = Logger(label: "edtriage.bench")
        let (count, workerCount, producerCount) = (arrivals, workers, producers)
        let result = try await withStore(configuration, logger: logger) { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<workerCount {
                    group.addTask {
                        try await TriageWorker(
                            queue: store, configuration: configuration.worker.workerConfiguration,
                            listenURL: configuration.database.url, logger: logger
                        ).run()
                    }
                }
                defer { group.cancelAll() }
                return try await QueueBenchmark(store: store, arrivals: count, producers: producerCount,
                                                interval: rate > 0 ? .seconds(1 / rate) : nil).run()
            }
        }
        print(result.report(arrivals: count, producers: producerCount, workers: workerCount,
                            concurrency: configuration.worker.concurrency, rate: rate))
    }
}

/// One benchmark run: enqueue everything, watch the board until every arrival is on it.
struct QueueBenchmark: Sendable {
    let store: PostgresTriageStore
    let arrivals: Int
    let producers: Int
    /// Time between two arrivals when paced (arrival `i` is due `i × interval` after the start); nil: unpaced.
    let interval: Duration?

    struct Result {
        var enqueueSeconds: Double
        var drainSeconds: Double
        /// Seconds from enqueue to first sight on the board, sorted.
        var latencies: [Double]

        func percentile(_ p: Double) -> Double {
            latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)]
        }

        func report(arrivals: Int, producers: Int, workers: Int, concurrency: Int, rate: Double) -> String {
            """
            arrivals \(arrivals), producers \(producers)\(rate > 0 ? " paced to \(rate) arrivals/s" : ""), workers \(workers) × concurrency \(concurrency)
            enqueue      \(String(format: "%8.1f", Double(arrivals) / enqueueSeconds)) arrivals/s
            end to end   \(String(format: "%8.1f", Double(arrivals) / drainSeconds)) arrivals/s (first enqueue → last on board, \(String(format: "%.2f", drainSeconds)) s)
            arrival→worklist latency  p50 \(String(format: "%.0f", percentile(0.50) * 1000)) ms  p99 \(String(format: "%.0f", percentile(0.99) * 1000)) ms  max \(String(format: "%.0f", (latencies.last ?? 0) * 1000)) ms
            """
        }
    }

    func run() async throws -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        let runID = UUID().uuidString.prefix(8)
        let context = AuditContext(actor: "edtriage-bench", role: "ingest")
        let validator = ArrivalValidator()
        // As the API and the HL7 listener do: arrivals that come in during a commit share the next one.
        let batcher = ArrivalBatcher(queue: store)

        async let watched = watchBoard(since: start, clock: clock)
        // Several producers, as several registration desks and feeds would be: one producer alone
        // measures its own commit round trips, not the queue.
        let enqueuedAt = try await withThrowingTaskGroup(of: [Int: ContinuousClock.Instant].self) { group in
            for producer in 0..<producers {
                group.addTask {
                    var times: [Int: ContinuousClock.Instant] = [:]
                    for index in stride(from: producer, to: arrivals, by: producers) {
                        if let interval { try await Task.sleep(until: start + interval * index, clock: clock) }
                        var submission = Self.syntheticArrival(index, runID: String(runID))
                        let flags = try validator.validate(&submission)
                        let before = clock.now
                        let item = ArrivalEnqueue(submission: submission, flags: flags, context: context)
                        times[try await batcher.enqueue(item).arrivalID] = before
                    }
                    return times
                }
            }
            return try await group.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
        }
        let enqueueSeconds = (clock.now - start).seconds
        let seen = try await watched
        let latencies = enqueuedAt.compactMap { id, at in seen.firstSeen[id].map { ($0 - at).seconds } }.sorted()
        return Result(enqueueSeconds: enqueueSeconds, drainSeconds: (seen.last - start).seconds, latencies: latencies)
    }

    /// Long-polls the worklist like a board and records when each arrival first appears (the synthetic arrivals
    /// name no department, so they are in the default one).
    private func watchBoard(since start: ContinuousClock.Instant, clock: ContinuousClock) async throws
        -> (firstSeen: [Int: ContinuousClock.Instant], last: ContinuousClock.Instant)
    {
        let department = Department.defaultCode
        let initial = try await store.snapshot(department: department)
        let preexisting = Set(initial.rows.map(\.arrivalID))
        var firstSeen: [Int: ContinuousClock.Instant] = [:]
        var revision = initial.revision
        while firstSeen.count < arrivals {
            revision = try await store.waitForChange(department: department, after: revision, timeout: .seconds(5))
            let now = clock.now
            for row in try await store.snapshot(department: department).rows where !preexisting.contains(row.arrivalID) && firstSeen[row.arrivalID] == nil {
                firstSeen[row.arrivalID] = now
            }
        }
        return (firstSeen, clock.now)
    }

    /// A plausible adult walk-in; vitals vary with the index so the rules take different paths.
    static func syntheticArrival(_ index: Int, runID: String) -> ArrivalSubmission {
        let complaints = ["ankle injury", "abdominal pain", "chest pain", "sore throat", "laceration", "headache"]
        let vitals = Vitals(heartRate: Double(70 + index % 50), respiratoryRate: Double(12 + index % 14),
                            systolicBP: Double(100 + index % 60), diastolicBP: 70, spo2: Double(92 + index % 8),
                            temperatureC: 36.5 + Double(index % 20) / 10, pain: index % 10, gcs: 15,
                            consciousness: .alert, onOxygen: false)
        return ArrivalSubmission(
            source: "bench-\(runID)", externalID: "\(index)", patientRef: "BENCH-\(index)",
            presentation: ClinicalPresentation(age: .years(18 + index % 70), sex: index % 2 == 0 ? .female : .male,
                                               arrivalMode: .walkIn, chiefComplaint: complaints[index % complaints.count],
                                               note: "Synthetic benchmark arrival.", vitals: vitals))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
