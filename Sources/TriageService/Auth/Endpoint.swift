import Hummingbird

/// One route of the HTTP API and the roles that may call it.
///
/// `Endpoint.all` is the single access table: the router registers routes only through it, the
/// authorization middleware enforces it, the role-matrix test walks it and `accessTableMarkdown`
/// renders it for the README.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public let method: HTTPRequest.Method
    /// OpenAPI-style template, e.g. `/v1/assessments/{id}`.
    public let path: String
    /// Roles allowed to call it; nil for public endpoints that need no token.
    public let allowedRoles: Set<Role>?
    public let summary: String

    init(_ method: HTTPRequest.Method, _ path: String, _ allowedRoles: Set<Role>?, _ summary: String) {
        self.method = method
        self.path = path
        self.allowedRoles = allowedRoles
        self.summary = summary
    }

    public var isPublic: Bool { allowedRoles == nil }

    public func allows(_ role: Role) -> Bool { allowedRoles?.contains(role) ?? true }

    public var description: String { "\(method.rawValue) \(path)" }
}

extension Endpoint {
    /// Every role that looks at the board; a feed (`intake`) only writes.
    private static let boardReaders: Set<Role> = [.dashboard, .nurse, .physician, .admin]
    private static let clinicians: Set<Role> = [.nurse, .physician]

    public static let health = Endpoint(.get, "/healthz", nil, "Process is up")
    public static let readiness = Endpoint(.get, "/readyz", nil, "Database reachable and migrations current")
    public static let metrics = Endpoint(.get, "/metrics", nil, "Prometheus metrics")
    public static let openAPI = Endpoint(.get, "/v1/openapi.yaml", nil, "This API's OpenAPI document")
    /// The ED board page and its assets hold no patient data: the page's own API calls carry the token.
    public static let board = Endpoint(.get, "/board", nil, "The ED board page (signs in with a token)")
    public static let boardAsset = Endpoint(.get, "/board/{file}", nil, "The board's script and stylesheet")

    public static let worklist = Endpoint(.get, "/v1/worklist", boardReaders, "A department's prioritised worklist")
    public static let departments = Endpoint(.get, "/v1/departments", Set(Role.allCases),
                                             "The departments the caller's token covers")
    public static let assessment = Endpoint(.get, "/v1/assessments/{id}", clinicians,
                                            "Assessment with explanation, inputs and decision history")
    public static let confirm = Endpoint(.post, "/v1/assessments/{id}/confirm", clinicians, "Confirm the proposed level")
    public static let override = Endpoint(.post, "/v1/assessments/{id}/override", clinicians,
                                          "Override the level, with a reason")
    /// Arrivals come from the triage desk (nurses, physicians) or from a registration feed holding an admin token.
    public static let submitArrival = Endpoint(.post, "/v1/arrivals", [.intake, .nurse, .physician, .admin],
                                                "Enqueue an arrival")
    public static let discharge = Endpoint(.post, "/v1/arrivals/{id}/discharge", clinicians, "Remove from the board")
    public static let vitals = Endpoint(.post, "/v1/arrivals/{id}/vitals", clinicians.union([.intake]),
                                         "New vitals: re-triage")
    public static let image = Endpoint(.get, "/v1/arrivals/{id}/images/{n}", clinicians, "An image sent with an arrival")

    public static let audit = Endpoint(.get, "/v1/audit", [.admin], "Audit trail, filtered")
    public static let auditVerify = Endpoint(.get, "/v1/audit/verify", [.admin], "Verify the audit hash chain")
    public static let failedArrivals = Endpoint(.get, "/v1/admin/failed", [.admin], "Arrivals that failed scoring")
    public static let requeue = Endpoint(.post, "/v1/admin/failed/{id}/requeue", [.admin], "Requeue a failed arrival")
    /// FHIR R4 reads of the triage result, for the EHR: clinicians, and admins for integration checks.
    private static let fhirReaders: Set<Role> = clinicians.union([.admin])
    public static let fhirMetadata = Endpoint(.get, "/fhir/r4/metadata", nil, "FHIR R4 CapabilityStatement")
    public static let fhirTransaction = Endpoint(.post, "/fhir/r4", submitArrival.allowedRoles,
                                                 "FHIR transaction Bundle: one arrival")
    public static let fhirObservations = Endpoint(.get, "/fhir/r4/Observation", fhirReaders,
                                                  "FHIR search of ESI Observations (patient, encounter, _lastUpdated)")
    public static let fhirObservation = Endpoint(.get, "/fhir/r4/Observation/{id}", fhirReaders, "FHIR ESI Observation")
    public static let fhirEncounter = Endpoint(.get, "/fhir/r4/Encounter/{id}", fhirReaders,
                                               "FHIR Encounter, its priority the level")
    public static let fhirAuditEvents = Endpoint(.get, "/fhir/r4/AuditEvent", [.admin],
                                                 "FHIR search of the audit trail as AuditEvents (date, agent, entity)")
    public static let fhirRiskAssessment = Endpoint(.get, "/fhir/r4/RiskAssessment/{id}", fhirReaders,
                                                    "FHIR RiskAssessment: the model's distribution")

    /// Every endpoint, in the order of the README table.
    public static let all: [Endpoint] = [
        health, readiness, metrics, openAPI, board, boardAsset,
        worklist, departments, assessment, confirm, override,
        submitArrival, discharge, vitals, image,
        audit, auditVerify, failedArrivals, requeue,
        fhirMetadata, fhirTransaction, fhirObservations, fhirObservation, fhirEncounter, fhirRiskAssessment, fhirAuditEvents,
    ]

    /// The methods routed at a concrete `path` (e.g. `/v1/assessments/7`), so a request with another method
    /// is answered 405 with `Allow` rather than 404.
    public static func methods(at path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return all.filter { endpoint in
            let template = endpoint.path.split(separator: "/", omittingEmptySubsequences: false)
            return template.count == segments.count && zip(template, segments).allSatisfy { pattern, segment in
                pattern.hasPrefix("{") ? !segment.isEmpty : pattern == segment
            }
        }.map(\.method)
    }

    /// The access table as a Markdown table for the README: one row per endpoint, a column for callers
    /// without a token and one per role. ✓ allowed, 401 unauthenticated, 403 forbidden.
    public static func accessTableMarkdown() -> String {
        let roles = Role.allCases
        var lines = ["| Endpoint | What | no token | " + roles.map(\.rawValue).joined(separator: " | ") + " |",
                     "|---|---|:-:|" + roles.map { _ in ":-:|" }.joined()]
        for endpoint in all {
            let cells = [endpoint.isPublic ? "✓" : "401"] + roles.map { endpoint.allows($0) ? "✓" : "403" }
            lines.append("| `\(endpoint.method.rawValue) \(endpoint.path)` | \(endpoint.summary) | "
                         + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
