import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TriageStore
@testable import TriageService

/// Walks the whole access table: every endpoint × (no token, each role, expired token, wrong audience,
/// wrong issuer, bad signature). Protected endpoints answer 401 to every bad caller and 403 to roles
/// outside their row (as problem+json, or as an OperationOutcome under /fhir); allowed roles and public
/// endpoints never get 401/403.
@Suite struct RoleMatrixTests {
    enum Caller: CustomStringConvertible {
        case anonymous
        case role(Role)
        case expired, wrongAudience, wrongIssuer, badSignature

        static let all: [Caller] = [.anonymous, .expired, .wrongAudience, .wrongIssuer, .badSignature]
            + Role.allCases.map(Caller.role)

        var description: String {
            switch self {
            case .anonymous: "anonymous"
            case .role(let role): role.rawValue
            case .expired: "expired token"
            case .wrongAudience: "wrong audience"
            case .wrongIssuer: "wrong issuer"
            case .badSignature: "bad signature"
            }
        }
    }

    @Test func everyEndpointForEveryCaller() async throws {
        try await ServiceHarness.run { harness in
            let rejectedBefore = try await harness.database.count("audit_log", where: "action = 'token.rejected'")
            let start = ContinuousClock.now
            var rejectedTokens = 0
            for endpoint in Endpoint.all {
                for caller in Caller.all {
                    var headers: HTTPFields = [:]
                    if let token = try await token(for: caller, harness) {
                        headers[.authorization] = "Bearer \(token)"
                    }
                    let uri = endpoint.path.replacingOccurrences(of: "{id}", with: "999999")
                        .replacingOccurrences(of: "{n}", with: "0")
                    let response = try await harness.client.execute(uri: uri, method: endpoint.method, headers: headers)
                    let status = response.status
                    let context = "\(endpoint) as \(caller): \(status.code)"
                    switch (endpoint.isPublic, caller) {
                    case (true, _):
                        #expect(status != .unauthorized && status != .forbidden, "\(context)")
                    case (false, .role(let role)) where endpoint.allows(role):
                        #expect(status != .unauthorized && status != .forbidden, "\(context)")
                    case (false, .role):
                        #expect(status == .forbidden, "\(context)")
                        #expect(try harness.refusal(response, at: uri) == ServiceHarness.refusal(.forbidden, at: uri))
                    case (false, .anonymous):
                        #expect(status == .unauthorized, "\(context)")
                        #expect(response.headers[.wwwAuthenticate] == "Bearer")
                    case (false, _):
                        #expect(status == .unauthorized, "\(context)")
                        #expect(try harness.refusal(response, at: uri) == ServiceHarness.refusal(.unauthenticated, at: uri))
                        rejectedTokens += 1
                    }
                }
            }
            // Refused tokens are audited at most once per client address per minute (here all came from one; the
            // walk can outlast a minute on a machine busy with the other suites), and never with what the token
            // claims as the actor.
            let minutes = Int((ContinuousClock.now - start) / .seconds(60))
            let rejectedAfter = try await harness.database.count("audit_log", where: "action = 'token.rejected'")
            #expect(rejectedTokens > minutes + 1)
            #expect((1...minutes + 1).contains(rejectedAfter - rejectedBefore))
            #expect(try await harness.database.count("audit_log", where: "action = 'token.rejected' AND actor <> 'anonymous'") == 0)
        }
    }

    @Test func theAccessTableCoversEveryRoute() async throws {
        let configuration = try await ServiceHarness.configuration()
        let router = try await buildRouter(configuration: configuration, repository: ServiceHarness.offlineStore(),
                                           readiness: NeverReady(), metrics: .init())
        let routes = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(routes == Set(Endpoint.all.map(\.description)))
    }

    @Test func accessTableMarkdownHasOneRowPerEndpoint() {
        let markdown = Endpoint.accessTableMarkdown()
        #expect(markdown.split(separator: "\n").count == Endpoint.all.count + 2)
        #expect(markdown.contains("| `GET /v1/audit` | Audit trail, filtered | 401 | 403 | 403 | 403 | ✓ |"))
        #expect(markdown.contains("| `GET /healthz` | Process is up | ✓ | ✓ | ✓ | ✓ | ✓ |"))
    }

    private func token(for caller: Caller, _ harness: ServiceHarness) async throws -> String? {
        switch caller {
        case .anonymous:
            return nil
        case .role(let role):
            return try await harness.token(role)
        case .expired:
            return try await harness.verifier.mintToken(actorID: "late", role: .admin, lifetime: .seconds(60),
                                                        now: Date().addingTimeInterval(-3600))
        case .wrongAudience:
            return try await otherVerifier(["EDTRIAGE_AUTH_AUDIENCE": "another-api"]).mintToken(
                actorID: "elsewhere", role: .admin, lifetime: .seconds(600))
        case .wrongIssuer:
            return try await otherVerifier(["EDTRIAGE_AUTH_ISSUER": "someone-else"]).mintToken(
                actorID: "elsewhere", role: .admin, lifetime: .seconds(600))
        case .badSignature:
            return try await otherVerifier(["EDTRIAGE_AUTH_HS256_SECRET": "another-secret-0123456789abcdef01234"])
                .mintToken(actorID: "forger", role: .admin, lifetime: .seconds(600))
        }
    }

    private func otherVerifier(_ environment: [String: String]) async throws -> TokenVerifier {
        try await TokenVerifier(configuration: try await ServiceHarness.configuration(environment).auth)
    }
}

/// A readiness check that is never ready, for router-only tests that never call it.
struct NeverReady: ReadinessCheck {
    func notReadyReason() async -> String? { "not connected" }
}
