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
        await #expect(throws: TokenRejection(reason: "token expired")) {
            try await verifier.verify(expired)
        }
        let other = try await TokenVerifier(
            configuration: try await ServiceHarness.configuration(["EDTRIAGE_AUTH_AUDIENCE": "elsewhere"]).auth)
        let foreign = try await other.mintToken(actorID: "visitor", role: .admin, lifetime: .seconds(60))
        await #expect(throws: TokenRejection(reason: "token audience not accepted")) {
            try await verifier.verify(foreign)
        }
        await #expect(throws: TokenRejection(reason: "token signature or format invalid")) {
            try await verifier.verify("not.a.jwt")
        }
    }

    /// Issue time, not-before and lifetime are checked for every token, beyond jwt-kit's expiry check.
    @Test func timeClaimsAreChecked() async throws {
        let configuration = try await ServiceHarness.configuration(["EDTRIAGE_AUTH_MAX_TOKEN_LIFETIME_SECONDS": "3600"])
        let verifier = try await TokenVerifier(configuration: configuration.auth)
        let signer = JWTKeyCollection()
        await signer.add(hmac: HMACKey(from: ServiceHarness.secret), digestAlgorithm: .sha256)
        func token(issued: TimeInterval, lifetime: TimeInterval, notBefore: TimeInterval? = nil) async throws -> String {
            let now = Date()
            return try await signer.sign(TriageClaims(
                sub: "rn-clock", role: .nurse, iss: IssuerClaim(value: configuration.auth.issuer),
                aud: AudienceClaim(value: [configuration.auth.audience]),
                iat: IssuedAtClaim(value: now.addingTimeInterval(issued)),
                exp: ExpirationClaim(value: now.addingTimeInterval(issued + lifetime)),
                nbf: notBefore.map { NotBeforeClaim(value: now.addingTimeInterval($0)) }))
        }
        let cases: [(issued: TimeInterval, lifetime: TimeInterval, notBefore: TimeInterval?, reason: String?)] = [
            (0, 600, nil, nil), (-30, 600, 30, nil),
            (600, 600, nil, "token issued in the future"),
            (0, 600, 300, "token not valid yet"),
            (0, 7_200, nil, "token lifetime exceeds auth.max_token_lifetime_seconds"),
        ]
        for check in cases {
            let signed = try await token(issued: check.issued, lifetime: check.lifetime, notBefore: check.notBefore)
            if let reason = check.reason {
                await #expect(throws: TokenRejection(reason: reason)) {
                    try await verifier.verify(signed)
                }
            } else {
                #expect(try await verifier.verify(signed).actorID == "rn-clock")
            }
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

    /// One audit row per client address per window, carrying the refusals it stands for; past the capacity,
    /// new addresses share one window, so a flood from many addresses is still a trickle of rows.
    @Test func rejectedTokensAreAuditedOncePerAddressPerWindow() {
        let throttle = RejectedTokenThrottle(window: .seconds(60), capacity: 2)
        let start = ContinuousClock.now
        func admit(_ source: String, after seconds: Int) -> String? {
            throttle.admit(source: source, now: start + .seconds(seconds)).map { "\($0.source) ×\($0.refusals)" }
        }
        #expect(admit("192.0.2.1", after: 0) == "192.0.2.1 ×1")
        #expect(admit("192.0.2.1", after: 1) == nil)
        #expect(admit("192.0.2.1", after: 2) == nil)
        #expect(admit("192.0.2.2", after: 0) == "192.0.2.2 ×1")
        #expect(admit("192.0.2.3", after: 3) == "\(RejectedTokenThrottle.sharedSource) ×1")
        #expect(admit("192.0.2.4", after: 4) == nil)
        #expect(admit("192.0.2.1", after: 61) == "192.0.2.1 ×3")
        #expect(admit("192.0.2.1", after: 62) == nil)
    }

    /// With the identity provider's key configured, a token signed with the HS256 secret is refused even when
    /// the secret is configured too (it still mints, for another service).
    @Test func hs256IsRefusedOnceAnES256KeyIsConfigured() async throws {
        let pemFile = FileManager.default.temporaryDirectory.appendingPathComponent("es256-\(UUID().uuidString).pem")
        try ES256PrivateKey().publicKey.pemRepresentation.write(to: pemFile, atomically: true, encoding: .utf8)
        let both = try await TokenVerifier(configuration: try await ServiceHarness.configuration(
            ["EDTRIAGE_AUTH_ES256_PUBLIC_KEY_FILE": pemFile.path]).auth)
        let hs256 = try await both.mintToken(actorID: "intruder", role: .admin, lifetime: .seconds(60))
        await #expect(throws: TokenRejection(reason: "token signature or format invalid")) {
            try await both.verify(hs256)
        }
        let hs256Only = try await TokenVerifier(configuration: try await ServiceHarness.configuration().auth)
        #expect(try await hs256Only.verify(hs256).actorID == "intruder")
    }
}
