import Foundation

/// How an arrival's proposed level is decided, in its two phases: the rules at once, then the
/// language model, which may only make the level more urgent.
///
/// Safety first: under-triage is the costly error (ESI v4 handbook, chapter 1), so the rules are a
/// floor the model can raise but never lower, and the nurse confirms every level.
public enum TriagePolicy {
    /// The rules' assessment as the proposal. `model` records that a model phase follows (`pending`)
    /// or why none can (`unavailable`); nil when no model is configured.
    public static func rulesPhase(_ rules: RulesAssessment, model: ModelAssessment?, inputSHA256: String) -> AssessmentDraft {
        let result = rules.result
        return AssessmentDraft(proposedLevel: result.level, rulesLevel: result.level, scores: rules.scores,
                               findings: result.findings, explanation: result.explanation,
                               confidence: result.confidence, scorer: result.scorer,
                               rulesVersion: TriageRules.version, inputSHA256: inputSHA256, model: model)
    }

    /// The other scorer's text, trimmed and ending in a full stop, so the joined explanation reads well.
    private static func asSentence(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return "no reason given." }
        return ".!?".contains(trimmed.last!) ? trimmed : trimmed + "."
    }
}

extension TriagePolicy {
    /// Combines the rules with the language model's calibrated level distribution.
    ///
    /// The model may only raise the level, and only when its probability mass on the levels more
    /// urgent than the rules' reaches `threshold`; it then proposes the most urgent level whose
    /// cumulative mass P(ESI ≤ level) reaches the threshold. Below the threshold, a model favouring
    /// a more urgent level is shown as advisory for the nurse to review. A small model's answers are
    /// weak evidence, so it never lowers urgency and never decides alone (ESI v4 handbook, chapter 1:
    /// under-triage is the costly error; the nurse confirms every level).
    public static func modelPhase(rules: RulesAssessment, model: ModelAssessment, threshold: Double,
                                  inputSHA256: String) -> AssessmentDraft {
        var draft = rulesPhase(rules, model: model, inputSHA256: inputSHA256)
        var model = model
        guard model.status == .scored, let distribution = model.distribution else { return draft }
        let threshold = min(max(threshold, .ulpOfOne), 1)
        let rulesLevel = rules.result.level
        let massMoreUrgent = distribution.mass(moreUrgentThan: rulesLevel)
        let modelLevel = distribution.mostLikely
        let reasons = model.rationale.map { asSentence($0.reasons.joined(separator: "; ")) }
        model.threshold = threshold
        draft.scorer = ScorerIdentity(name: "model:\(model.identity?.name ?? "unknown")",
                                      version: model.promptVersion ?? "unknown")
        if massMoreUrgent >= threshold {
            let level = distribution.mostUrgentLevel(reaching: threshold)
            let redFlags = (model.rationale?.redFlags ?? []).map {
                Finding(rule: "model.red_flag", summary: $0, impliedLevel: level, source: "language model")
            }
            model.effect = .raised
            draft.proposedLevel = level
            draft.confidence = distribution.mass(atLeastAsUrgentAs: level)
            draft.findings = TriageRules.mostImportantFirst(redFlags + rules.result.findings)
            draft.explanation = "Model raised urgency to \(level) (P(ESI ≤ \(level.rawValue)) = \(format(draft.confidence)))"
                + (reasons.map { ": \($0)" } ?? ".") + " Rules: " + rules.result.explanation
        } else if modelLevel.isMoreUrgent(than: rulesLevel) {
            model.effect = .advisory
            draft.explanation += " Model suggests \(modelLevel), p = \(format(massMoreUrgent)) — review."
        } else {
            model.effect = ModelAssessment.Effect.none
            draft.explanation += " Model: \(modelLevel) most likely (p = \(format(distribution[modelLevel])))"
                + (modelLevel == rulesLevel ? ", agreeing." : "; the rules' level stands.")
        }
        draft.model = model
        return draft
    }

    private static func format(_ probability: Double) -> String { String(format: "%.2f", probability) }
}
