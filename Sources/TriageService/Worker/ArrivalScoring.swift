import TriageCore

/// Turns one presentation into one assessment draft: the worker's only view of scoring, so tests
/// plug in without touching the queue logic.
public protocol ArrivalScoring: Sendable {
    func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft
}

/// The first phase: the deterministic rules, on the board at once.
public struct RulesPhase: ArrivalScoring {
    public let rules: TriageRules
    /// Recorded on every draft when set: `pending` while a model phase follows, `unavailable` with the
    /// reason when the configured model could not be loaded.
    public let modelStatus: ModelAssessment?

    public init(rules: TriageRules = TriageRules(), modelStatus: ModelAssessment? = nil) {
        self.rules = rules
        self.modelStatus = modelStatus
    }

    public func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft {
        TriagePolicy.rulesPhase(rules.assess(presentation), model: modelStatus,
                                inputSHA256: try presentation.canonicalSHA256())
    }
}
