import ArgumentParser
import Foundation
import TriageCore

/// Scores one arrival offline (no database) and prints the explanation a nurse would see.
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Score one arrival (JSON file, or - for stdin) offline and explain it.")

    @Argument(help: "JSON file holding one arrival (a submission or just the clinical presentation).") var file: String
    @Flag(help: "Print the assessment draft as JSON.") var json = false

    func run() async throws {
        let data = try file == "-" ? FileHandle.standardInput.readToEnd() ?? Data() : Data(contentsOf: URL(fileURLWithPath: file))
        let presentation: ClinicalPresentation
        let flags: [Finding]
        do {
            presentation = try JSONDecoder().decode(ClinicalPresentation.self, from: data)
            flags = try ArrivalValidator().validate(presentation)
        } catch let error as DecodingError {
            throw ValidationError("arrival rejected: \(error.fieldDescription)")
        } catch let error as ArrivalValidationError {
            throw ValidationError("arrival rejected: \(error)")
        }
        let rules = TriageRules().assess(presentation)
        let draft = CombinationPolicy.combine(rules: rules, other: nil, inputSHA256: try presentation.canonicalSHA256())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(draft), as: UTF8.self))
            return
        }
        print(AssessmentReport(rules: rules, draft: draft, flags: flags).text)
    }
}

/// The plain-text explanation of one assessment.
struct AssessmentReport {
    let rules: RulesAssessment
    let draft: AssessmentDraft
    let flags: [Finding]

    var text: String {
        var lines = ["\(draft.proposedLevel) (\(draft.proposedLevel.label)), decision point \(rules.decisionPoint.rawValue)",
                     draft.explanation, "", "Findings:"]
        lines += draft.findings.map { "  - \($0.summary)  [\($0.source)]" }
        if !flags.isEmpty {
            lines += ["", "Check these values:"] + flags.map { "  - \($0.summary)" }
        }
        lines += ["", "Scores:"]
        if let news2 = rules.scores.news2 {
            lines.append("  NEWS2 \(news2.total) (\(news2.risk)\(news2.isComplete ? "" : ", incomplete")): "
                + news2.subScores.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if let qsofa = rules.scores.qsofa { lines.append("  qSOFA \(qsofa.total)\(qsofa.isPositive ? " (positive)" : "")") }
        if let shock = rules.scores.shockIndex {
            lines.append("  shock index \(String(format: "%.2f", shock.value))\(shock.isElevated ? " (elevated)" : "")")
        }
        lines += ["", "Expected resources: \(rules.expectedResources)",
                  "Scorer \(draft.scorer.name) \(draft.scorer.version), rules \(draft.rulesVersion), "
                    + "confidence \(String(format: "%.2f", draft.confidence)), input sha256 \(draft.inputSHA256)"]
        return lines.joined(separator: "\n")
    }
}
