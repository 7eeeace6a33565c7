import Foundation
import TriageCore

/// One clinician decision, as the assessment's history shows it.
public struct DecisionRecord: Codable, Sendable, Hashable {
    public var id: Int
    /// The assessment on the board when the clinician decided.
    public var assessmentID: Int
    public var kind: String
    public var level: ESILevel?
    public var reason: String?
    public var actor: String
    public var role: String
    public var version: Int
    public var decidedAt: Date

    private enum CodingKeys: String, CodingKey {
        case id, kind, level, reason, actor, role, version
        case assessmentID = "assessment_id"
        case decidedAt = "decided_at"
    }
}

/// An image stored with an arrival, without its bytes.
public struct ImageMetadata: Codable, Sendable, Hashable {
    public var index: Int
    public var contentType: String
    public var sha256: String
    public var byteSize: Int

    public init(index: Int, contentType: String, sha256: String, byteSize: Int) {
        self.index = index
        self.contentType = contentType
        self.sha256 = sha256
        self.byteSize = byteSize
    }

    private enum CodingKeys: String, CodingKey {
        case index, sha256
        case contentType = "content_type"
        case byteSize = "byte_size"
    }
}

/// An image's bytes, for `GET .../images/{index}`.
public struct StoredImage: Sendable, Hashable {
    public var contentType: String
    public var data: Data
}

/// Everything needed to explain and reproduce one assessment.
public struct AssessmentDetail: Codable, Sendable, Hashable {
    public var id: Int
    public var arrivalID: Int
    /// The ED the patient is in.
    public var department: String
    public var scoringRound: Int
    public var attempt: Int
    public var proposedLevel: ESILevel
    public var rulesLevel: ESILevel
    public var scores: ClinicalScores
    public var findings: [Finding]
    public var explanation: String
    public var confidence: Double
    public var scorer: ScorerIdentity
    public var rulesVersion: String
    /// The presentation that was scored.
    public var presentation: ClinicalPresentation
    public var inputSHA256: String
    public var createdAt: Date
    /// Every clinician decision on the arrival, across all its assessments, oldest first.
    public var decisions: [DecisionRecord]
    public var images: [ImageMetadata]
    /// `rules` (written at once), `model` (the model's assessment from the text, superseding the rules'
    /// one) or `vision` (the model's assessment with the images, following the text one).
    public var phase: String
    /// The model's view, or why there is none; nil when no model was configured.
    public var model: ModelAssessment?

    /// Says plainly whether the arrival's images played a part in this level. Nil without images.
    public var imagesNote: String?

    /// From the model's list of `images` when it has one; the rules never read images.
    static func imagesNote(count: Int, images analyses: [ImageAnalysis]?) -> String? {
        guard count > 0 else { return nil }
        func images(_ n: Int) -> String { "\(n) image\(n == 1 ? "" : "s")" }
        guard let analyses else { return "\(images(count)) stored, not analysed in this assessment" }
        let analysed = analyses.filter { $0.status == .analysed }.count
        let pending = analyses.filter { $0.status == .pending }.count
        var parts = ["\(images(count)): \(analysed) analysed"]
        if pending > 0 { parts.append("\(pending) to be analysed after this text score") }
        for analysis in analyses where analysis.status == .notAnalysed {
            parts.append("image \(analysis.index + 1) not analysed: \(analysis.reason ?? "no reason recorded")")
        }
        return parts.joined(separator: "; ")
    }

    private enum CodingKeys: String, CodingKey {
        case id, attempt, scores, findings, explanation, confidence, scorer, presentation, decisions, images, phase, model
        case department
        case imagesNote = "images_note"
        case arrivalID = "arrival_id"
        case scoringRound = "scoring_round"
        case proposedLevel = "proposed_level"
        case rulesLevel = "rules_level"
        case rulesVersion = "rules_version"
        case inputSHA256 = "input_sha256"
        case createdAt = "created_at"
    }
}
