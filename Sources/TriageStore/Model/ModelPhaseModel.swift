import Foundation
import TriageCore

/// One model-phase job: a rules assessment on the board that the model should follow, claimed with a
/// lease like an arrival.
public struct ModelJob: Sendable, Hashable {
    /// An arrival with images is scored twice when the model reads images: from the text first, so the
    /// board never waits on an image encoder, then with its images.
    public enum Stage: String, Sendable, Hashable {
        /// The note and facts; its assessment is phase `model`.
        case text
        /// The note, facts and images; its assessment is phase `vision`.
        case images

        /// The `assessments.phase` this stage writes.
        public var assessmentPhase: String { self == .text ? "model" : "vision" }
    }

    public var arrivalID: Int
    public var scoringRound: Int
    public var stage: Stage
    /// The rules assessment the model's will follow.
    public var rulesAssessmentID: Int
    /// Claims made so far, this one included.
    public var attempt: Int
    public var leaseToken: UUID
    /// The presentation the rules scored (the model must score the same input), and its SHA-256.
    public var presentation: ClinicalPresentation
    public var inputSHA256: String
    /// The images sent with the arrival, in order.
    public var images: [ImageSubmission]

    public init(arrivalID: Int, scoringRound: Int, stage: Stage = .text, rulesAssessmentID: Int, attempt: Int,
                leaseToken: UUID, presentation: ClinicalPresentation, inputSHA256: String, images: [ImageSubmission] = []) {
        self.arrivalID = arrivalID
        self.scoringRound = scoringRound
        self.stage = stage
        self.rulesAssessmentID = rulesAssessmentID
        self.attempt = attempt
        self.leaseToken = leaseToken
        self.presentation = presentation
        self.inputSHA256 = inputSHA256
        self.images = images
    }
}

/// How a model job ended when its assessment was committed.
public enum ModelJobOutcome: Sendable, Hashable {
    /// The model's assessment is written; its id.
    case written(assessmentID: Int)
    /// New vitals started a new round, or the patient was discharged: nothing was written.
    case dropped
}

/// A process that runs a model, as it reports itself every poll interval.
public struct ModelLaneStatus: Sendable, Hashable {
    public var laneID: UUID
    /// The model's name (file or served model); no patient data.
    public var model: String
    /// False while the model cannot answer (e.g. its server is down); `reason` says why.
    public var available: Bool
    public var reason: String?

    public init(laneID: UUID, model: String, available: Bool, reason: String?) {
        self.laneID = laneID
        self.model = model
        self.available = available
        self.reason = reason
    }
}

/// The second, model phase of scoring as claimed work, kept in the database so a restart loses no
/// pending model score and no two processes compute the same one.
public protocol ModelPhaseQueue: Sendable {
    /// Leases up to `limit` due jobs (queued and due, or processing with an expired lease) with
    /// `FOR UPDATE SKIP LOCKED`; jobs made moot by new vitals or a discharge are dropped on the way.
    func claimModelJobs(limit: Int, lease: Duration) async throws -> [ModelJob]

    /// Commits the model-phase assessment in one transaction with its board change (under
    /// `BoardLevels`' rule), the revision bump, the audit row and the job's end: `done`, or
    /// `unavailable` when `draft` records the model as unavailable; or, with `next`, the job queued
    /// again at that stage. Throws `QueueError.claimLost` when the job's lease is no longer this claim's.
    func completeModelJob(_ job: ModelJob, draft: AssessmentDraft, next: ModelJob.Stage?) async throws -> ModelJobOutcome

    /// Puts the job back after a transient failure, due again after `delay`; other jobs go on meanwhile.
    func retryModelJob(_ job: ModelJob, reason: String, after delay: Duration) async throws

    /// Gives the job back without counting the attempt (graceful shutdown).
    func releaseModelJob(_ job: ModelJob) async throws

    /// Records that this process runs a model, and whether it can answer now.
    func reportModelLane(_ status: ModelLaneStatus) async throws

    /// Forgets a lane that stopped.
    func removeModelLane(_ laneID: UUID) async throws
}

extension ModelPhaseQueue {
    /// Commits the job's last stage.
    public func completeModelJob(_ job: ModelJob, draft: AssessmentDraft) async throws -> ModelJobOutcome {
        try await completeModelJob(job, draft: draft, next: nil)
    }
}
