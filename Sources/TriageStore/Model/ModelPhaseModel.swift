import TriageCore

/// A rules assessment on the board whose model phase has not run yet.
public struct PendingModelScore: Sendable, Hashable {
    public var arrivalID: Int
    public var scoringRound: Int
    /// The rules assessment the model's will supersede.
    public var assessmentID: Int
    /// The presentation that was scored (the model must score the same input).
    public var presentation: ClinicalPresentation

    public init(arrivalID: Int, scoringRound: Int, assessmentID: Int, presentation: ClinicalPresentation) {
        self.arrivalID = arrivalID
        self.scoringRound = scoringRound
        self.assessmentID = assessmentID
        self.presentation = presentation
    }
}

/// The second, model phase of scoring: kept in the database (not in memory) so a restart loses no
/// pending model score.
public protocol ModelPhaseQueue: Sendable {
    /// Rules assessments still current on the board whose model status is `pending`, oldest first.
    func pendingModelScores(limit: Int) async throws -> [PendingModelScore]

    /// Writes the model-phase assessment in one transaction with its board change, revision bump and
    /// audit row. The board row goes back to awaiting_confirmation only if the proposed level changed.
    /// Returns nil, writing nothing, when the pending score is no longer current (new vitals started a
    /// new round, the patient was discharged, or another worker already wrote this round's model phase).
    func supersede(_ pending: PendingModelScore, draft: AssessmentDraft) async throws -> Int?
}
