/// The rules as a `TriageScorer`, so the worker can treat rules and model scorers alike.
public struct RulesScorer: TriageScorer {
    public let identity = TriageRules.identity

    public init() {}

    /// The rules' own result; `rules` is already the assessment of `presentation`.
    public func score(_ presentation: ClinicalPresentation, rules: RulesAssessment) async throws -> ScorerResult {
        rules.result
    }
}
