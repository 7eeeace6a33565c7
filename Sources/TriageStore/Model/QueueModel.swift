import Foundation
import TriageCore

/// Where an arrival is in the inbound queue.
/// One arrival to enqueue, with the validator's flags and who sent it.
public struct ArrivalEnqueue: Sendable {
    public var submission: ArrivalSubmission
    public var flags: [Finding]
    public var context: AuditContext

    public init(submission: ArrivalSubmission, flags: [Finding], context: AuditContext) {
        self.submission = submission
        self.flags = flags
        self.context = context
    }
}

public enum ArrivalQueueState: String, Codable, Sendable, CaseIterable {
    case queued, processing, done, failed
}

/// The outcome of `enqueue`: the arrival's id, and whether `(source, external_id)` was already known,
/// in which case nothing was written.
public struct EnqueueResult: Sendable, Hashable {
    public var arrivalID: Int
    public var isDuplicate: Bool

    public init(arrivalID: Int, isDuplicate: Bool) {
        self.arrivalID = arrivalID
        self.isDuplicate = isDuplicate
    }
}

/// One arrival leased to one worker for one attempt of one scoring round.
///
/// The lease token identifies the attempt: `complete`, `fail` and `release` succeed only while the
/// arrival still carries it, so a worker whose lease expired and was reclaimed cannot commit.
public struct ClaimedArrival: Sendable, Hashable {
    public var arrivalID: Int
    public var scoringRound: Int
    /// 1 for the first claim in this round.
    public var attempt: Int
    public var leaseToken: UUID
    public var source: String
    /// Patient identifier: never logged.
    public var externalID: String
    /// Patient identifier: never logged.
    public var patientRef: String
    public var receivedAt: Date
    public var department: String
    /// The stored `arrivals.payload`: a producer writing plain SQL may have put anything here.
    public var payloadJSON: String
    public var images: [ImageSubmission]

    public init(arrivalID: Int, scoringRound: Int, attempt: Int, leaseToken: UUID, source: String,
                externalID: String, patientRef: String, receivedAt: Date, department: String = Department.defaultCode,
                payloadJSON: String, images: [ImageSubmission]) {
        self.arrivalID = arrivalID
        self.scoringRound = scoringRound
        self.attempt = attempt
        self.leaseToken = leaseToken
        self.source = source
        self.externalID = externalID
        self.patientRef = patientRef
        self.receivedAt = receivedAt
        self.department = department
        self.payloadJSON = payloadJSON
        self.images = images
    }

    /// Rebuilds the submission as producers send it, for validation and scoring.
    /// Throws `DecodingError` when the payload is not a clinical presentation.
    public func submission() throws -> ArrivalSubmission {
        let presentation = try JSONDecoder().decode(ClinicalPresentation.self, from: Data(payloadJSON.utf8))
        return ArrivalSubmission(source: source, externalID: externalID, patientRef: patientRef,
                                 receivedAt: receivedAt, department: department, presentation: presentation,
                                 images: images)
    }
}

/// A claimed arrival with the assessment its scoring drafted, ready to commit.
public struct ScoredArrival: Sendable {
    public var claim: ClaimedArrival
    public var presentation: ClinicalPresentation
    public var draft: AssessmentDraft

    public init(claim: ClaimedArrival, presentation: ClinicalPresentation, draft: AssessmentDraft) {
        self.claim = claim
        self.presentation = presentation
        self.draft = draft
    }
}

/// When a failed attempt is retried: exponential backoff with jitter, then the dead letter.
public struct RetryPolicy: Sendable, Hashable {
    /// Claims per scoring round before the arrival goes to `failed`.
    public var maxAttempts: Int
    /// Delay after the first failure; doubles with each further attempt.
    public var baseDelay: Duration
    /// Upper bound of the delay.
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .seconds(2), maxDelay: Duration = .seconds(300)) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The delay before the attempt after `attempt` (1-based): `min(maxDelay, baseDelay · 2^(attempt−1))`,
    /// scaled by `jitter` in 0.5…1 ("equal jitter"), so workers that failed together do not retry together.
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Duration {
        let exponent = Double(max(0, min(attempt - 1, 62)))
        let uncapped = baseDelay.seconds * pow(2, exponent)
        let capped = min(uncapped, maxDelay.seconds)
        let factor = 0.5 + 0.5 * min(max(jitter, 0), 1)
        return .milliseconds(Int64((capped * factor * 1000).rounded()))
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

/// What `fail` did with the arrival.
public enum FailureOutcome: Sendable, Hashable {
    /// Back in the queue, to be claimed again no earlier than `after` from now.
    case retryScheduled(after: Duration)
    /// Moved to `failed` (the dead letter) for an admin to look at and requeue.
    case deadLettered
}

/// An arrival in the dead letter, as admins see it (no patient identifiers).
public struct FailedArrival: Codable, Sendable, Hashable {
    public var arrivalID: Int
    public var department: String
    public var source: String
    public var scoringRound: Int
    public var attempts: Int
    public var lastError: String
    public var failedAt: Date

    private enum CodingKeys: String, CodingKey {
        case source, attempts, department
        case arrivalID = "arrival_id"
        case scoringRound = "scoring_round"
        case lastError = "last_error"
        case failedAt = "failed_at"
    }
}

/// Where one arrival stands, e.g. for `GET /v1/arrivals/{id}`.
public struct ArrivalStatus: Codable, Sendable, Hashable {
    public var arrivalID: Int
    public var state: ArrivalQueueState
    public var scoringRound: Int
    public var attempts: Int
    public var lastError: String?
    /// The newest assessment, once one was written.
    public var assessmentID: Int?

    private enum CodingKeys: String, CodingKey {
        case state, attempts
        case arrivalID = "arrival_id"
        case scoringRound = "scoring_round"
        case lastError = "last_error"
        case assessmentID = "assessment_id"
    }
}

/// Row counts per queue state, for metrics and the admin view.
public struct QueueDepth: Codable, Sendable, Hashable {
    public var queued: Int
    public var processing: Int
    public var failed: Int
    /// Queued rows whose next attempt is due now (the backlog a worker could take).
    public var ready: Int
}

/// Errors of queue operations that callers handle (others are database errors).
public enum QueueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The claim's lease was reclaimed or the round superseded: another attempt owns the arrival now.
    case claimLost(arrivalID: Int)
    case arrivalNotFound(arrivalID: Int)
    /// `requeue` of an arrival that is not in the dead letter.
    case notFailed(arrivalID: Int, state: ArrivalQueueState)
    /// New vitals for a patient no longer on the board.
    case notOnBoard(arrivalID: Int)
    /// An image over the configured size limit, or otherwise unstorable input.
    case invalidInput(String)
    /// A known `(source, external_id)` sent again with other content (presentation, patient or images).
    case conflictingResend(arrivalID: Int)

    public var description: String {
        switch self {
        case .claimLost(let id): "arrival \(id): claim lost (lease reclaimed or round superseded)"
        case .arrivalNotFound(let id): "arrival \(id) not found"
        case .notFailed(let id, let state): "arrival \(id) is \(state.rawValue), not failed"
        case .notOnBoard(let id): "arrival \(id) is not on the board"
        case .invalidInput(let message): message
        case .conflictingResend(let id): "arrival \(id): its (source, external_id) was received before with other content"
        }
    }
}
