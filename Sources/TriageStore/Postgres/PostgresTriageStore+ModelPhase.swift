import Foundation
import Logging
import PostgresNIO
import TriageCore

extension PostgresTriageStore: ModelPhaseQueue {
    /// A lane that has not reported for this long is taken to have stopped: three of the lanes' report intervals.
    static let modelLaneLifetime: Duration = .seconds(30)

    /// Queues the model phase of each rules assessment, once per round.
    func enqueueModelJobs(_ jobs: [(arrivalID: Int, scoringRound: Int, rulesAssessmentID: Int)],
                          on connection: PostgresConnection) async throws {
        guard !jobs.isEmpty else { return }
        try await connection.send("""
            INSERT INTO model_jobs (arrival_id, scoring_round, rules_assessment_id)
            SELECT * FROM unnest(\(jobs.map(\.arrivalID))::bigint[], \(jobs.map(\.scoringRound))::integer[],
                                 \(jobs.map(\.rulesAssessmentID))::bigint[])
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    public func claimModelJobs(limit: Int, lease: Duration) async throws -> [ModelJob] {
        try await client.transaction(logger: logger) { connection in
            try await connection.send("""
                UPDATE model_jobs SET state = 'dropped', lease_token = NULL, lease_until = NULL, updated_at = now()
                WHERE (arrival_id, scoring_round) IN (
                    SELECT j.arrival_id, j.scoring_round FROM model_jobs j
                    JOIN arrivals r ON r.id = j.arrival_id
                    JOIN worklist w ON w.arrival_id = j.arrival_id
                    WHERE j.state IN ('queued', 'processing') AND (j.state = 'queued' OR j.lease_until < now())
                      AND (r.scoring_round <> j.scoring_round OR w.status = 'discharged')
                    FOR UPDATE OF j SKIP LOCKED)
                """, logger: logger)
            let claimed = try await connection.rows("""
                WITH picked AS (
                    SELECT arrival_id, scoring_round FROM model_jobs
                    WHERE (state = 'queued' AND next_attempt_at <= now())
                       OR (state = 'processing' AND lease_until < now())
                    ORDER BY next_attempt_at, arrival_id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE model_jobs j
                SET state = 'processing', attempts = j.attempts + 1, lease_token = gen_random_uuid(),
                    lease_until = now() + make_interval(secs => \(lease.seconds)), updated_at = now()
                FROM picked, assessments a
                WHERE j.arrival_id = picked.arrival_id AND j.scoring_round = picked.scoring_round
                  AND a.id = j.rules_assessment_id
                RETURNING j.arrival_id, j.scoring_round, j.stage, j.rules_assessment_id, j.attempts, j.lease_token,
                          a.input::text AS input, a.input_sha256
                """, logger: logger)
            let images = try await imagesByArrival(try claimed.map { try $0.value("arrival_id") }, on: connection)
            return try claimed.map { row in
                let arrivalID: Int = try row.value("arrival_id")
                let stageName: String = try row.value("stage")
                guard let stage = ModelJob.Stage(rawValue: stageName) else {
                    throw QueueError.invalidInput("model job of arrival \(arrivalID): unknown stage \(stageName)")
                }
                return ModelJob(arrivalID: arrivalID, scoringRound: try row.value("scoring_round"), stage: stage,
                                rulesAssessmentID: try row.value("rules_assessment_id"), attempt: try row.value("attempts"),
                                leaseToken: try row.value("lease_token"), presentation: try row.json("input"),
                                inputSHA256: try row.value("input_sha256"), images: images[arrivalID] ?? [])
            }.sorted { ($0.arrivalID, $0.scoringRound) < ($1.arrivalID, $1.scoringRound) }
        }
    }

    public func completeModelJob(_ job: ModelJob, draft: AssessmentDraft, next: ModelJob.Stage?) async throws
        -> ModelJobOutcome
    {
        let row = AssessmentRow(arrivalID: job.arrivalID, scoringRound: job.scoringRound, attempt: job.attempt,
                                    phase: job.stage.assessmentPhase, presentation: job.presentation, draft: draft)
        return try await client.transaction(logger: logger) { connection in
            // Lock order as in `complete` and `recordVitals`: the arrival first, then the job and the board row.
            guard let arrival = try await connection.firstRow(
                "SELECT scoring_round FROM arrivals WHERE id = \(job.arrivalID) FOR UPDATE", logger: logger)
            else { throw QueueError.arrivalNotFound(arrivalID: job.arrivalID) }
            try await lockModelJob(job, on: connection)
            let before = try await lockedBoardLevels(arrivalID: job.arrivalID, on: connection)
            let current = try arrival.value("scoring_round", as: Int.self) == job.scoringRound
            // Another claim may have written this round's model phase already: then nothing is written.
            guard current, let before, before.state != .discharged,
                  let assessmentID = try await row.insert(on: connection, logger: logger)
            else {
                try await endModelJob(job, state: "dropped", on: connection)
                return .dropped
            }
            let after = try await putOnBoard(arrivalID: job.arrivalID, assessmentID: assessmentID,
                                             level: draft.proposedLevel, before: before, on: connection)
            let modelStatus = draft.model?.status ?? .unavailable
            if let next {
                try await connection.send("""
                    UPDATE model_jobs
                    SET state = 'queued', stage = \(next.rawValue), attempts = 0, lease_token = NULL, lease_until = NULL,
                        next_attempt_at = now(), last_error = NULL, updated_at = now()
                    WHERE arrival_id = \(job.arrivalID) AND scoring_round = \(job.scoringRound)
                    """, logger: logger)
            } else {
                try await endModelJob(job, state: modelStatus == .scored ? "done" : "unavailable", on: connection)
            }
            try await bumpRevision(arrivalIDs: [job.arrivalID], on: connection)
            var audit: [String: JSONValue] = [
                "assessment_id": .int(assessmentID),
                "follows": .int(job.rulesAssessmentID),
                "scoring_round": .int(job.scoringRound),
                "stage": .string(job.stage.rawValue),
                "attempt": .int(job.attempt),
                "proposed_level": .int(draft.proposedLevel.rawValue),
                "rules_level": .int(draft.rulesLevel.rawValue),
                "scorer": .string("\(draft.scorer.name) \(draft.scorer.version)"),
                "model_status": .string(modelStatus.rawValue),
                "input_sha256": .string(draft.inputSHA256),
                "board": after.json,
            ]
            if let reason = draft.model?.reason { audit["model_reason"] = .string(reason) }
            try await AuditLedger.append(.arrival(job.arrivalID, .worker, action: "assessment.model",
                                                  before: before.json, after: .object(audit)),
                                         on: connection, logger: logger)
            return .written(assessmentID: assessmentID)
        }
    }

    public func retryModelJob(_ job: ModelJob, reason: String, after delay: Duration) async throws {
        try await client.transaction(logger: logger) { connection in
            try await lockModelJob(job, on: connection)
            try await connection.send("""
                UPDATE model_jobs
                SET state = 'queued', lease_token = NULL, lease_until = NULL, last_error = \(reason),
                    next_attempt_at = now() + make_interval(secs => \(delay.seconds)), updated_at = now()
                WHERE arrival_id = \(job.arrivalID) AND scoring_round = \(job.scoringRound)
                """, logger: logger)
        }
    }

    public func releaseModelJob(_ job: ModelJob) async throws {
        try await client.send("""
            UPDATE model_jobs
            SET state = 'queued', attempts = attempts - 1, lease_token = NULL, lease_until = NULL,
                next_attempt_at = now(), updated_at = now()
            WHERE arrival_id = \(job.arrivalID) AND scoring_round = \(job.scoringRound)
              AND state = 'processing' AND lease_token = \(job.leaseToken)
            """, logger: logger)
    }

    public func reportModelLane(_ status: ModelLaneStatus) async throws {
        try await client.send("""
            INSERT INTO model_lanes (lane_id, model, available, reason, heartbeat_at)
            VALUES (\(status.laneID), \(status.model), \(status.available), \(status.reason), now())
            ON CONFLICT (lane_id) DO UPDATE
            SET model = EXCLUDED.model, available = EXCLUDED.available, reason = EXCLUDED.reason,
                heartbeat_at = now()
            """, logger: logger)
    }

    public func removeModelLane(_ laneID: UUID) async throws {
        try await client.send("DELETE FROM model_lanes WHERE lane_id = \(laneID)", logger: logger)
    }

    /// Locks the job if this claim still owns it, or throws `claimLost`.
    private func lockModelJob(_ job: ModelJob, on connection: PostgresConnection) async throws {
        guard try await connection.firstRow("""
            SELECT 1 FROM model_jobs
            WHERE arrival_id = \(job.arrivalID) AND scoring_round = \(job.scoringRound)
              AND state = 'processing' AND lease_token = \(job.leaseToken)
            FOR UPDATE
            """, logger: logger) != nil
        else { throw QueueError.claimLost(arrivalID: job.arrivalID) }
    }

    private func endModelJob(_ job: ModelJob, state: String, on connection: PostgresConnection) async throws {
        try await connection.send("""
            UPDATE model_jobs SET state = \(state), lease_token = NULL, lease_until = NULL, updated_at = now()
            WHERE arrival_id = \(job.arrivalID) AND scoring_round = \(job.scoringRound)
            """, logger: logger)
    }
}

/// One immutable `assessments` row, for either phase.
/// One assessment, with a key per column as `jsonb_to_recordset` reads it.
struct AssessmentRow: Sendable, Encodable {
    var arrivalID: Int
    var scoringRound: Int
    var attempt: Int
    var phase: String
    var presentation: ClinicalPresentation
    var draft: AssessmentDraft

    /// The new row's id, or nil when this round already has an assessment of this phase.
    func insert(on connection: PostgresConnection, logger: Logger) async throws -> Int? {
        try await Self.insert([self], on: connection, logger: logger)[0]
    }

    /// Inserts `rows` in one statement; each row's new id, or nil where its round already has an assessment
    /// of its phase.
    static func insert(_ rows: [AssessmentRow], on connection: PostgresConnection, logger: Logger) async throws
        -> [Int?]
    {
        let inserted = try await connection.rows("""
            INSERT INTO assessments (arrival_id, scoring_round, attempt, esi_level, rules_level, news2_total,
                scores, findings, explanation, confidence, scorer_name, scorer_version, rules_version,
                input, input_sha256, phase, model)
            SELECT r.arrival_id, r.scoring_round, r.attempt, r.esi_level, r.rules_level, r.news2_total,
                   r.scores, r.findings, r.explanation, r.confidence, r.scorer_name, r.scorer_version, r.rules_version,
                   r.input, r.input_sha256, r.phase, r.model
            FROM ROWS FROM (jsonb_to_recordset(\(try jsonText(rows))::jsonb) AS (
                     arrival_id bigint, scoring_round integer, attempt integer, esi_level smallint, rules_level smallint,
                     news2_total smallint, scores jsonb, findings jsonb, explanation text, confidence double precision,
                     scorer_name text, scorer_version text, rules_version text, input jsonb, input_sha256 text,
                     phase text, model jsonb)) WITH ORDINALITY
                 AS r(arrival_id, scoring_round, attempt, esi_level, rules_level, news2_total, scores, findings,
                      explanation, confidence, scorer_name, scorer_version, rules_version, input, input_sha256, phase,
                      model, position)
            ORDER BY r.position
            ON CONFLICT (arrival_id, scoring_round, phase) DO NOTHING
            RETURNING id, arrival_id, scoring_round
            """, logger: logger)
        var ids: [RoundKey: Int] = [:]
        for row in inserted {
            ids[RoundKey(arrivalID: try row.value("arrival_id"), scoringRound: try row.value("scoring_round"))] =
                try row.value("id")
        }
        // One phase per statement: the key of a round is enough.
        return rows.map { ids[RoundKey(arrivalID: $0.arrivalID, scoringRound: $0.scoringRound)] }
    }

    private struct RoundKey: Hashable {
        var arrivalID: Int
        var scoringRound: Int
    }

    enum CodingKeys: String, CodingKey {
        case attempt, scores, findings, explanation, confidence, input, phase, model
        case arrivalID = "arrival_id", scoringRound = "scoring_round", esiLevel = "esi_level"
        case rulesLevel = "rules_level", news2Total = "news2_total", scorerName = "scorer_name"
        case scorerVersion = "scorer_version", rulesVersion = "rules_version", inputSHA256 = "input_sha256"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(arrivalID, forKey: .arrivalID)
        try c.encode(scoringRound, forKey: .scoringRound)
        try c.encode(attempt, forKey: .attempt)
        try c.encode(draft.proposedLevel.rawValue, forKey: .esiLevel)
        try c.encode(draft.rulesLevel.rawValue, forKey: .rulesLevel)
        try c.encodeIfPresent(draft.scores.news2?.total, forKey: .news2Total)
        try c.encode(draft.scores, forKey: .scores)
        try c.encode(draft.findings, forKey: .findings)
        try c.encode(draft.explanation, forKey: .explanation)
        try c.encode(draft.confidence, forKey: .confidence)
        try c.encode(draft.scorer.name, forKey: .scorerName)
        try c.encode(draft.scorer.version, forKey: .scorerVersion)
        try c.encode(draft.rulesVersion, forKey: .rulesVersion)
        try c.encode(presentation, forKey: .input)
        try c.encode(draft.inputSHA256, forKey: .inputSHA256)
        try c.encode(phase, forKey: .phase)
        try c.encodeIfPresent(draft.model, forKey: .model)
    }
}
