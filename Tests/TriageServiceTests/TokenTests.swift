import Foundation
import JWTKit
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

/// Tokens from an external identity provider, signed with ES256 and verified with its public key alone.
@Suite struct ES256TokenTests {
    @Test func verifiesWithThePublicKeyAndCannotMint() async throws {
        let privateKey = ES256PrivateKey()
        let pemFile = FileManager.default.temporaryDirectory.appendingPathComponent("es256-\(UUID().uuidString).pem")
        try privateKey.publicKey.pemRepresentation.write(to: pemFile, atomically: true, encoding: .utf8)
        let configuration = try await ServiceConfiguration.load(
            file: nil, environment: ["EDTRIAGE_AUTH_ES256_PUBLIC_KEY_FILE": pemFile.path])
        let verifier = try await TokenVerifier(configuration: configuration.auth)

        let identityProvider = JWTKeyCollection()
        await identityProvider.add(ecdsa: privateKey)
        let now = Date()
        let token = try await identityProvider.sign(TriageClaims(
            sub: "dr-who", role: .physician, iss: IssuerClaim(value: configuration.auth.issuer),
            aud: AudienceClaim(value: [configuration.auth.audience]), iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(300))))
        #expect(try await verifier.verify(token) == AuthenticatedUser(actorID: "dr-who", role: .physician))

        await #expect(throws: ConfigurationError.self) {
            try await verifier.mintToken(actorID: "x", role: .admin, lifetime: .seconds(60))
        }
    }
}
