import Foundation
import JWTKit

/// The JWT payload EDTriage issues and accepts.
struct TriageClaims: JWTPayload, Equatable {
    var sub: SubjectClaim
    var role: Role
    /// Department codes the holder may see and act on, `*` for all; may be left out while the service has one.
    var departments: [String]? = nil
    var iss: IssuerClaim
    var aud: AudienceClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    /// Optional (RFC 7519 §4.1.5); `TokenVerifier` checks it with the clock-skew leeway.
    var nbf: NotBeforeClaim? = nil

    /// Signature-independent checks jwt-kit runs after the signature verifies; issuer, audience, `iat`,
    /// `nbf` and the lifetime are checked by `TokenVerifier`, which knows the configured values.
    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
