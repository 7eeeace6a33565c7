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
