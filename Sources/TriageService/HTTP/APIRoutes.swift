import Hummingbird
import HummingbirdAuth
import TriageStore

/// Registers routes only through the access table, so no route exists without its row in `Endpoint.all`
/// and every protected route gets the same authentication and role check.
struct APIRoutes {
    let router: Router<TriageRequestContext>
    let authenticator: BearerAuthenticator

    func on(
        _ endpoint: Endpoint,
        use handler: @Sendable @escaping (Request, TriageRequestContext) async throws -> some ResponseGenerator
    ) {
        let path = RouterPath(endpoint.path)
        guard !endpoint.isPublic else {
            router.on(path, method: endpoint.method, use: handler)
            return
        }
        router.group()
            .add(middleware: authenticator)
            .add(middleware: AuthorizationPolicyMiddleware(
                EndpointPolicy(endpoint: endpoint),
                deniedError: Problem(.forbidden, "this role may not call \(endpoint)"),
                context: TriageRequestContext.self))
            .on(path, method: endpoint.method, use: handler)
    }
}

extension AuthenticatedUser {
    /// Who the audit rows of this request name.
    func auditContext(requestID: String) -> AuditContext {
        AuditContext(actor: actorID, role: role.rawValue, requestID: requestID)
    }
}
