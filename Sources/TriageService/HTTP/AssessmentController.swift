import Foundation
import Hummingbird
import TriageCore
import TriageStore

/// `GET /v1/assessments/{id}` and the clinician's confirm / override of its proposed level.
struct AssessmentController: Sendable {
    let assessments: any AssessmentRepository
    let worklist: any WorklistRepository
    /// Where each read of an assessment's detail is recorded.
    let auditTrail: any AuditTrail
    /// Largest override body (a level and a reason).
    let updateBodyLimit: Int
    let gate: DepartmentGate

    private var decisions: BoardDecisions { BoardDecisions(worklist: worklist) }

    func addRoutes(to routes: APIRoutes) {
        routes.on(.assessment, use: show)
        routes.on(.confirm, use: confirm)
        routes.on(.override, use: override)
    }

    /// The assessment with its explanation, inputs, versions and decisions, plus the board row while the
    /// assessment is the current one (its version is the ETag a decision must send).
    struct View: Encodable, Sendable {
        let assessment: AssessmentDetail
        let board: WorklistRow?
    }

    @Sendable func show(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let detail = try await assessment(context)
        try await auditTrail.appendAccess(.assessment(arrivalID: detail.arrivalID, assessmentID: detail.id),
                                           context: try context.requireIdentity().auditContext(requestID: context.id))
        let row = try await worklist.row(arrivalID: detail.arrivalID).flatMap { $0.assessmentID == detail.id ? $0 : nil }
        let headers: HTTPFields = row.map { [.eTag: EntityTag.header($0.version)] } ?? [:]
        return try JSONResponse(headers: headers, body: View(assessment: detail, board: row))
            .response(from: request, context: context)
    }

    @Sendable func confirm(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let detail = try await assessment(context)
        return try await decisions.apply(.confirm, arrivalID: detail.arrivalID, assessmentID: detail.id,
                                         request: request, context: context)
    }

    struct OverrideBody: Decodable {
        let level: ESILevel
        let reason: String
    }

    /// The reason is mandatory: an override without one is refused before anything is written.
    @Sendable func override(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(OverrideBody.self, limit: updateBodyLimit)
        let reason = try ReasonText.required(body.reason, field: "reason")
        let detail = try await assessment(context)
        return try await decisions.apply(.override(level: body.level, reason: reason), arrivalID: detail.arrivalID,
                                         assessmentID: detail.id, request: request, context: context)
    }

    private func assessment(_ context: TriageRequestContext) async throws -> AssessmentDetail {
        let id = try context.id("id", of: "the assessment")
        guard let detail = try await assessments.assessment(id: id) else { throw Problem.notFound("the assessment") }
        try gate.requireAccess(to: detail.department, context)
        return detail
    }
}

/// Free-text reasons clinicians give for a decision: trimmed, non-blank when required, bounded in length and
/// free of NUL as PostgreSQL counts and stores text (`StoredText`).
enum ReasonText {
    static let maxCharacters = 1_000

    static func required(_ text: String, field: String) throws -> String {
        guard let reason = try optional(text, field: field) else {
            throw Problem(.validation, "\(field) is required and must not be blank", field: field)
        }
        return reason
    }

    static func optional(_ text: String?, field: String) throws -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        guard StoredText.length(trimmed) <= maxCharacters else {
            throw Problem(.validation, "\(field) must be at most \(maxCharacters) characters", field: field)
        }
        guard !StoredText.containsNUL(trimmed) else {
            throw Problem(.validation, "\(field) must not contain NUL characters", field: field)
        }
        return trimmed
    }
}
