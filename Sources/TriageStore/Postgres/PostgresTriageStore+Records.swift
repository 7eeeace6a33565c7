import Foundation
import Logging
import PostgresNIO
import TriageCore

extension PostgresTriageStore {
    public func assessment(id: Int) async throws -> AssessmentDetail? {
        try await client.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger) { connection in
            guard let row = try await connection.firstRow("""
                SELECT id, arrival_id, scoring_round, attempt, esi_level, rules_level, scores::text AS scores,
                       findings::text AS findings, explanation, confidence, scorer_name, scorer_version,
                       rules_version, input::text AS input, input_sha256, created_at, phase, model::text AS model,
                       (SELECT department FROM arrivals WHERE arrivals.id = assessments.arrival_id) AS department
                FROM assessments WHERE id = \(id)
                """, logger: logger) else { return nil }
            let arrivalID: Int = try row.value("arrival_id")
            let decisions = try await connection.rows("""
                SELECT id, assessment_id, kind, level, reason, actor, role, row_version, decided_at
                FROM decisions WHERE arrival_id = \(arrivalID) ORDER BY id
                """, logger: logger).map(decisionRecord)
            let images = try await connection.rows("""
                SELECT position, content_type, sha256, byte_size FROM arrival_images
                WHERE arrival_id = \(arrivalID) ORDER BY position
                """, logger: logger).map { image in
                ImageMetadata(index: try image.value("position"), contentType: try image.value("content_type"),
                              sha256: try image.value("sha256"), byteSize: try image.value("byte_size"))
            }
            let model = try row.value("model", as: String?.self).map {
                try JSONDecoder().decode(ModelAssessment.self, from: Data($0.utf8))
            }
            return AssessmentDetail(
                id: id, arrivalID: arrivalID, department: try row.value("department"), scoringRound: try row.value("scoring_round"),
                attempt: try row.value("attempt"), proposedLevel: try ESILevel.column(row, "esi_level"),
                rulesLevel: try ESILevel.column(row, "rules_level"), scores: try row.json("scores"),
                findings: try row.json("findings"), explanation: try row.value("explanation"),
                confidence: try row.value("confidence"),
                scorer: ScorerIdentity(name: try row.value("scorer_name"), version: try row.value("scorer_version")),
                rulesVersion: try row.value("rules_version"), presentation: try row.json("input"),
                inputSHA256: try row.value("input_sha256"), createdAt: try row.value("created_at"),
                decisions: decisions, images: images, phase: try row.value("phase"), model: model,
                imagesNote: AssessmentDetail.imagesNote(count: images.count, images: model?.images))
        }
    }

    private func decisionRecord(_ row: PostgresRandomAccessRow) throws -> DecisionRecord {
        DecisionRecord(id: try row.value("id"), assessmentID: try row.value("assessment_id"), kind: try row.value("kind"),
                       level: try row.value("level", as: Int?.self).flatMap(ESILevel.init(rawValue:)),
                       reason: try row.value("reason"), actor: try row.value("actor"), role: try row.value("role"),
                       version: try row.value("row_version"), decidedAt: try row.value("decided_at"))
    }

    public func image(arrivalID: Int, index: Int) async throws -> StoredImage? {
        try await client.withConnection { connection in
            try await connection.firstRow("""
                SELECT content_type, data FROM arrival_images WHERE arrival_id = \(arrivalID) AND position = \(index)
                """, logger: logger).map { row in
                StoredImage(contentType: try row.value("content_type"), data: try row.value("data"))
            }
        }
    }
}

extension PostgresTriageStore {
    public func auditEntries(_ filter: AuditFilter) async throws -> [AuditEntry] {
        let arrivalEntity = filter.arrivalID.map(String.init)
        return try await client.withConnection { connection in
            try await connection.rows("""
                SELECT \(unescaped: AuditLedger.selectColumns) FROM audit_log
                WHERE (\(filter.since)::timestamptz IS NULL OR occurred_at >= \(filter.since))
                  AND (\(filter.until)::timestamptz IS NULL OR occurred_at < \(filter.until))
                  AND (\(filter.actor)::text IS NULL OR actor = \(filter.actor))
                  AND (\(arrivalEntity)::text IS NULL OR (entity = 'arrival' AND entity_id = \(arrivalEntity)))
                  AND (\(filter.kind?.rawValue)::text IS NULL
                       OR (action LIKE 'access.%') = (\(filter.kind?.rawValue) = 'access'))
                  AND seq > \(filter.afterSeq ?? 0)
                  AND (\(filter.departments.map { Array($0) })::text[] IS NULL
                       OR (entity = 'arrival' AND entity_id IN (
                           SELECT id::text FROM arrivals WHERE department = ANY(\(filter.departments.map { Array($0) })))))
                ORDER BY seq LIMIT \(max(0, filter.limit))
                """, logger: logger)
        }.map { try AuditLedger.entry(from: $0).entry }
    }

    public func appendAccess(_ access: DataAccess, context: AuditContext) async throws {
        let record = switch access {
        case .assessment(let arrivalID, let assessmentID):
            AuditRecord.arrival(arrivalID, context, action: "access.assessment",
                                after: .object(["assessment_id": .number(Double(assessmentID))]))
        case .image(let arrivalID, let index):
            AuditRecord.arrival(arrivalID, context, action: "access.image", after: .object(["index": .number(Double(index))]))
        case .audit(let rows):
            AuditRecord(context, action: "access.audit", entity: "audit", entityID: nil,
                        after: .object(["rows": .number(Double(rows))]))
        }
        try await client.transaction(logger: logger) { connection in
            try await AuditLedger.append(record, on: connection, logger: logger)
        }
    }

    public func auditHead() async throws -> AuditHead? {
        try await client.withConnection { connection in
            try await connection.firstRow("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", logger: logger)
        }.map { row in AuditHead(seq: try row["seq"].decode(Int.self), hash: try row["hash"].decode(String.self)) }
    }

    public func auditHashes(seqs: [Int]) async throws -> [Int: String] {
        try await client.withConnection { connection in
            try await connection.rows("SELECT seq, hash FROM audit_log WHERE seq = ANY(\(seqs))", logger: logger)
        }.reduce(into: [:]) { hashes, row in hashes[try row["seq"].decode(Int.self)] = try row["hash"].decode(String.self) }
    }

    public func verifyAudit() async throws -> AuditVerification {
        let pageSize = 1000
        var expectedSeq = 1
        var previousHash = AuditChain.genesisHash
        var checked = 0
        while true {
            let page = try await client.withConnection { connection in
                try await connection.rows("""
                    SELECT \(unescaped: AuditLedger.selectColumns) FROM audit_log
                    WHERE seq >= \(expectedSeq) ORDER BY seq LIMIT \(pageSize)
                    """, logger: logger)
            }
            for row in page {
                let (entry, micros) = try AuditLedger.entry(from: row)
                checked += 1
                if let reason = AuditLedger.brokenReason(entry, occurredMicros: micros, expectedSeq: expectedSeq,
                                                         expectedPreviousHash: previousHash) {
                    return AuditVerification(isIntact: false, checked: checked,
                                             firstBroken: .init(seq: entry.seq, reason: reason))
                }
                expectedSeq = entry.seq + 1
                previousHash = entry.hash
            }
            if page.count < pageSize {
                return AuditVerification(isIntact: true, checked: checked, firstBroken: nil)
            }
        }
    }

    public func appendRejectedTokens(source: String, reason: String, count: Int, requestID: String?) async throws {
        let context = AuditContext(actor: "anonymous", role: "none", requestID: requestID)
        let after = JSONValue.object(["reason": .string(reason), "source": .string(source), "count": .number(Double(count))])
        try await client.transaction(logger: logger) { connection in
            try await AuditLedger.append(AuditRecord(context, action: "token.rejected", entity: "request",
                                                     entityID: nil, after: after),
                                         on: connection, logger: logger)
        }
    }

    public func appendMintedToken(subject: String, role: String, departments: [String]?, expiresAt: Date,
                                  mintedBy: String) async throws {
        let context = AuditContext(actor: mintedBy, role: "none", requestID: nil)
        var after: [String: JSONValue] = ["role": .string(role), "expires_at": .string(expiresAt.formatted(.iso8601))]
        if let departments { after["departments"] = .array(departments.map(JSONValue.string)) }
        try await client.transaction(logger: logger) { connection in
            try await AuditLedger.append(AuditRecord(context, action: "token.minted", entity: "token", entityID: subject,
                                                     after: .object(after)),
                                         on: connection, logger: logger)
        }
    }
}
