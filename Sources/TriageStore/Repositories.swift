import Foundation
import TriageCore

/// The inbound queue: producers enqueue, workers claim, score and complete.
public protocol ArrivalQueue: Sendable {
    /// Stores a validated arrival, its images and an `arrival.accepted` audit row in one transaction.
    /// A known `(source, external_id)` with the same content returns the existing id with `isDuplicate` and
    /// writes nothing; with other content it throws `QueueError.conflictingResend`.
    /// `flags` are the validator's findings on plausible-but-extreme values.
    func enqueue(_ submission: ArrivalSubmission, flags: [Finding], context: AuditContext) async throws -> EnqueueResult

    /// Several arrivals as `enqueue` stores each, in one transaction (one commit for all: what lets a busy feed
    /// go faster than one commit per arrival), with each item's result in order. An item the database refuses
    /// does not refuse the others: they are then stored one by one.
    func enqueue(batch: [ArrivalEnqueue]) async -> [Result<EnqueueResult, any Error>]

    /// Leases up to `limit` ready arrivals (queued and due, or processing with an expired lease)
    /// with `FOR UPDATE SKIP LOCKED`. Expired leases already at `maxAttempts` go to the dead letter.
    func claim(limit: Int, lease: Duration, maxAttempts: Int) async throws -> [ClaimedArrival]

    /// Commits scorings in one transaction (one revision bump and one audit append for all), each as: the
    /// assessment, the board row (back to awaiting_confirmation), its audit row and the arrival → done.
    /// Each item's result in order: the assessment id, or `QueueError.claimLost` when that claim no longer owns
    /// its arrival (nothing written for it). One that fails otherwise does not fail the others.
    func complete(_ batch: [ScoredArrival]) async -> [Result<Int, any Error>]

    /// Records a failed attempt: back to the queue after a backoff, or the dead letter after the last attempt.
    func fail(_ claim: ClaimedArrival, reason: String, policy: RetryPolicy) async throws -> FailureOutcome

    /// Sends the arrival straight to the dead letter (input that no retry can fix, e.g. failed validation).
    func deadLetter(_ claim: ClaimedArrival, reason: String) async throws

    /// Gives a claim back without counting the attempt (graceful shutdown).
    func release(_ claim: ClaimedArrival) async throws

    /// Dead-lettered arrivals of `departments` (nil: all), oldest failure first.
    func failedArrivals(limit: Int, departments: Set<String>?) async throws -> [FailedArrival]

    /// Puts a dead-lettered arrival back in the queue with fresh attempts, audited.
    func requeue(arrivalID: Int, context: AuditContext) async throws

    /// Records new vitals for a patient and queues a new scoring round (re-triage). Sent again with the same
    /// `context.requestID`, it is the same request and changes nothing.
    func recordVitals(arrivalID: Int, vitals: Vitals, context: AuditContext) async throws

    /// The arrival a producer knows as `(source, externalID)`, with its presentation as it stands now (the
    /// latest vitals included), if it was received.
    func arrival(source: String, externalID: String) async throws -> (id: Int, presentation: ClinicalPresentation)?

    func arrivalStatus(arrivalID: Int) async throws -> ArrivalStatus?

    /// The department the arrival belongs to; nil for an unknown arrival. It never changes.
    func department(ofArrival arrivalID: Int) async throws -> String?

    func queueDepth() async throws -> QueueDepth
}

extension WorklistRepository {
    /// The patient's row while on the board.
    public func row(arrivalID: Int) async throws -> WorklistRow? {
        try await row(arrivalID: arrivalID, includingDischarged: false)
    }
}

extension ArrivalQueue {
    /// Commits one scoring, as `complete(_:)` commits each; returns the assessment id.
    public func complete(_ claim: ClaimedArrival, presentation: ClinicalPresentation, draft: AssessmentDraft)
        async throws -> Int
    {
        try await complete([ScoredArrival(claim: claim, presentation: presentation, draft: draft)])[0].get()
    }
}

/// The board nurses and physicians work from.
public protocol WorklistRepository: Sendable {
    /// A department's board and its revision, read together.
    func snapshot(department: String) async throws -> WorklistSnapshot

    /// One patient's row, e.g. for an ETag before a decision: nil when not on the board, or, with
    /// `includingDischarged`, when never on it (a discharged patient's row keeps its last levels and decision).
    func row(arrivalID: Int, includingDischarged: Bool) async throws -> WorklistRow?

    /// How many patients each known department has on its board in each state (zeros too), for metrics.
    func boardCensus() async throws -> [BoardCensus]

    /// A department's board revision: 0 until its board first changes.
    func revision(department: String) async throws -> Int

    /// Every known department's revision (what a change notification may have moved).
    func revisions() async throws -> [String: Int]

    /// Returns the department's revision as soon as it exceeds `revision`, or the current one after `timeout`.
    func waitForChange(department: String, after revision: Int, timeout: Duration) async throws -> Int

    /// Confirms, overrides or discharges in one transaction (decision row, board row, revision, audit),
    /// only when the row is still at `expectedVersion`.
    /// Throws `DecisionError` for a missing row, a stale version or an invalid decision.
    func decide(_ decision: Decision, arrivalID: Int, expectedVersion: Int, context: AuditContext) async throws
        -> DecisionReceipt
}

/// Stored assessments and images.
public protocol AssessmentRepository: Sendable {
    func assessment(id: Int) async throws -> AssessmentDetail?
    func image(arrivalID: Int, index: Int) async throws -> StoredImage?
}

/// The append-only, hash-chained audit log.
public protocol AuditTrail: Sendable {
    func auditEntries(_ filter: AuditFilter) async throws -> [AuditEntry]

    /// Walks the chain from the first row and reports the first broken link.
    func verifyAudit() async throws -> AuditVerification

    /// Records a read of patient data (`access.assessment`, `access.image`, `access.audit`).
    func appendAccess(_ access: DataAccess, context: AuditContext) async throws

    /// The newest row's sequence number and hash; nil while the log is empty.
    func auditHead() async throws -> AuditHead?

    /// The stored hashes of the rows `seqs` that exist.
    func auditHashes(seqs: [Int]) async throws -> [Int: String]

    /// Audits `count` requests from `source` (a client address) refused for a bad or expired token. The actor
    /// is `anonymous`: nothing an unverified token claims is recorded as who acted.
    func appendRejectedTokens(source: String, reason: String, count: Int, requestID: String?) async throws

    /// Audits a development token minted by `edtriage token`: for whom, with which role, until when, and the
    /// operating-system user who ran the command.
    func appendMintedToken(subject: String, role: String, departments: [String]?, expiresAt: Date, mintedBy: String)
        async throws
}

/// Everything the service needs from storage.
public typealias TriageRepository = ArrivalQueue & WorklistRepository & AssessmentRepository & AuditTrail
