import Foundation
import Hummingbird
import TriageCore
import TriageStore

/// Admin-only: the audit trail and its verification, failed arrivals and their requeue.
struct AdminController: Sendable {
    let auditTrail: any AuditTrail
    let queue: any ArrivalQueue
    /// With signed checkpoints configured, verification also compares the chain with the latest one.
    let checkpoints: AuditCheckpoints?
    let gate: DepartmentGate

    static let maxPageSize = 1_000

    func addRoutes(to routes: APIRoutes) {
        routes.on(.audit, use: audit)
        routes.on(.auditVerify, use: verify)
        routes.on(.failedArrivals, use: failed)
        routes.on(.requeue, use: requeue)
    }

    struct AuditPage: Encodable, Sendable {
        let entries: [AuditEntry]
        /// Pass as `after_seq` for the next page; nil on the last page.
        let nextAfterSeq: Int?

        private enum CodingKeys: String, CodingKey {
            case entries
            case nextAfterSeq = "next_after_seq"
        }
    }

    /// `?since=&until=` (ISO 8601), `?actor=`, `?arrival_id=`, `?department=`, `?after_seq=`, `?limit=` (1…1000,
    /// default 100). A token that does not cover every department sees only rows about its departments' arrivals.
    @Sendable func audit(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let query = QueryReader(request.uri.queryParameters)
        let limit = try query.int("limit", in: 1...Self.maxPageSize) ?? 100
        let filter = AuditFilter(
            since: try query.date("since"), until: try query.date("until"), actor: try query.string("actor"),
            arrivalID: try query.int("arrival_id", in: 1...Int.max), kind: try query.choice("kind", AuditFilter.Kind.self),
            afterSeq: try query.int("after_seq", in: 0...Int.max),
            departments: try gate.listing(try query.string("department"), context), limit: limit)
        let entries = try await auditTrail.auditEntries(filter)
        try await auditTrail.appendAccess(.audit(rows: entries.count),
                                          context: try context.requireIdentity().auditContext(requestID: context.id))
        let page = AuditPage(entries: entries, nextAfterSeq: entries.count == limit ? entries.last?.seq : nil)
        return try JSONResponse(body: page).response(from: request, context: context)
    }

    @Sendable func verify(_ request: Request, context: TriageRequestContext) async throws -> Response {
        try JSONResponse(body: try await verifyAudit(auditTrail, checkpoints: checkpoints))
            .response(from: request, context: context)
    }

    struct FailedList: Encodable, Sendable {
        let failed: [FailedArrival]
    }

    @Sendable func failed(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let query = QueryReader(request.uri.queryParameters)
        let limit = try query.int("limit", in: 1...Self.maxPageSize) ?? 100
        let departments = try gate.listing(try query.string("department"), context)
        return try JSONResponse(body: FailedList(failed: try await queue.failedArrivals(limit: limit, departments: departments)))
            .response(from: request, context: context)
    }

    @Sendable func requeue(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let arrivalID = try context.id("id", of: "the arrival")
        try await gate.requireAccess(toArrival: arrivalID, context)
        let user = try context.requireIdentity()
        try await queue.requeue(arrivalID: arrivalID, context: user.auditContext(requestID: context.id))
        return try JSONResponse(status: .accepted, body: QueuedArrival(arrivalID: arrivalID))
            .response(from: request, context: context)
    }
}

/// Typed query parameters; a present but unreadable value is 422 naming the parameter.
struct QueryReader {
    let parameters: Parameters

    init(_ parameters: Parameters) { self.parameters = parameters }

    /// Nil when absent or empty; NUL is refused (PostgreSQL text cannot hold it).
    func string(_ name: String) throws -> String? {
        guard let text = try present(name), !text.isEmpty else { return nil }
        return text
    }

    /// Nil when absent; an empty value is not a number, so it is refused like any other.
    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try present(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem(.validation, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)",
                          field: name)
        }
        return value
    }

    /// The parameter as sent, nil when absent.
    private func present(_ name: String) throws -> String? {
        guard let text = parameters.get(name) else { return nil }
        guard !StoredText.containsNUL(text) else {
            throw Problem(.validation, "\(name) must not contain NUL characters", field: name)
        }
        return text
    }

    func choice<Value: RawRepresentable & CaseIterable>(_ name: String, _: Value.Type) throws -> Value?
        where Value.RawValue == String
    {
        guard let text = try present(name) else { return nil }
        guard let value = Value(rawValue: text) else {
            let choices = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw Problem(.validation, "\(name) must be one of \(choices)", field: name)
        }
        return value
    }

    func date(_ name: String) throws -> Date? {
        guard let text = try present(name) else { return nil }
        guard let date = RFC3339.date(from: text) else {
            throw Problem(.validation, "\(name) must be an RFC 3339 date-time", field: name)
        }
        return date
    }
}
