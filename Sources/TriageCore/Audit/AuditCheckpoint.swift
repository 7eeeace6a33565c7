import Crypto
import Foundation

/// A signed statement of the audit chain's head: "row `seq` has hash `hash`", made at `signedAt`.
///
/// The chain alone proves that no row was changed in place, but not that the newest rows were not deleted,
/// nor that the whole chain was not recomputed by someone able to disable the append-only triggers.
/// Checkpoints are signed with an Ed25519 key (RFC 8032) that never enters the database and are kept outside
/// it, so either attack no longer matches the latest checkpoint.
public struct AuditCheckpoint: Codable, Sendable, Hashable {
    public var seq: Int
    public var hash: String
    /// ISO 8601 with milliseconds, exactly as signed.
    public var signedAt: String
    /// Base64 Ed25519 signature over `signedMessage`.
    public var signature: String

    /// Signs the head `seq`/`hash` at `date`.
    public static func sign(seq: Int, hash: String, at date: Date, key: Curve25519.Signing.PrivateKey) throws
        -> AuditCheckpoint
    {
        let signedAt = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
        let signature = try key.signature(for: message(seq: seq, hash: hash, signedAt: signedAt))
        return AuditCheckpoint(seq: seq, hash: hash, signedAt: signedAt, signature: signature.base64EncodedString())
    }

    /// Whether `publicKey`'s holder signed exactly this statement.
    public func isSigned(by publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard let signature = Data(base64Encoded: signature) else { return false }
        return publicKey.isValidSignature(signature, for: Self.message(seq: seq, hash: hash, signedAt: signedAt))
    }

    /// A versioned, unambiguous text: a signature for one field layout never verifies for another.
    static func message(seq: Int, hash: String, signedAt: String) -> Data {
        Data("edtriage-audit-checkpoint/1\n\(seq)\n\(hash)\n\(signedAt)".utf8)
    }

    private enum CodingKeys: String, CodingKey {
        case seq, hash, signature
        case signedAt = "signed_at"
    }
}
