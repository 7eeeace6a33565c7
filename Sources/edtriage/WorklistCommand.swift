import ArgumentParser
import Foundation
import Logging
import TriageStore

/// Prints the board as a nurse would read it, most urgent first.
struct WorklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worklist", abstract: "Print the current worklist.")

    @OptionGroup var options: ConfigurationOptions
    @Option(help: "Wait up to this many seconds until the board has at least --min-rows rows.") var wait: Int = 0
    @Option(help: "Rows to wait for with --wait.") var minRows: Int = 1
    @Flag(help: "With --wait, also wait until no row's model assessment is pending.") var modelSettled = false
    @Option(help: "The department whose board to print; needed when triage.departments names several.")
    var department: String?

    func run() async throws {
        let configuration = try await options.load()
        let departments = configuration.triage.departments
        guard let department = department ?? (departments.count == 1 ? departments[0] : nil),
              departments.contains(department) else {
            throw ValidationError("--department must be one of \(departments.joined(separator: ", "))")
        }
        let (wait, minRows, modelSettled) = (wait, minRows, modelSettled)
        let snapshot = try await withStore(configuration, logger: Logger(label: "edtriage.worklist")) { store in
            var snapshot = try await store.snapshot(department: department)
            let deadline = ContinuousClock.now + .seconds(wait)
            func waiting(_ snapshot: WorklistSnapshot) -> Bool {
                snapshot.rows.count < minRows || (modelSettled && snapshot.rows.contains { $0.modelStatus == .pending })
            }
            while waiting(snapshot), ContinuousClock.now < deadline {
                _ = try await store.waitForChange(department: department, after: snapshot.revision,
                                                  timeout: deadline - .now)
                snapshot = try await store.snapshot(department: department)
            }
            return snapshot
        }
        print(WorklistTable(snapshot: snapshot).text)
    }
}

/// Fixed-width text rendering of a worklist snapshot.
struct WorklistTable {
    let snapshot: WorklistSnapshot

    var text: String {
        let header = ["ESI", "arrival", "age/sex", "complaint", "waiting", "state", "model", "top finding"]
        let rows = snapshot.rows.map { row in
            [
                "\(row.effectiveLevel.rawValue)" + (row.effectiveLevel != row.proposedLevel ? " (proposed \(row.proposedLevel.rawValue))" : ""),
                "#\(row.arrivalID)",
                "\(row.age.description) \(row.sex.rawValue)",
                String(row.chiefComplaint.prefix(28)),
                "\(row.minutesWaiting) min",
                row.state.rawValue + (row.reviewLevel.map { " REVIEW: \($0)" } ?? ""),
                row.modelStatus?.rawValue ?? "-",
                String((row.topFindings.first?.summary ?? "").prefix(70)),
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        let lines = ([header] + rows).map { cells in
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        let explanations = snapshot.rows.compactMap { row in
            row.explanation.map { "#\(row.arrivalID): \($0)" + (row.advisory.map { " \($0)." } ?? "") }
        }
        let images = snapshot.rows.compactMap { row in row.imagesNote.map { "#\(row.arrivalID): \($0)" } }
        return (["\(snapshot.department) worklist revision \(snapshot.revision), \(snapshot.rows.count) patients"] + lines
                + (explanations.isEmpty ? [] : ["", "Explanations:"] + explanations)
                + (images.isEmpty ? [] : ["", "Images:"] + images)).joined(separator: "\n")
    }
}
