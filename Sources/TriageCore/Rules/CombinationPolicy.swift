import Foundation

/// How the rules and another scorer (e.g. the language model) combine into the proposed level.
///
/// Safety first: the other scorer may make a case more urgent, never less urgent than the rules,
/// because under-triage is the costly error (ESI v4 handbook, chapter 1).
public enum CombinationPolicy {
    public static func combine(rules: RulesAssessment, other: ScorerResult?, inputSHA256: String) -> AssessmentDraft {
        let rulesResult = rules.result
        guard let other else {
            return draft(rules, level: rulesResult.level, findings: rulesResult.findings,
                         explanation: rulesResult.explanation, confidence: rulesResult.confidence,
                         scorer: rulesResult.scorer, inputSHA256: inputSHA256)
        }
        let level = min(rulesResult.level, other.level)
        let known = Set(rulesResult.findings)
        let added = other.findings.filter { !known.contains($0) }
        var explanation = rulesResult.explanation
        if level.isMoreUrgent(than: rulesResult.level) {
            explanation = "Raised to \(level) by \(other.scorer.name): \(asSentence(other.explanation)) Rules: " + explanation
        } else if rulesResult.level.isMoreUrgent(than: other.level) {
            explanation += " \(other.scorer.name) proposed \(other.level); the rules' level stands."
        }
        let findings = level == rulesResult.level
            ? rulesResult.findings + added
            : TriageRules.mostImportantFirst(added + rulesResult.findings)
        return draft(rules, level: level, findings: findings, explanation: explanation,
                     confidence: level == rulesResult.level ? rulesResult.confidence : other.confidence,
                     scorer: other.scorer, inputSHA256: inputSHA256)
    }

    /// The other scorer's text, trimmed and ending in a full stop, so the joined explanation reads well.
    private static func asSentence(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return "no reason given." }
        return ".!?".contains(trimmed.last!) ? trimmed : trimmed + "."
    }

    private static func draft(_ rules: RulesAssessment, level: ESILevel, findings: [Finding], explanation: String,
                              confidence: Double, scorer: ScorerIdentity, inputSHA256: String) -> AssessmentDraft {
        AssessmentDraft(proposedLevel: level, rulesLevel: rules.result.level, scores: rules.scores,
                        findings: findings, explanation: explanation, confidence: confidence, scorer: scorer,
                        rulesVersion: TriageRules.version, inputSHA256: inputSHA256)
    }
}

extension CombinationPolicy {
    /// Combines the rules with the language model's calibrated level distribution.
    ///
    /// The model may only raise the level, and only when its probability mass on the levels more
    /// urgent than the rules' reaches `threshold`; it then proposes the most urgent level whose
    /// cumulative mass P(ESI ≤ level) reaches the threshold. Below the threshold, a model favouring
    /// a more urgent level is shown as advisory for the nurse to review. A small model's answers are
    /// weak evidence, so it never lowers urgency and never decides alone (ESI v4 handbook, chapter 1:
    /// under-triage is the costly error; the nurse confirms every level).
    public static func combine(rules: RulesAssessment, model: ModelAssessment, threshold: Double,
                               inputSHA256: String) -> AssessmentDraft {
        var draft = combine(rules: rules, other: nil, inputSHA256: inputSHA256)
        var model = model
        guard model.status == .scored, let distribution = model.distribution else {
            draft.model = model
            return draft
        }
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
