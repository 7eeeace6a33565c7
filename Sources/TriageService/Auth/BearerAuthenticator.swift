import Hummingbird
import HummingbirdAuth
import Logging
import Metrics
import TriageStore

/// Turns a verified bearer token into the request's `AuthenticatedUser`.
///
/// A request without a token passes on unauthenticated (the policy middleware answers 401); a token that
/// fails verification is refused with 401 here, counted in `edtriage_rejected_tokens_total`, and audited with
/// the reason and the client's address at most once per address per minute (`RejectedTokenThrottle`).
struct BearerAuthenticator: AuthenticatorMiddleware {
    typealias Context = TriageRequestContext

    let verifier: TokenVerifier
    let auditTrail: any AuditTrail
    let throttle = RejectedTokenThrottle()

    func authenticate(request: Request, context: Context) async throws -> AuthenticatedUser? {
        guard let bearer = request.headers.bearer else { return nil }
        do {
            return try await verifier.verify(bearer.token)
        } catch {
            Counter(label: "edtriage_rejected_tokens_total").increment()
            if let audited = throttle.admit(source: context.clientAddress) {
                do {
                    try await auditTrail.appendRejectedTokens(source: audited.source, reason: error.reason,
                                                              count: audited.refusals, requestID: context.id)
                } catch {
                    context.logger.warning("could not audit a rejected token",
                                           metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
                }
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

/// The request context of every route: Hummingbird's context, the authenticated user if any, and the
/// client's address (for throttling what anonymous clients can make the service do).
public struct TriageRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: AuthenticatedUser?
    /// The peer's IP address, or `unknown` (e.g. a test's in-memory channel).
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
