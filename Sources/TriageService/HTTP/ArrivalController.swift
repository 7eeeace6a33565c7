import Hummingbird
import TriageCore
import TriageStore

/// Arrivals: enqueue, new vitals (re-triage), discharge from the board, and their images.
struct ArrivalController: Sendable {
    let queue: any ArrivalQueue
    /// New arrivals, committed together with those that come in at the same time.
    let arrivals: ArrivalBatcher
    let worklist: any WorklistRepository
    let assessments: any AssessmentRepository
    /// Where each read of an image is recorded.
    let auditTrail: any AuditTrail
    let validator: ArrivalValidator
    /// Largest arrival body (it may carry images).
    let arrivalBodyLimit: Int
    /// Largest body of the small updates (new vitals, discharge).
    let updateBodyLimit: Int
    let gate: DepartmentGate

    func addRoutes(to routes: APIRoutes) {
        routes.on(.submitArrival, use: submit)
        routes.on(.discharge, use: discharge)
        routes.on(.vitals, use: recordVitals)
        routes.on(.image, use: image)
    }

    struct Accepted: Encodable, Sendable {
        let arrivalID: Int
        /// True when `(source, external_id)` was already known: nothing new was written.
        let duplicate: Bool

        private enum CodingKeys: String, CodingKey {
            case duplicate
            case arrivalID = "arrival_id"
        }
    }

    /// Validates, then enqueues: 202 for a new arrival, 200 with the existing id for a re-delivery.
    /// A rejected arrival writes nothing.
    @Sendable func submit(_ request: Request, context: TriageRequestContext) async throws -> Response {
        var submission = try await request.decodeJSON(ArrivalSubmission.self, limit: arrivalBodyLimit)
        let flags = try validator.validate(&submission)
        try gate.requireAccess(to: submission, context)
        let user = try context.requireIdentity()
        let result = try await arrivals.enqueue(
            ArrivalEnqueue(submission: submission, flags: flags, context: user.auditContext(requestID: context.id)))
        return try JSONResponse(status: result.isDuplicate ? .ok : .accepted,
                                body: Accepted(arrivalID: result.arrivalID, duplicate: result.isDuplicate))
            .response(from: request, context: context)
    }

    struct DischargeBody: Decodable {
        let reason: String?
    }

    @Sendable func discharge(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let arrivalID = try context.id("id", of: "the arrival")
        try await gate.requireAccess(toArrival: arrivalID, context)
        let body = try await request.decodeOptionalJSON(DischargeBody.self, limit: updateBodyLimit)
        let reason = try ReasonText.optional(body?.reason, field: "reason")
        return try await BoardDecisions(worklist: worklist)
            .apply(.discharge(reason: reason), arrivalID: arrivalID, request: request, context: context)
    }

    struct VitalsBody: Decodable {
        let vitals: Vitals
    }

    /// New vitals for a patient on the board: validated against the patient's presentation as a whole
    /// (so paediatric ranges and flags apply), then queued for re-triage; the row returns to
    /// awaiting_confirmation when the new assessment is written.
    @Sendable func recordVitals(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let arrivalID = try context.id("id", of: "the arrival")
        try await gate.requireAccess(toArrival: arrivalID, context)
        let body = try await request.decodeJSON(VitalsBody.self, limit: updateBodyLimit)
        guard let row = try await worklist.row(arrivalID: arrivalID),
              let current = try await assessments.assessment(id: row.assessmentID) else {
            throw QueueError.notOnBoard(arrivalID: arrivalID)
        }
        var presentation = current.presentation
        presentation.vitals = body.vitals
        _ = try validator.validate(presentation)
        let user = try context.requireIdentity()
        // A re-sent request with its first attempt's key is those vitals again, not a further scoring round.
        let requestID = try request.idempotencyKey() ?? context.id
        try await queue.recordVitals(arrivalID: arrivalID, vitals: body.vitals,
                                     context: user.auditContext(requestID: requestID))
        return try JSONResponse(status: .accepted, body: QueuedArrival(arrivalID: arrivalID))
            .response(from: request, context: context)
    }

    @Sendable func image(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let arrivalID = try context.id("id", of: "the arrival")
        try await gate.requireAccess(toArrival: arrivalID, context)
        guard let text = context.parameters.get("n"), let index = Int(text),
              let image = try await assessments.image(arrivalID: arrivalID, index: index) else {
            throw Problem.notFound("the image")
        }
        try await auditTrail.appendAccess(.image(arrivalID: arrivalID, index: index),
                                           context: try context.requireIdentity().auditContext(requestID: context.id))
        return Response(
            status: .ok,
            headers: [.contentType: image.contentType, .contentLength: String(image.data.count),
                      .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: image.data)))
    }
}

/// The answer when an arrival was put (back) in the scoring queue: re-triage or an admin's requeue.
struct QueuedArrival: Encodable, Sendable {
    let arrivalID: Int
    let state = ArrivalQueueState.queued

    private enum CodingKeys: String, CodingKey {
        case state
        case arrivalID = "arrival_id"
    }
}
