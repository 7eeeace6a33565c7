import TriageCore

/// Turns one presentation into one assessment draft. The worker's only view of scoring, so tests
/// and later scorers (the language model) plug in without touching the queue logic.
public protocol ArrivalScoring: Sendable {
    func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft
}

/// The deterministic rules, optionally combined with one more scorer (e.g. the local model) under
/// `CombinationPolicy`, which never lets the other scorer make a level less urgent than the rules'.
public struct RulesScoringPipeline: ArrivalScoring {
    public let rules: TriageRules
    public let additionalScorer: (any TriageScorer)?
    /// Recorded on every draft when set: `pending` while a model phase follows, `unavailable` with the
    /// reason when the configured model could not be loaded.
    public let modelStatus: ModelAssessment?

    public init(rules: TriageRules = TriageRules(), additionalScorer: (any TriageScorer)? = nil,
                modelStatus: ModelAssessment? = nil) {
        self.rules = rules
        self.additionalScorer = additionalScorer
        self.modelStatus = modelStatus
    }

    public func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft {
        let assessment = rules.assess(presentation)
        let other = try await additionalScorer?.score(presentation, rules: assessment)
        var draft = CombinationPolicy.combine(rules: assessment, other: other,
                                              inputSHA256: try presentation.canonicalSHA256())
        draft.model = modelStatus
        return draft
    }
}
