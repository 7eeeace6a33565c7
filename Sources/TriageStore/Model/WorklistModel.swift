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

/// What a new assessment may change on a patient's board row.
///
/// The nurse or physician has the last word (ESI v4 handbook, chapter 1: the triage level is the
/// clinician's decision; the algorithm supports it). A row awaiting confirmation follows each new
/// assessment; once a clinician confirmed or overrode it, a new assessment changes only the proposed
/// level, shown as advisory, and one more urgent than the clinician's level raises a review alert that
/// stays until a clinician decides again.
public struct BoardLevels: Sendable, Hashable {
    public var state: BoardState
    public var proposedLevel: ESILevel
    public var effectiveLevel: ESILevel
    /// The most urgent level suggested since the clinician's decision that is more urgent than theirs.
    public var reviewLevel: ESILevel?

    public init(state: BoardState, proposedLevel: ESILevel, effectiveLevel: ESILevel, reviewLevel: ESILevel? = nil) {
        self.state = state
        self.proposedLevel = proposedLevel
        self.effectiveLevel = effectiveLevel
        self.reviewLevel = reviewLevel
    }

    /// A patient's first assessment: proposed, waiting for a clinician.
    public static func firstAssessment(_ level: ESILevel) -> BoardLevels {
        BoardLevels(state: .awaitingConfirmation, proposedLevel: level, effectiveLevel: level)
    }

    /// The row after a new assessment proposing `level`.
    public func receiving(_ level: ESILevel) -> BoardLevels {
        switch state {
        case .awaitingConfirmation:
            return .firstAssessment(level)
        case .confirmed, .overridden:
            let review = level.isMoreUrgent(than: effectiveLevel) ? min(reviewLevel ?? level, level) : reviewLevel
            return BoardLevels(state: state, proposedLevel: level, effectiveLevel: effectiveLevel, reviewLevel: review)
        case .discharged:
            return self
        }
    }

    /// Whether a clinician's click prepared against `previous` would now act on something else: only
    /// then does the row get a new version (its ETag), so an agreeing assessment causes no 412.
    public func needsNewVersion(since previous: BoardLevels) -> Bool {
        state != previous.state || proposedLevel != previous.proposedLevel || effectiveLevel != previous.effectiveLevel
    }
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
    /// The ED the patient is in.
    public var department: String
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
    /// Where the model phase stands (see `BoardModelView`); nil without a model.
    public var modelStatus: BoardModelView.Status?
    /// Why the model's assessment is late (retrying, server down, no model running); no patient data.
    public var modelNote: String?
    /// A newer assessment's level after a clinician decided, e.g. "Model now suggests ESI 2 (p = 0.71) — review".
    public var advisory: String?
    /// Set while an assessment since the clinician's decision suggests a more urgent level than theirs:
    /// the row's review alert, until a clinician confirms or overrides again.
    public var reviewLevel: ESILevel?
    /// For an arrival with images: how many the model read for the current assessment, and why not the
    /// others (see `AssessmentDetail.imagesNote`).
    public var imagesNote: String?

    private enum CodingKeys: String, CodingKey {
        case age, sex, state, version, department
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
        case explanation, advisory
        case modelStatus = "model_status"
        case modelNote = "model_note"
        case reviewLevel = "review_level"
        case imagesNote = "images_note"
    }
}

/// The model phase of a board row as it truly stands: a row is only `pending` while a process that
/// runs a model is alive and able to answer; otherwise it is `waiting`, with the reason.
public struct BoardModelView: Sendable, Hashable {
    public enum Status: String, Codable, Sendable {
        /// A running model will score it shortly.
        case pending
        /// No running model can score it now (none running, or its server is down); the rules' level stands.
        case waiting
        case scored
        /// The model could not score it (after its retries); the rules' level stands.
        case unavailable
    }

    public var status: Status?
    public var note: String?

    init(assessmentStatus: ModelAssessment.Status?, job: ModelJobProgress?, lanes: ModelLanes) {
        guard let job else {
            status = switch assessmentStatus {
            case .scored: .scored
            case .unavailable: .unavailable
            case .pending: .waiting
            case nil: nil
            }
            note = assessmentStatus == .pending ? "the model's assessment was not queued" : nil
            return
        }
        if lanes.available > 0 {
            status = .pending
            note = job.lastError.map { "attempt \(job.attempts) failed (\($0)); retrying" }
                ?? (job.readsImages ? "the text score stands while the model reads the images" : nil)
        } else {
            status = .waiting
            note = lanes.alive > 0
                ? "model unavailable (\(lanes.reason ?? "not ready")); retrying, the rules' level stands"
                : "no running process has a model; the rules' level stands"
        }
    }
}

/// An open model job's progress, as the board shows it.
struct ModelJobProgress: Sendable, Hashable {
    var attempts: Int
    var lastError: String?
    /// At the images stage: the text score is already on the board.
    var readsImages: Bool
}

/// The model lanes alive now.
struct ModelLanes: Sendable, Hashable {
    var available: Int
    var alive: Int
    var reason: String?
}

/// The advisory a decided row shows when a newer assessment proposes another level than the clinician's.
enum BoardAdvisory {
    /// Nil unless the row was decided on an assessment whose level differs from the current one's,
    /// and the current one differs from the clinician's level.
    static func text(proposed: ESILevel, effective: ESILevel, decidedOn: ESILevel?, phase: String,
                     distribution: LevelDistribution?) -> String? {
        guard let decidedOn, decidedOn != proposed, proposed != effective else { return nil }
        if phase != "rules", let distribution {
            let probability = String(format: "%.2f", distribution.mass(atLeastAsUrgentAs: proposed))
            return "Model now suggests \(proposed) (p = \(probability)) — review"
        }
        return "Re-triage now suggests \(proposed) — review"
    }
}

/// The whole board at one revision, ordered by effective level, then arrival time.
/// The number of patients in one state on one department's board.
public struct BoardCensus: Sendable, Hashable {
    public var department: String
    public var state: BoardState
    public var patients: Int
}

public struct WorklistSnapshot: Codable, Sendable, Hashable {
    /// The ED whose board this is.
    public var department: String
    /// The department's board revision: its ETag.
    public var revision: Int
    /// The database's clock when the snapshot was read (minutes waiting are relative to it).
    public var generatedAt: Date
    public var rows: [WorklistRow]

    private enum CodingKeys: String, CodingKey {
        case department, revision, rows
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
