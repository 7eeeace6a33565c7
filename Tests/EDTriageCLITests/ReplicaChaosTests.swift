import Foundation
import Testing

/// Many processes on one PostgreSQL, through failures: bench/replicas.sh runs 2 × `edtriage serve --no-worker` and
/// 3 × `edtriage worker` (this build's) on a PostgreSQL cluster of its own, posts 1,000 arrivals to both APIs while
/// workers are killed with SIGKILL and restarted at random and PostgreSQL is crash-restarted (immediate mode) three
/// times (each restart closes connections in every state: idle, mid-statement, mid-result, listening), a tenth of the
/// patients getting new vitals; two boards long-poll the APIs in turn. The script then reads the database and the
/// boards' record, and this test holds it to each finding.
struct ReplicaChaosTests {
    struct Report: Decodable {
        var arrivals, posted, missing, unexpected: Int
        var notDone: Int
        var secondRounds: Int
        var roundPhaseGaps, roundPhaseDuplicates, auditRoundMismatches: Int
        var workerKills, databaseRestarts: Int
        var finalRevision: Int
        var boardRevisionsSeen: [Int]
        var boardProblems: [String]
        var boardsComplete: Bool
        var verifyAudit: Bool
        var apisAnswering: [Bool]
        var notStoppingOnSigterm: [String]
        var holds: Bool
    }

    @Test(.timeLimit(.minutes(15)))
    func everyArrivalIsScoredOncePerRoundThroughKilledWorkersAndDatabaseCrashes() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("replicas-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let reportFile = folder.appendingPathComponent("report.json")
        var environment = ProcessInfo.processInfo.environment
        environment["EDTRIAGE_BIN"] = CommandRunner.executable.path
        environment["EDTRIAGE_REPLICAS_LOGS"] = folder.path

        let run = try await ExternalProgram.run(
            "bash", ["bench/replicas.sh", "--arrivals", "1000", "--restarts", "3", "--report", reportFile.path],
            environment: environment)
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let report = try JSONDecoder.snakeCase.decode(
            Report.self, from: try #require(try? Data(contentsOf: reportFile),
                                            "no report:\n\(run.stdout)\(run.stderr)\nlogs: \(logs)"))

        // The chaos happened.
        #expect(report.posted == 1000)
        #expect(report.workerKills >= 5, "only \(report.workerKills) workers were killed")
        #expect(report.databaseRestarts == 3)
        #expect(report.secondRounds >= 50, "only \(report.secondRounds) patients were re-triaged")
        // Nothing was lost, nothing was scored twice, the audit still holds.
        #expect(report.missing == 0 && report.unexpected == 0)
        #expect(report.notDone == 0, "\(report.notDone) arrivals are queued, processing or failed")
        #expect(report.roundPhaseGaps == 0, "rounds without their assessment")
        #expect(report.roundPhaseDuplicates == 0, "rounds assessed twice")
        #expect(report.auditRoundMismatches == 0, "assessments without exactly one audit row")
        #expect(report.verifyAudit, "edtriage verify-audit failed")
        // Each board only moved forward, across both APIs, and ended on the final board.
        #expect(report.boardProblems.isEmpty, "\(report.boardProblems)")
        #expect(report.boardRevisionsSeen.allSatisfy { $0 >= 10 }, "\(report.boardRevisionsSeen)")
        #expect(report.boardsComplete, "a board did not end on revision \(report.finalRevision) with every arrival")
        // Both APIs still answer promptly, and every process stops when told to.
        #expect(report.apisAnswering == [true, true], "an API no longer answers")
        #expect(report.notStoppingOnSigterm.isEmpty, "\(report.notStoppingOnSigterm) did not stop on SIGTERM")
        #expect(report.holds && run.status == 0, "\(run.stdout)\(run.stderr)\n\(Self.logTails(in: folder, names: logs))")
    }
}

extension ReplicaChaosTests {
    /// The last lines of each process's log, for a failure's message; for a process that crashed, its crash report
    /// from the top (the fatal error and the frames that raised it), not just the end of its backtrace.
    static func logTails(in folder: URL, names: [String]) -> String {
        names.sorted().filter { $0.hasSuffix(".log") }.map { name in
            let text = (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n")
            let crash = lines.firstIndex { $0.contains("Fatal error") || $0.contains("Program crashed") }
            let shown = crash.map { lines[$0...].prefix(80) } ?? lines.suffix(15)
            return "== \(name)\n" + shown.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

extension JSONDecoder {
    static let snakeCase: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
