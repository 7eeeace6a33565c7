import Crypto
import Foundation

/// Hash chain over audit entries: each entry's hash covers the previous hash, so editing or deleting
/// any stored entry breaks every later link.
public enum AuditChain {
    /// The `previousHash` of the first entry: 64 zeros.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Hex SHA-256 of `previousHash` (as UTF-8) followed by the entry's canonical JSON bytes.
    public static func link(previousHash: String, canonicalEntry: Data) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(previousHash.utf8))
        hasher.update(data: canonicalEntry)
        return hasher.finalize().hexString
    }
}
