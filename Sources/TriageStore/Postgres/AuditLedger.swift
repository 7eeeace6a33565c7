import Foundation
import Logging
import PostgresNIO
import TriageCore

/// One audit row before it is chained: who did what to which entity.
struct AuditRecord: Sendable {
    var actor: String
    var role: String
    var action: String
    var entity: String
    var entityID: String?
    var requestID: String?
    var before: JSONValue?
    var after: JSONValue?

    init(_ context: AuditContext, action: String, entity: String, entityID: String?,
         before: JSONValue? = nil, after: JSONValue? = nil) {
        self.actor = context.actor
        self.role = context.role
        self.action = action
        self.entity = entity
        self.entityID = entityID
        self.requestID = context.requestID
        self.before = before
        self.after = after
    }

    /// An action on an arrival: every arrival-related row names the arrival, so one filter finds them all.
    static func arrival(_ id: Int, _ context: AuditContext, action: String,
                        before: JSONValue? = nil, after: JSONValue? = nil) -> AuditRecord {
        AuditRecord(context, action: action, entity: "arrival", entityID: String(id), before: before, after: after)
    }
}

/// Appends to and verifies the hash-chained `audit_log`.
///
/// The hash covers every column but the hashes, rebuilt from what is stored: `occurred_at` as integer
/// microseconds (exact in PostgreSQL) and before/after re-canonicalised from their jsonb, whose own
/// text form may differ from ours in key order or spacing. So verification recomputes exactly what
/// was hashed, and an edit to any column breaks the chain.
enum AuditLedger {
    /// Serializes appends across connections (transaction-scoped): "audit" in ASCII.
    static let appendLockKey = 0x6175_6469_74

    /// Appends `record` inside the caller's transaction; returns the new sequence number.
    @discardableResult
    static func append(_ record: AuditRecord, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        guard let seq = try await append([record], on: connection, logger: logger).first else {
            throw UnexpectedDatabaseState("audit_append_all returned no sequence number")
        }
        return seq
    }

    /// Appends `records` in order inside the caller's transaction; returns their sequence numbers.
    ///
    /// The service role cannot insert into `audit_log`: `audit_append` (migration 0010) takes the canonical
    /// content, checks it names the next row and this transaction's time, and stores and hashes exactly it;
    /// `audit_append_all` (0011) calls it for each content in one round trip. The lock is taken here first so
    /// the head read to number the contents is still the head there.
    @discardableResult
    static func append(_ records: [AuditRecord], on connection: PostgresConnection, logger: Logger) async throws
        -> [Int]
    {
        guard !records.isEmpty else { return [] }
        try await connection.send("SELECT pg_advisory_xact_lock(\(appendLockKey))", logger: logger)
        guard let head = try await connection.firstRow("""
            SELECT (SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1) AS seq,
                   (extract(epoch FROM now()) * 1000000)::int8 AS now_us
            """, logger: logger) else { throw UnexpectedDatabaseState("no audit head row") }
        let first = (try head.value("seq", as: Int?.self) ?? 0) + 1
        let now: Int = try head.value("now_us")
        let contents = records.enumerated().map { offset, record in
            String(decoding: canonicalContent(seq: first + offset, occurredMicros: now, record), as: UTF8.self)
        }
        guard let appended = try await connection.firstRow(
            "SELECT audit_append_all(\(contents)) AS seqs", logger: logger)
        else { throw UnexpectedDatabaseState("audit_append_all returned nothing") }
        let seqs: [Int] = try appended.value("seqs")
        guard seqs.count == records.count else { throw UnexpectedDatabaseState("audit_append_all skipped a row") }
        return seqs
    }

    /// The bytes hashed for one row. Absent before/after are left out (so SQL NULL and JSON null differ).
    static func canonicalContent(seq: Int, occurredMicros: Int, _ record: AuditRecord) -> Data {
        var members: [String: JSONValue] = [
            "seq": .number(Double(seq)),
            "occurred_at_us": .number(Double(occurredMicros)),
            "actor": .string(record.actor),
            "role": .string(record.role),
            "action": .string(record.action),
            "entity": .string(record.entity),
            "entity_id": record.entityID.map(JSONValue.string) ?? .null,
            "request_id": record.requestID.map(JSONValue.string) ?? .null,
        ]
        if let before = record.before { members["before"] = before }
        if let after = record.after { members["after"] = after }
        return JSONValue.object(members).canonicalData()
    }

    /// Columns read back for verification and listing.
    static let selectColumns = """
        seq, occurred_at, (extract(epoch FROM occurred_at) * 1000000)::int8 AS occurred_us, actor, role,
        action, entity, entity_id, request_id, before::text AS before, after::text AS after, prev_hash, hash
        """

    static func entry(from row: PostgresRandomAccessRow) throws -> (entry: AuditEntry, occurredMicros: Int) {
        let entry = AuditEntry(
            seq: try row.value("seq"), occurredAt: try row.value("occurred_at"),
            actor: try row.value("actor"), role: try row.value("role"), action: try row.value("action"),
            entity: try row.value("entity"), entityID: try row.value("entity_id"),
            requestID: try row.value("request_id"),
            before: try jsonValue(row.value("before", as: String?.self)),
            after: try jsonValue(row.value("after", as: String?.self)),
            prevHash: try row.value("prev_hash"), hash: try row.value("hash"))
        return (entry, try row.value("occurred_us"))
    }

    private static func jsonValue(_ text: String?) throws -> JSONValue? {
        try text.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
    }

    /// Checks one stored row against the chain so far; returns why it is broken, or nil.
    static func brokenReason(_ entry: AuditEntry, occurredMicros: Int, expectedSeq: Int,
                             expectedPreviousHash: String) -> String? {
        guard entry.seq == expectedSeq else { return "sequence gap: expected \(expectedSeq), found \(entry.seq)" }
        guard entry.prevHash == expectedPreviousHash else { return "prev_hash does not match the previous row's hash" }
        let record = AuditRecord(
            AuditContext(actor: entry.actor, role: entry.role, requestID: entry.requestID),
            action: entry.action, entity: entry.entity, entityID: entry.entityID,
            before: entry.before, after: entry.after)
        let content = canonicalContent(seq: entry.seq, occurredMicros: occurredMicros, record)
        guard AuditChain.link(previousHash: entry.prevHash, canonicalEntry: content) == entry.hash else {
            return "hash does not match the row's content"
        }
        return nil
    }
}

extension JSONValue {
    /// `.number` for integers, for audit payloads.
    static func int(_ value: Int) -> JSONValue { .number(Double(value)) }
}
