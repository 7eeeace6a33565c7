import Hummingbird
import HummingbirdAuth
import Logging
import TriageStore

/// Turns a verified bearer token into the request's `AuthenticatedUser`.
///
/// A request without a token passes on unauthenticated (the policy middleware answers 401); a token that
/// fails verification is refused with 401 here and leaves an audit row with the reason, never patient data.
struct BearerAuthenticator: AuthenticatorMiddleware {
    typealias Context = TriageRequestContext

    let verifier: TokenVerifier
    let auditTrail: any AuditTrail

    func authenticate(request: Request, context: Context) async throws -> AuthenticatedUser? {
        guard let bearer = request.headers.bearer else { return nil }
        do {
            return try await verifier.verify(bearer.token)
        } catch {
            do {
                try await auditTrail.appendRejectedToken(
                    subject: error.claimedSubject, reason: error.reason, requestID: context.id)
            } catch {
                context.logger.warning("could not audit a rejected token",
                                       metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            }
            throw Problem.unauthenticated("the bearer token was refused: \(error.reason)")
        }
    }
}

/// Allows a request when the caller's role is in the endpoint's row of the access table.
struct EndpointPolicy: AuthorizationPolicy {
    let endpoint: Endpoint

    func isAuthorized(identity: AuthenticatedUser, request: Request) async throws -> Bool {
        endpoint.allows(identity.role)
    }
}

/// The request context of every route: Hummingbird's context plus the authenticated user, if any.
public typealias TriageRequestContext = BasicAuthRequestContext<AuthenticatedUser>
