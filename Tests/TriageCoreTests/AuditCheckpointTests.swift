import ComputeThreadTesting
import Crypto
import Foundation
import Testing
import TriageCore

@Suite(.onComputeThread) struct AuditCheckpointTests {
    @Test func aCheckpointVerifiesOnlyAsSignedAndOnlyForItsKey() throws {
        let key = Curve25519.Signing.PrivateKey()
        let checkpoint = try AuditCheckpoint.sign(seq: 42, hash: String(repeating: "ab", count: 32), at: Date(), key: key)
        #expect(checkpoint.isSigned(by: key.publicKey))
        #expect(!checkpoint.isSigned(by: Curve25519.Signing.PrivateKey().publicKey))
        var moved = checkpoint
        moved.seq = 41
        #expect(!moved.isSigned(by: key.publicKey))
        var rehashed = checkpoint
        rehashed.hash = String(repeating: "cd", count: 32)
        #expect(!rehashed.isSigned(by: key.publicKey))
        var redated = checkpoint
        redated.signedAt = "2020-01-01T00:00:00.000Z"
        #expect(!redated.isSigned(by: key.publicKey))
        let decoded = try JSONDecoder().decode(AuditCheckpoint.self, from: JSONEncoder().encode(checkpoint))
        #expect(decoded == checkpoint && decoded.isSigned(by: key.publicKey))
    }
}
