import Foundation
import JWTKit
import TriageCore

/// Why a bearer token was refused, in words safe to return to the caller and to store in the audit trail.
public struct TokenRejection: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// Verifies bearer tokens (signature, expiry, not-before, issue time, lifetime, issuer, audience) and mints
/// development tokens.
///
/// Tokens are signed with the HS256 secret, or by an external identity provider whose ES256 public key
/// is configured; either key may be absent but not both. With the ES256 key configured only the identity
/// provider's tokens are accepted: a leaked or shared HS256 secret then mints nothing the API takes.
public struct TokenVerifier: Sendable {
    private let keys: JWTKeyCollection
    /// The HS256 secret's keys, for `mintToken`; nil without the secret.
    private let signingKeys: JWTKeyCollection?
    private let issuer: String
    private let audience: String
    private let maximumLifetime: TimeInterval
    /// With several departments, every token must say which it covers.
    private let requiresDepartments: Bool

    /// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (32 bytes).
    static let minimumSecretBytes = 32
    /// How far clocks may disagree: `iat` may lie this far ahead, `nbf` is honoured this much early.
    static let clockSkew: TimeInterval = 60

    public init(configuration: ServiceConfiguration.Auth, departments: [String] = [Department.defaultCode]) async throws {
        var signingKeys: JWTKeyCollection?
        if let secret = configuration.hs256Secret {
            guard secret.value.utf8.count >= Self.minimumSecretBytes else {
                throw ConfigurationError(key: SecretKey.hs256Secret.name,
                                         reason: "must be at least \(Self.minimumSecretBytes) bytes")
            }
            let hmac = JWTKeyCollection()
            await hmac.add(hmac: HMACKey(from: secret.value), digestAlgorithm: .sha256)
            signingKeys = hmac
        }
        var keys = signingKeys ?? JWTKeyCollection()
        if let pem = configuration.es256PublicKeyPEM {
            keys = JWTKeyCollection()
            do {
                await keys.add(ecdsa: try ES256PublicKey(pem: pem))
            } catch {
                throw ConfigurationError(key: "auth.es256_public_key_file", reason: "not a PEM P-256 public key")
            }
        }
        guard configuration.hs256Secret != nil || configuration.es256PublicKeyPEM != nil else {
            throw ConfigurationError(
                key: SecretKey.hs256Secret.name,
                reason: "no token key: set \(SecretKey.hs256Secret.environmentVariable), auth.hs256_secret_file "
                    + "or auth.es256_public_key_file")
        }
        self.keys = keys
        self.signingKeys = signingKeys
        self.issuer = configuration.issuer
        self.audience = configuration.audience
        self.maximumLifetime = TimeInterval(configuration.maxTokenLifetimeSeconds)
        self.requiresDepartments = departments.count > 1
    }

    /// The user the token speaks for, or a `TokenRejection` saying why it is refused.
    public func verify(_ token: String) async throws(TokenRejection) -> AuthenticatedUser {
        let claims: TriageClaims
        do {
            claims = try await keys.verify(token, as: TriageClaims.self, iteratingKeys: true)
        } catch {
            let isExpiry = (error as? JWTError)?.errorType == .claimVerificationFailure
            throw TokenRejection(reason: isExpiry ? "token expired" : "token signature or format invalid")
        }
        guard claims.iss.value == issuer else { throw TokenRejection(reason: "token issuer not accepted") }
        guard claims.aud.value.contains(audience) else {
            throw TokenRejection(reason: "token audience not accepted")
        }
        guard !claims.sub.value.isEmpty else { throw TokenRejection(reason: "token has no subject") }
        let now = Date()
        guard claims.iat.value <= now.addingTimeInterval(Self.clockSkew) else {
            throw TokenRejection(reason: "token issued in the future")
        }
        if let notBefore = claims.nbf?.value, notBefore > now.addingTimeInterval(Self.clockSkew) {
            throw TokenRejection(reason: "token not valid yet")
        }
        guard claims.exp.value.timeIntervalSince(claims.iat.value) <= maximumLifetime else {
            throw TokenRejection(reason: "token lifetime exceeds auth.max_token_lifetime_seconds")
        }
        guard let departments = claims.departments else {
            guard !requiresDepartments else {
                throw TokenRejection(reason: "token names no departments, and this service has several")
            }
            return AuthenticatedUser(actorID: claims.sub.value, role: claims.role)
        }
        return AuthenticatedUser(actorID: claims.sub.value, role: claims.role, departments: DepartmentAccess(claim: departments))
    }

    /// Signs an HS256 token for `actorID` with `role` and `departments` (nil: no claim), valid for `lifetime` from
    /// `now`: for `edtriage token` and tests. Needs the HS256 secret.
    public func mintToken(actorID: String, role: Role, departments: [String]? = nil, lifetime: Duration,
                          now: Date = Date()) async throws -> String {
        guard let signingKeys else {
            throw ConfigurationError(key: SecretKey.hs256Secret.name, reason: "minting tokens needs the HS256 secret")
        }
        let claims = TriageClaims(
            sub: SubjectClaim(value: actorID), role: role, departments: departments, iss: IssuerClaim(value: issuer),
            aud: AudienceClaim(value: [audience]), iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(TimeInterval(lifetime.components.seconds))))
        return try await signingKeys.sign(claims)
    }
}
