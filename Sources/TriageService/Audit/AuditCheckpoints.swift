import Crypto
import Foundation
import Logging
import ServiceLifecycle
import TriageCore
import TriageStore
#if canImport(Glibc)
import Glibc
#endif

/// The append-only file of signed audit checkpoints (`audit.checkpoint_file`, one JSON object per line) and the
/// Ed25519 key that signs them (`audit.checkpoint_key_file`, base64 of the 32-byte private key). Both live
/// outside the database: whoever can rewrite `audit_log` cannot also make its checkpoints agree.
struct AuditCheckpoints: Sendable {
    struct Files: Sendable, Equatable {
        var checkpoints: String
        var key: String
    }

    let path: String
    /// Nil on a host that only verifies (an auditor's, with the public key).
    let signingKey: Curve25519.Signing.PrivateKey?
    let publicKey: Curve25519.Signing.PublicKey

    init(files: Files) throws {
        let raw = try Self.keyBytes(in: files.key, option: "audit.checkpoint_key_file")
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw ConfigurationError(key: "audit.checkpoint_key_file",
                                     reason: "\(files.key) does not hold a base64 32-byte Ed25519 private key")
        }
        self.path = files.checkpoints
        self.signingKey = key
        self.publicKey = key.publicKey
    }

    /// Verification only: the checkpoints at `path` checked with the public key in `publicKeyFile`.
    init(path: String, publicKeyFile: String) throws {
        let raw = try Self.keyBytes(in: publicKeyFile, option: "--public-key")
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw ConfigurationError(key: "--public-key",
                                     reason: "\(publicKeyFile) does not hold a base64 32-byte Ed25519 public key")
        }
        self.path = path
        self.signingKey = nil
        self.publicKey = key
    }

    /// The public key in the same form as the key files: base64 of its 32 bytes.
    var publicKeyBase64: String { publicKey.rawRepresentation.base64EncodedString() }

    private static func keyBytes(in file: String, option: String) throws -> Data {
        let text = try SecretSource.contents(of: file, key: option)
        guard let raw = Data(base64Encoded: text) else {
            throw ConfigurationError(key: option, reason: "\(file) does not hold base64")
        }
        return raw
    }

    /// Appends a checkpoint of `head` and flushes it to disk. `O_APPEND` keeps concurrent writers' lines whole.
    func append(_ head: AuditHead, at date: Date = Date()) throws {
        guard let signingKey else { throw CheckpointFileError(path: path, reason: "no signing key: verification only") }
        let checkpoint = try AuditCheckpoint.sign(seq: head.seq, hash: head.hash, at: date, key: signingKey)
        var line = try JSONEncoder().encode(checkpoint)
        line.append(UInt8(ascii: "\n"))
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CheckpointFileError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            throw CheckpointFileError(path: path, reason: "short write or fsync failed")
        }
    }

    /// Every checkpoint in the file, oldest first, after checking that each line is one this key signed.
    func all() throws -> [AuditCheckpoint] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return try data.split(separator: UInt8(ascii: "\n")).enumerated().map { index, line in
            guard let checkpoint = try? JSONDecoder().decode(AuditCheckpoint.self, from: Data(line)),
                  checkpoint.isSigned(by: publicKey) else {
                throw CheckpointFileError(path: path, reason: "line \(index + 1) is not a checkpoint signed by this key")
            }
            return checkpoint
        }.sorted { $0.seq < $1.seq }
    }

    /// The newest checkpoint's row; nil when there is none.
    func latestSeq() throws -> Int? { try all().last?.seq }

    /// Compares the stored chain with every checkpoint, not just the newest: a chain rewritten while the
    /// service ran gets fresh checkpoints of its forged head, but the earlier ones no longer match it.
    func match(_ trail: any AuditTrail) async throws -> AuditVerification.CheckpointMatch {
        let checkpoints: [AuditCheckpoint]
        do {
            checkpoints = try all()
        } catch let error as CheckpointFileError {
            return .init(seq: nil, signedAt: nil, problem: error.description)
        }
        guard let latest = checkpoints.last else { return .init(seq: nil, signedAt: nil, problem: nil) }
        var stored: [Int: String] = [:]
        for batch in stride(from: 0, to: checkpoints.count, by: 10_000) {
            let seqs = checkpoints[batch..<min(batch + 10_000, checkpoints.count)].map(\.seq)
            stored.merge(try await trail.auditHashes(seqs: seqs)) { $1 }
        }
        for checkpoint in checkpoints {
            switch stored[checkpoint.seq] {
            case nil:
                let end = try await trail.auditHead()?.seq ?? 0
                return .init(seq: latest.seq, signedAt: latest.signedAt, problem: "the chain ends at seq \(end) but "
                    + "the checkpoint signed at \(checkpoint.signedAt) names seq \(checkpoint.seq): the newest rows were deleted")
            case let hash? where hash != checkpoint.hash:
                return .init(seq: latest.seq, signedAt: latest.signedAt, problem: "row \(checkpoint.seq) differs from "
                    + "the checkpoint signed at \(checkpoint.signedAt): the chain was rewritten")
            default:
                continue
            }
        }
        return .init(seq: latest.seq, signedAt: latest.signedAt, problem: nil)
    }

    /// The chain walked link by link, then compared with the latest checkpoint.
    func verify(_ trail: any AuditTrail) async throws -> AuditVerification {
        var result = try await trail.verifyAudit()
        let match = try await match(trail)
        result.checkpoint = match
        result.isIntact = result.isIntact && match.problem == nil
        return result
    }
}

/// The chain's verification, against the latest signed checkpoint when checkpoints are configured.
func verifyAudit(_ trail: any AuditTrail, checkpoints: AuditCheckpoints?) async throws -> AuditVerification {
    if let checkpoints { return try await checkpoints.verify(trail) }
    return try await trail.verifyAudit()
}

struct CheckpointFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "audit checkpoint file \(path): \(reason)" }
}

/// Writes a checkpoint whenever the chain has grown by `everyAppends` rows, or has grown at all and the last
/// checkpoint is `interval` old, and once more at shutdown. It reads only the chain's head (one indexed row).
struct AuditCheckpointer: Service {
    let checkpoints: AuditCheckpoints
    let trail: any AuditTrail
    let everyAppends: Int
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var last = Written(seq: (try? checkpoints.latestSeq()) ?? 0, at: .now)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            last = await checkpointIfDue(after: last, force: false)
            try? await Task.sleep(for: .seconds(1))
        }
        _ = await checkpointIfDue(after: last, force: true)
    }

    private struct Written {
        var seq: Int
        var at: ContinuousClock.Instant
    }

    private func checkpointIfDue(after last: Written, force: Bool) async -> Written {
        do {
            guard let head = try await trail.auditHead(), head.seq > last.seq,
                  force || head.seq - last.seq >= everyAppends || ContinuousClock.now - last.at >= interval
            else { return last }
            try checkpoints.append(head)
            return Written(seq: head.seq, at: .now)
        } catch {
            logger.error("audit checkpoint not written", metadata: ["reason": "\(error)"])
            return last
        }
    }
}
