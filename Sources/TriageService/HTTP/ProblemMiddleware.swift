import Foundation
import Hummingbird
import Logging
import NIOCore
import TriageStore

/// Turns every error thrown below it into a problem+json response, so no route can leak an internal
/// message or answer with an empty 500. Unknown errors are logged by type only: their text may hold patient data.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = Endpoint.methods(at: request.uri.path)
            guard !allowed.isEmpty else { return try Problem(error).response(from: request, context: context) }
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            return try Problem(.methodNotAllowed, "\(request.method.rawValue) is not served here; use \(allow)",
                               headers: [.allow: allow]).response(from: request, context: context)
        } catch {
            let problem = Problem(error)
            if problem.kind == .internal || problem.kind == .unavailable {
                context.logger.log(level: problem.kind == .internal ? .error : .warning, "request failed", metadata: [
                    "error.type": "\(String(reflecting: type(of: error)))",
                    "problem": "\(problem.kind.rawValue)",
                ])
            }
            return try problem.response(from: request, context: context)
        }
    }
}

extension Problem {
    /// The problem an arbitrary error stands for.
    init(_ error: any Error) {
        switch error {
        case let problem as Problem:
            self = problem
        case let convertible as any ProblemConvertible:
            self = convertible.problem
        case let error as HTTPError:
            self = Problem(status: error.status)
        case is NIOTooManyBytesError:
            self = Problem(.contentTooLarge, "the request body is larger than the configured limit")
        case let error as DecodingError:
            self = Problem(decoding: error)
        case let error where DatabaseFailure.isUnavailable(error):
            self = Problem(.unavailable, "the database is unavailable; retry shortly")
        case is CancellationError:
            self = Problem(.unavailable, "the service is shutting down")
        default:
            self = Problem(.internal, "the request could not be completed")
        }
    }

    /// Errors Hummingbird and hummingbird-auth raise themselves (unmatched route, missing identity).
    private init(status: HTTPResponse.Status) {
        switch status {
        case .unauthorized: self = .unauthenticated("a bearer token is required")
        case .forbidden: self = Problem(.forbidden, "this role may not call this endpoint")
        case .notFound: self = Problem(.notFound, "no such endpoint")
        case .contentTooLarge: self = Problem(.contentTooLarge, "the request body is larger than the configured limit")
        case .badRequest: self = Problem(.malformedRequest, "the request is malformed")
        default:
            self = Problem.Kind.allCases.first { $0.status == status }.map { Problem($0, $0.title) }
                ?? Problem(.internal, "the request could not be completed")
        }
    }

    /// Syntax errors are 400; well-formed JSON with a missing, mistyped or impossible field is 422 naming the field.
    /// Values are never echoed back.
    init(decoding error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self = Problem(.validation, "a required field is missing", field: Self.fieldPath(context.codingPath + [key]))
        case .typeMismatch(let type, let context):
            self = Problem(.validation, "the field must be of type \(type)", field: Self.fieldPath(context.codingPath))
        case .valueNotFound(_, let context):
            self = Problem(.validation, "the field must not be null", field: Self.fieldPath(context.codingPath))
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            self = Problem(.malformedRequest, "the request body is not valid JSON")
        case .dataCorrupted(let context):
            self = Problem(.validation, "the field has an invalid value", field: Self.fieldPath(context.codingPath))
        @unknown default:
            self = Problem(.malformedRequest, "the request body could not be decoded")
        }
    }

    /// `vitals.hr`, `images[0].content_type`.
    static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce(into: "") { path, key in
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
    }
}
