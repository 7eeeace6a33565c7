import Foundation
import TriageCore
import TriageStore

/// A board row as a wall screen (the `dashboard` role) shows it by default: where the patient is in the
/// queue and how urgent, but no record number, exact age or note-derived text, because a wall screen is read
/// by everyone who walks past it. Fields keep the clinicians' row names, so one board page renders both.
struct WallBoardRow: Encodable, Sendable, Equatable {
    let arrivalID: Int
    let assessmentID: Int
    /// `#` and the arrival number, in place of the patient's record number.
    let patientRef: String
    let ageBand: String
    let sex: Sex
    let chiefComplaint: String
    let arrivalMode: ArrivalMode
    let proposedLevel: ESILevel
    let effectiveLevel: ESILevel
    let state: BoardState
    let receivedAt: Date
    let minutesWaiting: Int
    /// Always empty: findings quote the note and the vital signs.
    let topFindings: [Finding] = []
    let reassessmentDue: Date
    let version: Int
    let modelStatus: BoardModelView.Status?
    let reviewLevel: ESILevel?

    init(_ row: WorklistRow) {
        arrivalID = row.arrivalID
        assessmentID = row.assessmentID
        patientRef = "#\(row.arrivalID)"
        ageBand = Self.band(row.age)
        sex = row.sex
        chiefComplaint = row.chiefComplaint
        arrivalMode = row.arrivalMode
        proposedLevel = row.proposedLevel
        effectiveLevel = row.effectiveLevel
        state = row.state
        receivedAt = row.receivedAt
        minutesWaiting = row.minutesWaiting
        reassessmentDue = row.reassessmentDue
        version = row.version
        modelStatus = row.modelStatus
        reviewLevel = row.reviewLevel
    }

    /// Children in the bands paediatric triage distinguishes, young adults as 18–29, then decades, and everyone
    /// over 89 as "90+ y" (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)(i)(C): ages over 89 are aggregated).
    static func band(_ age: PatientAge) -> String {
        guard case .years(let years) = age, years >= 1 else { return "under 1 y" }
        switch years {
        case ..<5: return "1–4 y"
        case ..<12: return "5–11 y"
        case ..<18: return "12–17 y"
        case ..<30: return "18–29 y"
        case ..<90: return "\(years / 10 * 10)–\(years / 10 * 10 + 9) y"
        default: return "90+ y"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case sex, state, version
        case arrivalID = "arrival_id"
        case assessmentID = "assessment_id"
        case patientRef = "patient_ref"
        case ageBand = "age_band"
        case chiefComplaint = "chief_complaint"
        case arrivalMode = "arrival_mode"
        case proposedLevel = "proposed_level"
        case effectiveLevel = "effective_level"
        case receivedAt = "received_at"
        case minutesWaiting = "minutes_waiting"
        case topFindings = "top_findings"
        case reassessmentDue = "reassessment_due"
        case modelStatus = "model_status"
        case reviewLevel = "review_level"
    }
}

/// The board for a wall screen: the snapshot's revision and time, its rows reduced.
struct WallBoardSnapshot: Encodable, Sendable {
    let department: String
    let revision: Int
    let generatedAt: Date
    let rows: [WallBoardRow]

    init(_ snapshot: WorklistSnapshot) {
        department = snapshot.department
        revision = snapshot.revision
        generatedAt = snapshot.generatedAt
        rows = snapshot.rows.map(WallBoardRow.init)
    }

    private enum CodingKeys: String, CodingKey {
        case department, revision, rows
        case generatedAt = "generated_at"
    }
}
