import ArgumentParser
import Foundation
import TriageCore
import TriageService

/// Compares proposed levels with reference levels on a case file (e.g. shared/clinical/vignettes.jsonl).
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate triage against reference ESI levels in a JSONL case file.")

    enum Format: String, ExpressibleByArgument { case text, json }

    @Option(help: "JSONL file of cases with expected_esi; repeat for several (e.g. one per note language).")
    var cases: [String]
    @Option(help: "text or json.") var format: Format = .text
    @OptionGroup var modelOptions: ModelScoringOptions

    func run() async throws {
        let cases = try self.cases.flatMap { try VignetteCase.parseJSONLines(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        // With --model: rules, model and combined side by side (levels only: no rationale is generated).
        if let scorer = try await modelOptions.scorer(rationale: false) {
            let evaluation = try await ModelEvaluation.run(cases: cases, scorer: scorer, threshold: modelOptions.threshold)
            try print(format == .text ? evaluation.textReport() : Self.json(evaluation))
            return
        }
        let evaluation = TriageEvaluation(cases: cases)
        try print(format == .text ? evaluation.textReport() : Self.json(evaluation))
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
