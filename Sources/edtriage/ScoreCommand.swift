import ArgumentParser
import Foundation
import TriageCore
import TriageService

/// Scores one arrival offline (no database) and prints the explanation a nurse would see.
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Score one arrival (JSON file, or - for stdin) offline and explain it.")

    @Argument(help: "JSON file holding one arrival (a submission or just the clinical presentation).") var file: String
    @Flag(help: "Print the assessment draft as JSON.") var json = false
    @OptionGroup var modelOptions: ModelScoringOptions

    func run() async throws {
        let data = try file == "-" ? FileHandle.standardInput.readToEnd() ?? Data() : Data(contentsOf: URL(fileURLWithPath: file))
        let presentation: ClinicalPresentation
        let images: [ImageSubmission]
        let flags: [Finding]
        do {
            presentation = try JSONDecoder().decode(ClinicalPresentation.self, from: data)
            images = try JSONDecoder().decode(SubmittedImages.self, from: data).images ?? []
            flags = try ArrivalValidator().validate(presentation)
        } catch let error as DecodingError {
            throw ValidationError("arrival rejected: \(error.fieldDescription)")
        } catch let error as ArrivalValidationError {
            throw ValidationError("arrival rejected: \(error)")
        }
        let rules = TriageRules().assess(presentation)
        var draft = TriagePolicy.rulesPhase(rules, model: nil, inputSHA256: try presentation.canonicalSHA256())
        if let scorer = try await modelOptions.scorer(rationale: true) {
            let phase = CalibratedModelPhase(scorer: scorer, threshold: modelOptions.threshold, maxImages: images.count)
            do {
                draft = try await phase.score(presentation, images: images, reading: .now)
            } catch {
                draft.model = .unavailable(ModelScorer.reason(error), identity: scorer.backend.identity)
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(draft), as: UTF8.self))
            return
        }
        print(AssessmentReport(rules: rules, draft: draft, flags: flags).text)
    }
}

/// The images of an arrival file, when it is a whole submission.
private struct SubmittedImages: Decodable {
    let images: [ImageSubmission]?
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
        if let model = draft.model {
            lines += ["", "Model (\(model.status.rawValue)):"] + ModelReport(model: model, rulesLevel: draft.rulesLevel).lines
        }
        lines += ["", "Expected resources: \(rules.expectedResources)",
                  "Scorer \(draft.scorer.name) \(draft.scorer.version), rules \(draft.rulesVersion), "
                    + "confidence \(String(format: "%.2f", draft.confidence)), input sha256 \(draft.inputSHA256)"]
        return lines.joined(separator: "\n")
    }
}


/// The model's part of the report: distribution (raw, prior, calibrated), effect and rationale.
struct ModelReport {
    let model: ModelAssessment
    let rulesLevel: ESILevel

    var lines: [String] {
        var lines: [String] = []
        if let reason = model.reason { lines.append("  unavailable: \(reason)") }
        if let identity = model.identity {
            lines.append("  \(identity.name) \(identity.quantization ?? "") sha256 \(identity.sha256 ?? "-"), \(identity.engine), "
                         + "\(model.promptVersion ?? "-"), seed \(model.seed.map(String.init) ?? "-")")
        }
        let distributions = [("raw", model.rawDistribution), ("prior", model.prior), ("calibrated", model.distribution)]
        for case let (name, distribution?) in distributions {
            lines.append("  P(ESI 1…5) \(name.padding(toLength: 10, withPad: " ", startingAt: 0)) "
                         + distribution.probabilities.map { String(format: "%.3f", $0) }.joined(separator: "  "))
        }
        if let level = model.level, let confidence = model.confidence {
            lines.append("  most likely \(level) (p = \(String(format: "%.2f", confidence))); rules \(rulesLevel); "
                         + "effect \(model.effect?.rawValue ?? "-") at threshold \(model.threshold.map { String($0) } ?? "-")")
        }
        if let rationale = model.rationale {
            lines.append("  reasons: " + (rationale.reasons.isEmpty ? "-" : rationale.reasons.joined(separator: "; ")))
            lines.append("  red flags: " + (rationale.redFlags.isEmpty ? "-" : rationale.redFlags.joined(separator: "; ")))
        }
        if let error = model.rationaleError { lines.append("  rationale unavailable: \(error)") }
        for image in model.images ?? [] {
            lines.append("  image \(image.index + 1): \(image.status.rawValue.replacingOccurrences(of: "_", with: " "))"
                         + (image.reason.map { ": \($0)" } ?? "") + " (sha256 \(image.sha256))")
        }
        return lines
    }
}
