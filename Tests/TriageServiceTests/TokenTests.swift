import Foundation
import Testing
@testable import TriageService

@Suite struct TokenTests {
    @Test func mintedTokensVerifyWithTheirRole() async throws {
        let verifier = try await TokenVerifier(configuration: try await ServiceHarness.configuration().auth)
        for role in Role.allCases {
            let token = try await verifier.mintToken(actorID: "rn-\(role.rawValue)", role: role, lifetime: .seconds(60))
            #expect(try await verifier.verify(token) == AuthenticatedUser(actorID: "rn-\(role.rawValue)", role: role))
        }
    }

    @Test func refusalsSayWhy() async throws {
        let verifier = try await TokenVerifier(configuration: try await ServiceHarness.configuration().auth)
        let expired = try await verifier.mintToken(actorID: "late", role: .nurse, lifetime: .seconds(60),
                                                   now: Date().addingTimeInterval(-600))
        await #expect(throws: TokenRejection(reason: "token expired", claimedSubject: "late")) {
            try await verifier.verify(expired)
        }
        let other = try await TokenVerifier(
            configuration: try await ServiceHarness.configuration(["EDTRIAGE_AUTH_AUDIENCE": "elsewhere"]).auth)
        let foreign = try await other.mintToken(actorID: "visitor", role: .admin, lifetime: .seconds(60))
        await #expect(throws: TokenRejection(reason: "token audience not accepted", claimedSubject: "visitor")) {
            try await verifier.verify(foreign)
        }
        await #expect(throws: TokenRejection(reason: "token signature or format invalid", claimedSubject: nil)) {
            try await verifier.verify("not.a.jwt")
        }
    }

    @Test func aShortSecretOrNoKeyIsAConfigurationError() async throws {
        await #expect(throws: ConfigurationError.self) {
            try await TokenVerifier(configuration: try await ServiceConfiguration.load(
                file: nil, environment: ["EDTRIAGE_AUTH_HS256_SECRET": "short"]).auth)
        }
        await #expect(throws: ConfigurationError.self) {
            try await TokenVerifier(configuration: try await ServiceConfiguration.load(file: nil, environment: [:]).auth)
        }
    }
}
