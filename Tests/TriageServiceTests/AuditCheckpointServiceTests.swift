import Crypto
import Foundation
import Testing
import TriageCore
import TriageStore
import TriageStoreTestSupport
@testable import TriageService

/// Signed checkpoints of the audit chain, end to end: `edtriage serve` writes them to a file outside the
/// database while arrivals come in, and `GET /v1/audit/verify` catches what the chain alone cannot: the
/// newest rows deleted, or the whole chain rewritten, by someone able to disable the append-only triggers.
@Suite struct AuditCheckpointServiceTests {
    struct Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID())")
        var checkpoints: URL { url.appendingPathComponent("audit-checkpoints.jsonl") }
        var key: URL { url.appendingPathComponent("checkpoint.key") }

        func make(key: Curve25519.Signing.PrivateKey = .init()) throws {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try Data(key.rawRepresentation.base64EncodedString().utf8).write(to: self.key)
        }
    }

    static func verification(_ service: LiveService) async throws -> AuditVerification {
        let admin = try await service.token(.admin, actor: "auditor")
        let response = try await service.send("GET", "v1/audit/verify", token: admin)
        #expect(response.status == 200)
        return try JSONDecoder().decode(AuditVerification.self, from: response.body)
    }

    /// The newest row's seq as the owner sees it.
    static func head(_ database: TestDatabase) async throws -> Int {
        Int(try await database.ownerQuery("SELECT coalesce(max(seq), 0)::text FROM audit_log").first?.flatMap { $0 } ?? "")
            ?? -1
    }

    /// Runs the service with checkpoints after every append in a fresh folder, posts two arrivals, and waits
    /// for the checkpoint of the chain's head; the folder is removed afterwards.
    static func withCheckpointedService(
        _ body: @Sendable @escaping (LiveService, Int, Folder) async throws -> Void) async throws {
        let folder = Folder()
        try folder.make()
        defer { try? FileManager.default.removeItem(at: folder.url) }
        try await LiveService.run(environment: [
            "EDTRIAGE_AUDIT_CHECKPOINT_FILE": folder.checkpoints.path,
            "EDTRIAGE_AUDIT_CHECKPOINT_KEY_FILE": folder.key.path,
            "EDTRIAGE_AUDIT_CHECKPOINT_EVERY_APPENDS": "1",
        ]) { service in
            let nurse = try await service.token(.nurse, actor: "rn-audit")
            for arrival in [Arrivals.chestPain(), Arrivals.chestPain()] {
                #expect(try await service.send("POST", "v1/arrivals", token: nurse, json: arrival).status == 202)
            }
            try await eventually { try await service.database.count("arrivals", where: "state = 'done'") == 2 }
            let head = try await head(service.database)
            try await eventually {
                let lines = ((try? Data(contentsOf: folder.checkpoints)) ?? Data()).split(separator: UInt8(ascii: "\n"))
                return lines.contains { (try? JSONDecoder().decode(AuditCheckpoint.self, from: Data($0)))?.seq == head }
            }
            try await body(service, head, folder)
        }
    }

    @Test("an intact chain matches its latest checkpoint; deleting the newest rows is reported")
    func truncationIsDetected() async throws {
        try await Self.withCheckpointedService { service, head, _ in
            let intact = try await Self.verification(service)
            #expect(intact.isIntact)
            #expect(intact.checkpoint?.seq == head && intact.checkpoint?.problem == nil)

            try await service.database.ownerQuery("""
                ALTER TABLE audit_log DISABLE TRIGGER USER;
                DELETE FROM audit_log WHERE seq > \(head - 2);
                ALTER TABLE audit_log ENABLE TRIGGER USER;
                SELECT 'deleted'
                """)
            let truncated = try await Self.verification(service)
            #expect(truncated.firstBroken == nil, "what is left is a valid chain: the links alone cannot tell")
            #expect(!truncated.isIntact)
            #expect(truncated.checkpoint?.problem?.contains("newest rows were deleted") == true)
        }
    }

    @Test("a chain rewritten from scratch with valid links no longer matches the checkpoint")
    func rewriteIsDetected() async throws {
        try await Self.withCheckpointedService { service, head, _ in
            // Someone who can disable the triggers empties the log and appends a history of their own through
            // the service's own code, so every link is valid.
            try await service.database.ownerQuery("""
                ALTER TABLE audit_log DISABLE TRIGGER USER;
                DELETE FROM audit_log;
                ALTER TABLE audit_log ENABLE TRIGGER USER;
                SELECT 'emptied'
                """)
            try await service.database.withStore { store in
                for _ in 0...head {
                    try await store.appendRejectedTokens(source: "198.51.100.9", reason: "forged", count: 1, requestID: nil)
                }
            }
            let rewritten = try await Self.verification(service)
            #expect(rewritten.firstBroken == nil)
            #expect(!rewritten.isIntact)
            #expect(rewritten.checkpoint?.problem?.contains("the chain was rewritten") == true)
        }
    }

    @Test("a checkpoint line the key did not sign is reported, and a wrong key file stops start-up")
    func forgedCheckpointsAreRefused() async throws {
        try await Self.withCheckpointedService { service, head, folder in
            let forged = try AuditCheckpoint.sign(seq: head + 100, hash: String(repeating: "0", count: 64), at: Date(),
                                                  key: Curve25519.Signing.PrivateKey())
            let handle = try FileHandle(forWritingTo: folder.checkpoints)
            try handle.seekToEnd()
            try handle.write(contentsOf: try JSONEncoder().encode(forged) + Data("\n".utf8))
            try handle.close()
            let verification = try await Self.verification(service)
            #expect(!verification.isIntact)
            #expect(verification.checkpoint?.problem?.contains("is not a checkpoint signed by this key") == true)

            try Data("not a key".utf8).write(to: folder.key)
            let error = await #expect(throws: ConfigurationError.self) {
                try await ServiceHarness.run(environment: ["EDTRIAGE_AUDIT_CHECKPOINT_FILE": folder.checkpoints.path,
                                                           "EDTRIAGE_AUDIT_CHECKPOINT_KEY_FILE": folder.key.path]) { _ in }
            }
            #expect(error?.key == "audit.checkpoint_key_file")
        }
    }
}
