import TriageCore

/// The worker's second phase: re-scores an arrival with the model, after the rules' assessment is
/// already on the board, and returns the assessment that supersedes it.
public protocol ModelPhase: Sendable {
    func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft
}

/// Rules plus model under `CombinationPolicy`'s threshold.
public struct ModelScoringPipeline: ModelPhase {
    public let rules: TriageRules
    public let scorer: ModelScorer
    /// Minimum P(more urgent than the rules) for the model to raise the level (`model.raise_threshold`).
    public let threshold: Double

    public init(rules: TriageRules = TriageRules(), scorer: ModelScorer, threshold: Double) {
        self.rules = rules
        self.scorer = scorer
        self.threshold = threshold
    }

    public func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft {
        let assessment = rules.assess(presentation)
        let model = await scorer.assess(presentation, rules: assessment)
        return CombinationPolicy.combine(rules: assessment, model: model, threshold: threshold,
                                         inputSHA256: try presentation.canonicalSHA256())
    }
}
