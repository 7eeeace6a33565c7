import Foundation
import Testing
import TriageCore
import TriageStore
import TriageStoreTestSupport

@Suite("Audit log")
struct AuditTests {
    /// An arrival accepted, scored and overridden: four chained rows, plus a rejected token.
    private func history(_ store: PostgresTriageStore) async throws {
        let arrival = try await store.enqueue(Fixtures.submission("X1"), flags: [], context: Fixtures.nurse)
        try await Fixtures.scoreAll(store)
        _ = try await store.decide(.override(level: .emergent, reason: "worried: \"pale\", 0.5 ℃ rise"),
                                   arrivalID: arrival.arrivalID, expectedVersion: 1, context: Fixtures.nurse)
        try await store.appendRejectedTokens(source: "192.0.2.7", reason: "expired", count: 3, requestID: "req-9")
    }

    @Test("the chain verifies, and entries read back what was written")
    func intactChain() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                try await history(store)
                let verification = try await store.verifyAudit()
                #expect(verification == AuditVerification(isIntact: true, checked: 4, firstBroken: nil))
                let entries = try await store.auditEntries(AuditFilter())
                #expect(entries.map(\.seq) == [1, 2, 3, 4])
                #expect(entries.first?.prevHash == AuditChain.genesisHash)
                #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.hash == $1.prevHash })
                guard case .object(let after)? = entries[2].after else { Issue.record("no after"); return }
                #expect(after["reason"] == .string("worried: \"pale\", 0.5 ℃ rise"))
                #expect(entries[3].action == "token.rejected" && entries[3].actor == "anonymous")
                #expect(try await store.auditEntries(AuditFilter(actor: "anonymous")).count == 1)
                #expect(try await store.auditEntries(AuditFilter(afterSeq: 2, limit: 1)).map(\.seq) == [3])
            }
        }
    }

    @Test("UPDATE, DELETE and TRUNCATE are refused, for the service role and the owner alike; the service only reads")
    func appendOnly() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store in try await history(store) }
            for statement in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
                try await TestDatabase.withClient(database.appURL) { client in
                    await #expect(throws: (any Error).self) { try await client.query(.init(unsafeSQL: statement)) }
                }
                await #expect(throws: (any Error).self) { try await database.ownerQuery(statement) }
            }
            #expect(try await database.count("audit_log") == 4)
            let privileges = try await database.ownerQuery("""
                SELECT string_agg(p, ',' ORDER BY p) FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p
                WHERE has_table_privilege('edtriage_app', 'audit_log', p)
                """)
            #expect(privileges == ["SELECT"])
        }
    }

    @Test("a row tampered through a superuser connection is reported at its sequence number")
    func tamperDetected() async throws {
        for tamper in [
            "UPDATE audit_log SET after = jsonb_set(after, '{proposed_level}', '1') WHERE seq = 2",
            "UPDATE audit_log SET occurred_at = occurred_at + interval '1 microsecond' WHERE seq = 2",
            "UPDATE audit_log SET actor = 'someone.else' WHERE seq = 2",
            "UPDATE audit_log SET request_id = 'req-2' WHERE seq = 2",
            "DELETE FROM audit_log WHERE seq = 2",
        ] {
            try await TestDatabase.with { database in
                try await database.withStore { store async throws in
                    try await history(store)
                    try await database.ownerQuery("SET session_replication_role = replica; \(tamper)")
                    let verification = try await store.verifyAudit()
                    #expect(!verification.isIntact, "\(tamper)")
                    #expect(verification.firstBroken?.seq == (tamper.hasPrefix("DELETE") ? 3 : 2), "\(tamper)")
                }
            }
        }
    }
}
