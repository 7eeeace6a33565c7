import ArgumentParser
import Foundation
import TriageCore

/// Compares proposed levels with reference levels on a case file (e.g. shared/clinical/vignettes.jsonl).
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate triage against reference ESI levels in a JSONL case file.")

    enum Format: String, ExpressibleByArgument { case text, json }

    @Option(help: "JSONL file of cases with expected_esi.") var cases: String
    @Option(help: "text or json.") var format: Format = .text

    func run() async throws {
        let evaluation = TriageEvaluation(
            cases: try VignetteCase.parseJSONLines(try Data(contentsOf: URL(fileURLWithPath: cases))))
        switch format {
        case .text:
            print(evaluation.textReport())
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(evaluation), as: UTF8.self))
        }
    }
}
