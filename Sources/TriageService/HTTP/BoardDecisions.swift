import Hummingbird
import TriageStore

/// Confirm, override and discharge share one path: `If-Match` is required (428) and must name the board
/// row's current version (412), then the store commits the decision atomically, re-checking the version.
struct BoardDecisions: Sendable {
    let worklist: any WorklistRepository

    /// Applies `decision` to the patient's board row. `assessmentID`, when given, must still be the row's
    /// current assessment: a decision never lands on a proposal the clinician did not see.
    func apply(_ decision: Decision, arrivalID: Int, assessmentID: Int? = nil,
               request: Request, context: TriageRequestContext) async throws -> Response {
        let expectedVersion = try request.requiredVersion()
        guard let row = try await worklist.row(arrivalID: arrivalID) else {
            throw DecisionError.notFound
        }
        guard row.version == expectedVersion else {
            throw DecisionError.versionMismatch(current: row.version)
        }
        if let assessmentID, row.assessmentID != assessmentID {
            throw Problem(.conflict, "a newer assessment replaced this one; reload the worklist")
        }
        let user = try context.requireIdentity()
        let receipt = try await worklist.decide(
            decision, arrivalID: arrivalID, expectedVersion: expectedVersion,
            context: user.auditContext(requestID: context.id))
        return try JSONResponse(headers: [.eTag: EntityTag.header(receipt.version)], body: receipt)
            .response(from: request, context: context)
    }
}
