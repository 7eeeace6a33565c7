import Foundation
import Logging
import PostgresNIO
import TriageCore

extension PostgresTriageStore: ModelPhaseQueue {
    public func pendingModelScores(limit: Int) async throws -> [PendingModelScore] {
        try await client.withConnection { connection in
            try await connection.rows("""
                SELECT a.id, a.arrival_id, a.scoring_round, a.input::text AS input
                FROM assessments a
                JOIN worklist w ON w.assessment_id = a.id
                JOIN arrivals r ON r.id = a.arrival_id
                WHERE a.model ->> 'status' = 'pending' AND w.status <> 'discharged'
                  AND r.state = 'done' AND r.scoring_round = a.scoring_round
                ORDER BY a.id
                LIMIT \(limit)
                """, logger: logger).map { row in
                PendingModelScore(arrivalID: try row.value("arrival_id"), scoringRound: try row.value("scoring_round"),
                                  assessmentID: try row.value("id"), presentation: try row.json("input"))
            }
        }
    }

    public func supersede(_ pending: PendingModelScore, draft: AssessmentDraft) async throws -> Int? {
        return try await client.transaction(logger: logger) { connection -> Int? in
            // Lock order as in `complete` and `recordVitals`: the arrival first, then its board row.
            guard try await connection.firstRow("""
                SELECT 1 FROM arrivals
                WHERE id = \(pending.arrivalID) AND state = 'done' AND scoring_round = \(pending.scoringRound)
                FOR UPDATE
                """, logger: logger) != nil,
                let board = try await connection.firstRow("""
                SELECT w.proposed_level, a.attempt FROM worklist w JOIN assessments a ON a.id = w.assessment_id
                WHERE w.arrival_id = \(pending.arrivalID) AND w.assessment_id = \(pending.assessmentID)
                  AND w.status <> 'discharged'
                FOR UPDATE OF w
                """, logger: logger)
            else { return nil }
            let previousLevel: Int = try board.value("proposed_level")
            let row = try AssessmentRow(arrivalID: pending.arrivalID, scoringRound: pending.scoringRound,
                                        attempt: try board.value("attempt"), phase: "model",
                                        presentation: pending.presentation, draft: draft)
            // Another worker may have written this round's model phase already: then nothing is written.
            guard let assessmentID = try await row.insert(on: connection, logger: logger) else { return nil }
            let levelChanged = previousLevel != draft.proposedLevel.rawValue
            // An unchanged level keeps the nurse's decision; a changed one needs a new confirmation.
            try await connection.query("""
                UPDATE worklist
                SET assessment_id = \(assessmentID), proposed_level = \(draft.proposedLevel.rawValue),
                    effective_level = CASE WHEN \(levelChanged) THEN \(draft.proposedLevel.rawValue) ELSE effective_level END,
                    status = CASE WHEN \(levelChanged) THEN 'awaiting_confirmation' ELSE status END,
                    decided_by = CASE WHEN \(levelChanged) THEN NULL ELSE decided_by END,
                    decided_role = CASE WHEN \(levelChanged) THEN NULL ELSE decided_role END,
                    decided_at = CASE WHEN \(levelChanged) THEN NULL ELSE decided_at END,
                    assessed_at = now(), version = version + 1
                WHERE arrival_id = \(pending.arrivalID)
                """, logger: logger)
            _ = try await bumpRevision(on: connection)
            try await AuditLedger.append(.arrival(pending.arrivalID, .worker, action: "assessment.superseded", after: .object([
                "assessment_id": .int(assessmentID),
                "supersedes": .int(pending.assessmentID),
                "scoring_round": .int(pending.scoringRound),
                "proposed_level": .int(draft.proposedLevel.rawValue),
                "rules_level": .int(draft.rulesLevel.rawValue),
                "level_changed": .bool(levelChanged),
                "scorer": .string("\(draft.scorer.name) \(draft.scorer.version)"),
                "model_status": .string(draft.model?.status.rawValue ?? "none"),
                "input_sha256": .string(draft.inputSHA256),
            ])), on: connection, logger: logger)
            return assessmentID
        }
    }
}

/// One immutable `assessments` row, for either phase.
struct AssessmentRow: Sendable {
    var arrivalID: Int
    var scoringRound: Int
    var attempt: Int
    var phase: String
    var draft: AssessmentDraft
    var scores: String
    var findings: String
    var input: String
    var model: String?

    init(arrivalID: Int, scoringRound: Int, attempt: Int, phase: String, presentation: ClinicalPresentation,
         draft: AssessmentDraft) throws {
        self.arrivalID = arrivalID
        self.scoringRound = scoringRound
        self.attempt = attempt
        self.phase = phase
        self.draft = draft
        scores = try jsonText(draft.scores)
        findings = try jsonText(draft.findings)
        input = try jsonText(presentation)
        model = try draft.model.map(jsonText)
    }

    /// The new row's id, or nil when this round already has an assessment of this phase.
    func insert(on connection: PostgresConnection, logger: Logger) async throws -> Int? {
        try await connection.firstRow("""
            INSERT INTO assessments (arrival_id, scoring_round, attempt, esi_level, rules_level, news2_total,
                scores, findings, explanation, confidence, scorer_name, scorer_version, rules_version,
                input, input_sha256, phase, model)
            VALUES (\(arrivalID), \(scoringRound), \(attempt), \(draft.proposedLevel.rawValue),
                \(draft.rulesLevel.rawValue), \(draft.scores.news2?.total), \(scores)::jsonb, \(findings)::jsonb,
                \(draft.explanation), \(draft.confidence), \(draft.scorer.name), \(draft.scorer.version),
                \(draft.rulesVersion), \(input)::jsonb, \(draft.inputSHA256), \(phase), \(model)::jsonb)
            ON CONFLICT (arrival_id, scoring_round, phase) DO NOTHING
            RETURNING id
            """, logger: logger)?.value("id")
    }
}
