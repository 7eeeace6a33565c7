import Foundation
import Hummingbird
import TriageCore
import TriageStore

/// FHIR R4 for the hospital's systems. In: a transaction Bundle is one arrival, queued as `POST /v1/arrivals`
/// queues one. Out, from the same board and assessments the API serves: the ESI `Observation` per patient on
/// the board (read and search), the visit's `Encounter` with the level as priority, the model's
/// `RiskAssessment`, and the `CapabilityStatement`. Errors are OperationOutcomes (`Problem`).
struct FHIRController: Sendable {
    /// New arrivals, committed together with those that come in at the same time.
    let arrivals: ArrivalBatcher
    let validator: ArrivalValidator
    /// Largest transaction Bundle (images arrive base64 inside it).
    let bundleLimit: Int
    let worklist: any WorklistRepository
    let assessments: any AssessmentRepository
    /// Where each read of the model's assessment is recorded, as the assessment API records it.
    let auditTrail: any AuditTrail
    /// `https` when the server terminates TLS itself: the scheme of the bundle entries' full URLs.
    let scheme: String
    let gate: DepartmentGate

    static let contentType = "application/fhir+json; charset=utf-8"

    func addRoutes(to routes: APIRoutes) {
        routes.on(.fhirMetadata, use: metadata)
        routes.on(.fhirTransaction, use: transaction)
        routes.on(.fhirObservations, use: searchObservations)
        routes.on(.fhirObservation, use: observation)
        routes.on(.fhirEncounter, use: encounter)
        routes.on(.fhirRiskAssessment, use: riskAssessment)
        routes.on(.fhirAuditEvents, use: searchAuditEvents)
    }

    /// The bundle's arrival, validated as every arrival is (a refusal names the bundle element the field came
    /// from), then queued; a re-sent bundle (same Encounter identifier) is the same arrival and changes nothing.
    @Sendable func transaction(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let arrival = try FHIRArrival(try await request.decodeJSON(FHIRIncoming.Bundle.self, limit: bundleLimit))
        var submission = arrival.submission
        // The Encounter's service provider places the arrival when it names one of our departments.
        submission.department = Department.named(submission.department, in: validator.limits.departments)
        let flags: [Finding]
        do {
            flags = try validator.validate(&submission)
        } catch {
            throw Problem(.validation, error.message, field: arrival.origins[error.field] ?? "Bundle.entry")
        }
        try gate.requireAccess(to: submission, context)
        let user = try context.requireIdentity()
        let result = try await arrivals.enqueue(
            ArrivalEnqueue(submission: submission, flags: flags, context: user.auditContext(requestID: context.id)))
        let status = result.isDuplicate ? "200 OK" : "201 Created"
        let response = FHIRTransactionResponse(entry: arrival.entryTypes.map { type in
            .init(response: .init(status: status, location: type == "Encounter" ? "Encounter/\(result.arrivalID)" : nil))
        })
        return try respond(response, request, context)
    }

    @Sendable func observation(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let (row, detail) = try await boardRow(arrivalID: try Self.id(context, prefix: "esi-", of: "the Observation"), context)
        return try respond(FHIRTriage.observation(row, detail), request, context)
    }

    @Sendable func encounter(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let (row, detail) = try await boardRow(arrivalID: try Self.id(context, prefix: "", of: "the Encounter"), context)
        return try respond(FHIRTriage.encounter(row, detail), request, context)
    }

    @Sendable func riskAssessment(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let assessmentID = try Self.id(context, prefix: "model-", of: "the RiskAssessment")
        guard let detail = try await assessments.assessment(id: assessmentID) else {
            throw Problem.notFound("the RiskAssessment")
        }
        try gate.requireAccess(to: detail.department, context)
        guard let row = try await worklist.row(arrivalID: detail.arrivalID, includingDischarged: true),
              let risk = FHIRTriage.riskAssessment(row, detail)
        else { throw Problem.notFound("the RiskAssessment") }
        try await auditTrail.appendAccess(.assessment(arrivalID: detail.arrivalID, assessmentID: detail.id),
                                           context: try context.requireIdentity().auditContext(requestID: context.id))
        return try respond(risk, request, context)
    }

    /// `GET /fhir/r4/Observation?patient:identifier=[system|]value&encounter=Encounter/N&_lastUpdated=geT…`:
    /// the ESI Observations that match every parameter given: of that encounter, discharged or not, or of the
    /// patients on the boards of the departments the token covers.
    @Sendable func searchObservations(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let search = try ObservationSearch(request.uri.queryParameters)
        let departments = try gate.visible(to: context)
        var rows: [WorklistRow] = []
        if let encounterID = search.encounterID {
            rows = try await worklist.row(arrivalID: encounterID, includingDischarged: true).map { [$0] } ?? []
        } else {
            for department in departments { rows += try await worklist.snapshot(department: department).rows }
        }
        var matches: [FHIRObservation] = []
        for row in rows where departments.contains(row.department) && search.matches(row) {
            guard let detail = try await assessments.assessment(id: row.assessmentID),
                  search.matches(lastUpdated: FHIRTriage.lastUpdated(row, detail)) else { continue }
            matches.append(FHIRTriage.observation(row, detail))
        }
        return try respond(searchset(matches, type: "Observation", id: \.id, request), request, context)
    }

    /// `GET /fhir/r4/AuditEvent?date=ge…&agent=…&entity=Encounter/N&_count=…`: the audit trail, oldest first; each
    /// search is itself audited as a read of the audit.
    @Sendable func searchAuditEvents(_ request: Request, context: TriageRequestContext) async throws -> Response {
        var filter = try AuditEventSearch.filter(request.uri.queryParameters)
        filter.departments = try gate.listing(nil, context)
        let entries = try await auditTrail.auditEntries(filter)
        try await auditTrail.appendAccess(.audit(rows: entries.count),
                                          context: try context.requireIdentity().auditContext(requestID: context.id))
        return try respond(searchset(entries.map(FHIRAudit.event), type: "AuditEvent", id: \.id, request), request, context)
    }

    private func searchset<Resource: Codable & Sendable & Hashable>(
        _ resources: [Resource], type: String, id: (Resource) -> String, _ request: Request
    ) -> FHIRBundle<Resource> {
        let base = baseURL(request) + "/" + type
        return FHIRBundle(
            type: "searchset", total: resources.count,
            link: [.init(relation: "self", url: base + (request.uri.query.map { "?" + $0 } ?? ""))],
            entry: resources.map { .init(fullUrl: "\(base)/\(id($0))", resource: $0, search: .init(mode: "match")) })
    }

    @Sendable func metadata(_ request: Request, context: TriageRequestContext) async throws -> Response {
        try respond(FHIRCapabilities.statement, request, context)
    }

    /// The row of an arrival, on the board or discharged, and the assessment it shows, for a token that covers its
    /// department.
    private func boardRow(arrivalID: Int, _ context: TriageRequestContext) async throws -> (WorklistRow, AssessmentDetail) {
        guard let row = try await worklist.row(arrivalID: arrivalID, includingDischarged: true),
              let detail = try await assessments.assessment(id: row.assessmentID)
        else { throw Problem(.notFound, "no triaged patient has this id") }
        try gate.requireAccess(to: row.department, context)
        return (row, detail)
    }

    private func respond(_ resource: some Encodable & Sendable, _ request: Request, _ context: TriageRequestContext) throws
        -> Response
    {
        try JSONResponse(headers: [:], contentType: Self.contentType, body: resource).response(from: request, context: context)
    }

    private func baseURL(_ request: Request) -> String {
        "\(scheme)://\(request.head.authority ?? "localhost")/fhir/r4"
    }

    /// The number in a logical id made of `prefix` and a positive integer (`esi-12`, `model-7`, `12`).
    static func id(_ context: TriageRequestContext, prefix: String, of what: String) throws -> Int {
        guard let text = context.parameters.get("id"), text.hasPrefix(prefix),
              let id = Int(text.dropFirst(prefix.count)), id > 0, String(id) == text.dropFirst(prefix.count)
        else { throw Problem.notFound(what) }
        return id
    }
}

/// What the FHIR searches share: only the parameters they list, and encounters named as the arrival's id.
enum FHIRSearchParameters {
    /// Refuses (400) a parameter not in `names` rather than ignoring it, so a typo never widens a search.
    static func requireKnown(_ name: String, _ names: Set<String>) throws {
        guard names.contains(name) else {
            throw Problem(.malformedRequest, "unknown search parameter; use \(names.sorted().joined(separator: ", "))",
                          field: name)
        }
    }

    /// The arrival id in `Encounter/<id>` or `<id>`.
    static func encounterID(_ value: String, parameter: String) throws -> Int {
        let id = value.hasPrefix("Encounter/") ? value.dropFirst("Encounter/".count) : Substring(value)
        guard let number = Int(id), number > 0 else {
            throw Problem(.malformedRequest, "\(parameter) is Encounter/<id> or <id>", field: parameter)
        }
        return number
    }
}

/// The search parameters of `GET /fhir/r4/Observation`; any other is refused (`FHIRSearchParameters`).
struct ObservationSearch: Sendable {
    /// An identifier search on the patient: the system (nil: any) and the value.
    var patient: (system: String?, value: String)?
    var encounterID: Int?
    /// `_lastUpdated` bounds: each a comparison prefix and an instant; all must hold.
    var lastUpdated: [(prefix: String, instant: Date)] = []

    static let parameterNames: Set<String> = ["patient:identifier", "encounter", "_lastUpdated"]
    static let comparisonPrefixes = ["eq", "gt", "lt", "ge", "le"]

    init(_ parameters: some Sequence<(key: Substring, value: Substring)>) throws {
        for (name, value) in parameters {
            let name = String(name), value = String(value)
            try FHIRSearchParameters.requireKnown(name, Self.parameterNames)
            guard !value.isEmpty else { throw Problem(.malformedRequest, "\(name) needs a value", field: name) }
            switch name {
            case "patient:identifier":
                let parts = value.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                patient = parts.count == 2 ? (parts[0].isEmpty ? nil : parts[0], parts[1]) : (nil, parts[0])
            case "encounter":
                encounterID = try FHIRSearchParameters.encounterID(value, parameter: name)
            default:
                let prefix = Self.comparisonPrefixes.first { value.hasPrefix($0) }
                guard let instant = RFC3339.date(from: String(value.dropFirst(prefix?.count ?? 0))) else {
                    throw Problem(.malformedRequest, "_lastUpdated is [eq|gt|lt|ge|le] and an RFC 3339 date-time", field: name)
                }
                lastUpdated.append((prefix ?? "eq", instant))
            }
        }
    }

    func matches(_ row: WorklistRow) -> Bool {
        if let patient {
            if let system = patient.system, system != FHIRTriage.patientIdentifierSystem { return false }
            if patient.value != row.patientRef { return false }
        }
        return encounterID.map { $0 == row.arrivalID } ?? true
    }

    func matches(lastUpdated date: Date) -> Bool {
        // FHIR instants carry milliseconds: compare at that precision.
        let time = (date.timeIntervalSince1970 * 1000).rounded(.down)
        return lastUpdated.allSatisfy { bound in
            let limit = (bound.instant.timeIntervalSince1970 * 1000).rounded(.down)
            return switch bound.prefix {
            case "gt": time > limit
            case "lt": time < limit
            case "ge": time >= limit
            case "le": time <= limit
            default: time == limit
            }
        }
    }
}

/// The search parameters of `GET /fhir/r4/AuditEvent`, as an audit filter; others are refused (400).
enum AuditEventSearch {
    static let parameterNames: Set<String> = ["date", "agent", "entity", "_count"]

    static func filter(_ parameters: some Sequence<(key: Substring, value: Substring)>) throws -> AuditFilter {
        var filter = AuditFilter(limit: 100)
        for (name, value) in parameters {
            let name = String(name), value = String(value)
            try FHIRSearchParameters.requireKnown(name, parameterNames)
            switch name {
            case "date":
                // The audit's bounds: from (ge, inclusive) and before (lt, exclusive).
                let prefix = ["ge", "lt"].first { value.hasPrefix($0) }
                guard let prefix, let date = RFC3339.date(from: String(value.dropFirst(2))) else {
                    throw Problem(.malformedRequest, "date is ge or lt and an RFC 3339 date-time", field: name)
                }
                if prefix == "ge" { filter.since = date } else { filter.until = date }
            case "agent":
                guard !value.isEmpty else { throw Problem(.malformedRequest, "agent needs a value", field: name) }
                filter.actor = value
            case "entity":
                filter.arrivalID = try FHIRSearchParameters.encounterID(value, parameter: name)
            default:
                guard let count = Int(value), (1...1_000).contains(count) else {
                    throw Problem(.malformedRequest, "_count is 1 to 1000", field: name)
                }
                filter.limit = count
            }
        }
        return filter
    }
}
