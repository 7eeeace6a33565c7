import Foundation
import TriageCore

/// Where a patient's triage stands on the board.
public enum BoardState: String, Codable, Sendable, CaseIterable {
    /// A proposed level (new, or re-triaged after new vitals) waits for a nurse or physician.
    case awaitingConfirmation = "awaiting_confirmation"
    case confirmed
    case overridden
    /// Off the board; kept for the record.
    case discharged
}

/// Minutes until a patient is due for reassessment, per effective level.
///
/// Defaults follow common ED practice of re-checking the sicker patients more often; each department
/// sets its own in the config (`worklist.reassessment_minutes`).
public struct ReassessmentIntervals: Sendable, Hashable {
    public var minutes: [ESILevel: Int]

    public init(minutes: [ESILevel: Int]) {
        self.minutes = minutes
    }

    public static let `default` = ReassessmentIntervals(minutes: [
        .resuscitation: 5, .emergent: 15, .urgent: 30, .lessUrgent: 60, .nonUrgent: 120,
    ])

    func interval(for level: ESILevel) -> TimeInterval {
        TimeInterval((minutes[level] ?? 60) * 60)
    }
}

/// One patient on the board.
public struct WorklistRow: Codable, Sendable, Hashable {
    public var arrivalID: Int
    /// The current assessment (the newest scoring round).
    public var assessmentID: Int
    /// Patient identifier: shown to clinicians, never logged.
    public var patientRef: String
    public var age: PatientAge
    public var sex: Sex
    /// Patient text: shown to clinicians, never logged.
    public var chiefComplaint: String
    public var arrivalMode: ArrivalMode
    public var proposedLevel: ESILevel
    /// The clinician's level once confirmed or overridden, else the proposed level.
    public var effectiveLevel: ESILevel
    public var state: BoardState
    public var receivedAt: Date
    public var minutesWaiting: Int
    /// The first findings of the current assessment, most important first.
    public var topFindings: [Finding]
    /// Plausible but extreme values flagged at intake, for the nurse to double-check.
    public var intakeFlags: [Finding]
    public var reassessmentDue: Date
    /// The row's version: the ETag that confirm / override / discharge must match.
    public var version: Int
    public var decidedBy: String?
    public var decidedRole: String?
    public var decidedAt: Date?
    /// The current assessment's explanation: the rules', or the model's when it raised the level or
    /// advises a review.
    public var explanation: String?
    /// `pending` while the model phase follows, `scored`, or `unavailable`; nil without a model.
    public var modelStatus: String?

    private enum CodingKeys: String, CodingKey {
        case age, sex, state, version
        case arrivalID = "arrival_id"
        case assessmentID = "assessment_id"
        case patientRef = "patient_ref"
        case chiefComplaint = "chief_complaint"
        case arrivalMode = "arrival_mode"
        case proposedLevel = "proposed_level"
        case effectiveLevel = "effective_level"
        case receivedAt = "received_at"
        case minutesWaiting = "minutes_waiting"
        case topFindings = "top_findings"
        case intakeFlags = "intake_flags"
        case reassessmentDue = "reassessment_due"
        case decidedBy = "decided_by"
        case decidedRole = "decided_role"
        case decidedAt = "decided_at"
        case explanation
        case modelStatus = "model_status"
    }
}

/// The whole board at one revision, ordered by effective level, then arrival time.
public struct WorklistSnapshot: Codable, Sendable, Hashable {
    public var revision: Int
    /// The database's clock when the snapshot was read (minutes waiting are relative to it).
    public var generatedAt: Date
    public var rows: [WorklistRow]

    private enum CodingKeys: String, CodingKey {
        case revision, rows
        case generatedAt = "generated_at"
    }
}

/// A clinician's decision on a board row.
public enum Decision: Sendable, Hashable {
    /// Accept the proposed level.
    case confirm
    /// Set another level; the reason is mandatory.
    case override(level: ESILevel, reason: String)
    /// Take the patient off the board.
    case discharge(reason: String?)

    var kind: String {
        switch self {
        case .confirm: "confirm"
        case .override: "override"
        case .discharge: "discharge"
        }
    }
}

/// Why a decision was refused. Each maps to one HTTP status (404, 412, 422).
public enum DecisionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No such arrival on the board (never assessed, or discharged).
    case notFound
    /// The row changed since the client read it; `current` is its version now.
    case versionMismatch(current: Int)
    case invalid(String)

    public var description: String {
        switch self {
        case .notFound: "not on the board"
        case .versionMismatch(let current): "the row has changed (current version \(current))"
        case .invalid(let reason): reason
        }
    }
}

/// What a committed decision produced.
public struct DecisionReceipt: Codable, Sendable, Hashable {
    public var decisionID: Int
    public var arrivalID: Int
    public var state: BoardState
    public var effectiveLevel: ESILevel
    /// The row's new version (its new ETag).
    public var version: Int
    /// The board revision the decision produced.
    public var revision: Int

    private enum CodingKeys: String, CodingKey {
        case state, version, revision
        case decisionID = "decision_id"
        case arrivalID = "arrival_id"
        case effectiveLevel = "effective_level"
    }
}
