import Foundation
import Hummingbird

/// An RFC 9457 problem detail: the only error body the API returns.
///
/// `type` is a stable URI per kind of problem that clients may switch on; `detail` is a sentence for people.
/// Neither ever carries patient text, SQL or a stack trace.
public struct Problem: Error, HTTPResponseError, Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case malformedRequest = "malformed-request"
        case validation
        case unauthenticated
        case forbidden
        case notFound = "not-found"
        case methodNotAllowed = "method-not-allowed"
        case conflict
        case versionMismatch = "version-mismatch"
        case preconditionRequired = "precondition-required"
        case contentTooLarge = "content-too-large"
        case unavailable
        case `internal`

        public var status: HTTPResponse.Status {
            switch self {
            case .malformedRequest: .badRequest
            case .validation: .unprocessableContent
            case .unauthenticated: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .methodNotAllowed: .methodNotAllowed
            case .conflict: .conflict
            case .versionMismatch: .preconditionFailed
            case .preconditionRequired: .preconditionRequired
            case .contentTooLarge: .contentTooLarge
            case .unavailable: .serviceUnavailable
            case .internal: .internalServerError
            }
        }

        public var title: String {
            switch self {
            case .malformedRequest: "Malformed request"
            case .validation: "Invalid input"
            case .unauthenticated: "Authentication required"
            case .forbidden: "Not allowed for this role"
            case .notFound: "Not found"
            case .methodNotAllowed: "Method not allowed"
            case .conflict: "Conflicts with the current state"
            case .versionMismatch: "Stale version"
            case .preconditionRequired: "If-Match required"
            case .contentTooLarge: "Request body too large"
            case .unavailable: "Service unavailable"
            case .internal: "Internal error"
            }
        }

        /// Stable identifier of the problem type.
        public var typeURI: String { "https://edtriage.example/problems/\(rawValue)" }
    }

    public let kind: Kind
    public let detail: String
    /// For validation problems: the offending field as a JSON path, e.g. `vitals.hr` or `images[0].content_type`.
    public let field: String?
    public var headers: HTTPFields

    public init(_ kind: Kind, _ detail: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.kind = kind
        self.detail = detail
        self.field = field
        self.headers = headers
    }

    public var status: HTTPResponse.Status { kind.status }

    /// The JSON body (`application/problem+json`).
    public struct Body: Codable, Sendable, Equatable {
        public let type: String
        public let title: String
        public let status: Int
        public let detail: String
        public let instance: String?
        public let field: String?
    }

    /// problem+json, or under `/fhir/` the same problem as a FHIR OperationOutcome.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let fhir = request.uri.path.hasPrefix("/fhir/")
        let data = try fhir
            ? JSONEncoder().encode(operationOutcome)
            : JSONEncoder().encode(Body(type: kind.typeURI, title: kind.title, status: kind.status.code, detail: detail,
                                        instance: request.uri.path, field: field))
        var headers = self.headers
        headers[.contentType] = fhir ? "application/fhir+json; charset=utf-8" : "application/problem+json"
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Problem {
    static func unauthenticated(_ detail: String) -> Problem {
        Problem(.unauthenticated, detail, headers: [.wwwAuthenticate: "Bearer"])
    }

    static func notFound(_ what: String) -> Problem {
        Problem(.notFound, "\(what) does not exist")
    }
}

/// An error that knows which problem it is; domain errors from the store and the core adopt it.
public protocol ProblemConvertible: Error {
    var problem: Problem { get }
}
