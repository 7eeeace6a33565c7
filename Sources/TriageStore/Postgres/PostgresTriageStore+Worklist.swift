import Foundation
import Logging
import PostgresNIO
import TriageCore

extension PostgresTriageStore {
    public func snapshot(department: String) async throws -> WorklistSnapshot {
        // One read-only snapshot, so the revision matches the rows.
        try await client.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger) { connection in
            guard let head = try await connection.firstRow(revisionQuery(department), logger: logger)
            else { throw UnexpectedDatabaseState("the revision query returned no row") }
            let now: Date = try head.value("now")
            let rows = try await connection.rows(boardQuery(department: department), logger: logger)
            return WorklistSnapshot(department: department, revision: try head.value("revision"), generatedAt: now,
                                    rows: try rows.map { try boardRow($0, now: now) })
        }
    }

    /// A department's revision, 0 before its board first changed (or when the database does not know it), and the
    /// database's clock.
    private func revisionQuery(_ department: String) -> PostgresQuery {
        "SELECT COALESCE((SELECT revision FROM departments WHERE code = \(department)), 0) AS revision, now() AS now"
    }

    public func row(arrivalID: Int, includingDischarged: Bool) async throws -> WorklistRow? {
        try await client.withConnection { connection in
            guard let row = try await connection.firstRow(
                boardQuery(arrivalID: arrivalID, includingDischarged: includingDischarged), logger: logger) else {
                return nil
            }
            return try boardRow(row, now: try row.value("now"))
        }
    }

    /// Board rows in board order: a department's, or one row when `arrivalID` is given (discharged too when asked).
    /// Beside each row: the assessment the clinician decided on (for the advisory), the open model job, and the
    /// model lanes alive now.
    private func boardQuery(department: String? = nil, arrivalID: Int? = nil, includingDischarged: Bool = false)
        -> PostgresQuery
    {
        """
        SELECT w.arrival_id, w.assessment_id, a.department, a.patient_ref, a.payload::text AS payload,
               a.intake_flags::text AS intake_flags, a.received_at, w.proposed_level, w.effective_level,
               w.status, w.version, w.decided_by, w.decided_role, w.decided_at, w.review_level,
               COALESCE(w.decided_at, w.assessed_at) AS clock_start, s.findings::text AS findings,
               s.explanation, s.phase, s.model ->> 'status' AS model_status,
               (s.model -> 'distribution')::text AS model_distribution, d.esi_level AS decided_on_level,
               j.state AS job_state, j.attempts AS job_attempts, j.last_error AS job_error, j.stage AS job_stage,
               (s.model -> 'images')::text AS model_images,
               (SELECT count(*) FROM arrival_images i WHERE i.arrival_id = w.arrival_id) AS image_count,
               lanes.available AS lanes_available, lanes.alive AS lanes_alive, lanes.reason AS lanes_reason,
               now() AS now
        FROM worklist w
        JOIN arrivals a ON a.id = w.arrival_id
        JOIN assessments s ON s.id = w.assessment_id
        LEFT JOIN assessments d ON d.id = w.decided_assessment_id AND w.status IN ('confirmed', 'overridden')
        LEFT JOIN model_jobs j ON j.arrival_id = w.arrival_id AND j.scoring_round = s.scoring_round
                               AND j.state IN ('queued', 'processing')
        CROSS JOIN (SELECT count(*) FILTER (WHERE available) AS available, count(*) AS alive,
                           min(reason) FILTER (WHERE NOT available) AS reason
                    FROM model_lanes
                    WHERE heartbeat_at > now() - make_interval(secs => \(Self.modelLaneLifetime.seconds))) lanes
        WHERE (w.status <> 'discharged' OR \(includingDischarged))
          AND (\(arrivalID)::int8 IS NULL OR w.arrival_id = \(arrivalID))
          AND (\(department)::text IS NULL OR a.department = \(department))
        ORDER BY w.effective_level, a.received_at, w.arrival_id
        """
    }

    private func boardRow(_ row: PostgresRandomAccessRow, now: Date) throws -> WorklistRow {
        let presentation = try row.json("payload", as: ClinicalPresentation.self)
        let proposedLevel = try ESILevel.column(row, "proposed_level")
        let effectiveLevel = try ESILevel.column(row, "effective_level")
        let receivedAt: Date = try row.value("received_at")
        let clockStart: Date = try row.value("clock_start")
        guard let state = BoardState(rawValue: try row.value("status")) else {
            throw UnexpectedDatabaseState("unknown board state")
        }
        let decidedOn = try ESILevel.optionalColumn(row, "decided_on_level")
        // The model's distribution is read only where an advisory quotes it.
        let distribution = decidedOn == nil ? nil : try row.value("model_distribution", as: String?.self).map {
            try JSONDecoder().decode(LevelDistribution.self, from: Data($0.utf8))
        }
        let modelStatus = try row.value("model_status", as: String?.self).flatMap(ModelAssessment.Status.init(rawValue:))
        let job: ModelJobProgress? = try row.value("job_state", as: String?.self).map { _ in
            ModelJobProgress(attempts: try row.value("job_attempts"), lastError: try row.value("job_error"),
                             readsImages: try row.value("job_stage", as: String.self) == ModelJob.Stage.images.rawValue)
        }
        let modelImages = try row.value("model_images", as: String?.self).map {
            try JSONDecoder().decode([ImageAnalysis].self, from: Data($0.utf8))
        }
        let lanes = ModelLanes(available: try row.value("lanes_available"), alive: try row.value("lanes_alive"),
                               reason: try row.value("lanes_reason"))
        let modelView = BoardModelView(assessmentStatus: modelStatus, job: job, lanes: lanes)
        let advisory = BoardAdvisory.text(proposed: proposedLevel, effective: effectiveLevel, decidedOn: decidedOn,
                                          phase: try row.value("phase"), distribution: distribution)
        return WorklistRow(
            arrivalID: try row.value("arrival_id"), assessmentID: try row.value("assessment_id"),
            department: try row.value("department"), patientRef: try row.value("patient_ref"), age: presentation.age, sex: presentation.sex,
            chiefComplaint: presentation.chiefComplaint, arrivalMode: presentation.arrivalMode,
            proposedLevel: proposedLevel, effectiveLevel: effectiveLevel, state: state,
            receivedAt: receivedAt, minutesWaiting: max(0, Int(now.timeIntervalSince(receivedAt) / 60)),
            topFindings: Array(try row.json("findings", as: [Finding].self).prefix(configuration.topFindings)),
            intakeFlags: try row.json("intake_flags"),
            reassessmentDue: clockStart.addingTimeInterval(configuration.reassessment.interval(for: effectiveLevel)),
            version: try row.value("version"), decidedBy: try row.value("decided_by"),
            decidedRole: try row.value("decided_role"), decidedAt: try row.value("decided_at"),
            explanation: try row.value("explanation"), modelStatus: modelView.status, modelNote: modelView.note,
            advisory: advisory, reviewLevel: try ESILevel.optionalColumn(row, "review_level"),
            imagesNote: AssessmentDetail.imagesNote(count: try row.value("image_count"), images: modelImages))
    }

    public func boardCensus() async throws -> [BoardCensus] {
        let states = BoardState.allCases.filter { $0 != .discharged }
        return try await client.withConnection { connection in
            try await connection.rows("""
                SELECT d.code, s.status, count(w.arrival_id) AS patients
                FROM departments d
                CROSS JOIN unnest(\(states.map(\.rawValue))::text[]) AS s(status)
                LEFT JOIN (worklist w JOIN arrivals a ON a.id = w.arrival_id)
                       ON a.department = d.code AND w.status = s.status
                GROUP BY d.code, s.status
                """, logger: logger)
        }.map { row in
            guard let state = BoardState(rawValue: try row.value("status")) else {
                throw UnexpectedDatabaseState("unknown board state")
            }
            return BoardCensus(department: try row.value("code"), state: state, patients: try row.value("patients"))
        }
    }

    public func revision(department: String) async throws -> Int {
        guard let row = try await client.withConnection({ connection in
            try await connection.firstRow(revisionQuery(department), logger: logger)
        }) else { throw UnexpectedDatabaseState("the revision query returned no row") }
        return try row.value("revision")
    }

    public func revisions() async throws -> [String: Int] {
        var revisions: [String: Int] = [:]
        for row in try await client.withConnection({ connection in
            try await connection.rows("SELECT code, revision FROM departments", logger: logger)
        }) {
            revisions[try row.value("code")] = try row.value("revision")
        }
        return revisions
    }

    public func waitForChange(department: String, after revision: Int, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = try await self.revision(department: department)
            if current > revision || ContinuousClock.now >= deadline { return current }
            try await Task.sleep(for: min(configuration.revisionPollInterval, deadline - ContinuousClock.now))
        }
    }

    public func decide(_ decision: Decision, arrivalID: Int, expectedVersion: Int, context: AuditContext)
        async throws -> DecisionReceipt
    {
        let reason = try Self.validatedReason(decision)
        return try await client.transaction(logger: logger) { connection in
            guard let row = try await connection.firstRow("""
                SELECT assessment_id, proposed_level, effective_level, status, version
                FROM worklist WHERE arrival_id = \(arrivalID) FOR UPDATE
                """, logger: logger), try row.value("status", as: String.self) != BoardState.discharged.rawValue
            else { throw DecisionError.notFound }
            let version: Int = try row.value("version")
            guard version == expectedVersion else { throw DecisionError.versionMismatch(current: version) }
            let proposed = try ESILevel.column(row, "proposed_level")
            let before = BoardSide(state: try row.value("status"), level: try ESILevel.column(row, "effective_level"),
                                   version: version)
            let after = try Self.outcome(of: decision, proposed: proposed, current: before, newVersion: version + 1)
            try await connection.send("""
                UPDATE worklist
                SET effective_level = \(after.level.rawValue), status = \(after.state), decided_by = \(context.actor),
                    decided_role = \(context.role), decided_at = now(), version = \(after.version),
                    decided_assessment_id = assessment_id, review_level = NULL
                WHERE arrival_id = \(arrivalID)
                """, logger: logger)
            guard let inserted = try await connection.firstRow("""
                INSERT INTO decisions (arrival_id, assessment_id, kind, level, reason, actor, role, request_id,
                                       row_version)
                VALUES (\(arrivalID), \(try row.value("assessment_id", as: Int.self)), \(decision.kind),
                        \(Self.decidedLevel(decision, proposed: proposed)), \(reason), \(context.actor),
                        \(context.role), \(context.requestID), \(after.version))
                RETURNING id
                """, logger: logger) else { throw UnexpectedDatabaseState("decision insert returned nothing") }
            let decisionID: Int = try inserted.value("id")
            let revisions = try await bumpRevision(arrivalIDs: [arrivalID], on: connection)
            guard let revision = revisions.values.first else { throw UnexpectedDatabaseState("no department revision") }
            var afterJSON = after.json
            afterJSON["decision_id"] = .int(decisionID)
            if let reason { afterJSON["reason"] = .string(reason) }
            try await AuditLedger.append(.arrival(arrivalID, context, action: "decision.\(decision.kind)",
                                                  before: .object(before.json), after: .object(afterJSON)),
                                         on: connection, logger: logger)
            guard let state = BoardState(rawValue: after.state) else { throw UnexpectedDatabaseState("bad state") }
            return DecisionReceipt(decisionID: decisionID, arrivalID: arrivalID, state: state,
                                   effectiveLevel: after.level, version: after.version, revision: revision)
        }
    }

    /// The trimmed reason; an override without one is refused before touching the database.
    static func validatedReason(_ decision: Decision) throws -> String? {
        switch decision {
        case .confirm:
            return nil
        case .override(_, let reason):
            let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw DecisionError.invalid("an override needs a reason") }
            return trimmed
        case .discharge(let reason):
            let trimmed = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed?.isEmpty == false ? trimmed : nil
        }
    }

    /// The level stored on the decision row: the confirmed or chosen level (none for a discharge).
    private static func decidedLevel(_ decision: Decision, proposed: ESILevel) -> Int? {
        switch decision {
        case .confirm: proposed.rawValue
        case .override(let level, _): level.rawValue
        case .discharge: nil
        }
    }

    /// The board side of a row after `decision`.
    static func outcome(of decision: Decision, proposed: ESILevel, current: BoardSide, newVersion: Int) throws
        -> BoardSide
    {
        switch decision {
        case .confirm:
            return BoardSide(state: BoardState.confirmed.rawValue, level: proposed, version: newVersion)
        case .override(let level, _):
            guard level != proposed else {
                throw DecisionError.invalid("an override must change the proposed level (\(proposed)); confirm instead")
            }
            return BoardSide(state: BoardState.overridden.rawValue, level: level, version: newVersion)
        case .discharge:
            return BoardSide(state: BoardState.discharged.rawValue, level: current.level, version: newVersion)
        }
    }
}

extension PostgresTriageStore {
    /// Locks the patient's board row and reads its levels; nil when the patient is not on the board yet.
    /// Call inside the transaction that holds the arrival's row lock (lock order: arrival, then board row).
    func lockedBoardLevels(arrivalID: Int, on connection: PostgresConnection) async throws -> BoardLevels? {
        try await lockedBoardLevels(arrivalIDs: [arrivalID], on: connection)[arrivalID]
    }

    /// The board rows of `arrivalIDs` that exist, locked in id order.
    func lockedBoardLevels(arrivalIDs: [Int], on connection: PostgresConnection) async throws -> [Int: BoardLevels] {
        let rows = try await connection.rows("""
            SELECT arrival_id, status, proposed_level, effective_level, review_level FROM worklist
            WHERE arrival_id = ANY(\(arrivalIDs)) ORDER BY arrival_id FOR UPDATE
            """, logger: logger)
        var levels: [Int: BoardLevels] = [:]
        for row in rows {
            guard let state = BoardState(rawValue: try row.value("status")) else {
                throw UnexpectedDatabaseState("unknown board state")
            }
            levels[try row.value("arrival_id")] = BoardLevels(
                state: state, proposedLevel: try ESILevel.column(row, "proposed_level"),
                effectiveLevel: try ESILevel.column(row, "effective_level"),
                reviewLevel: try ESILevel.optionalColumn(row, "review_level"))
        }
        return levels
    }

    /// Puts a new assessment on the patient's board row, whose locked levels are `before`, under
    /// `BoardLevels`' rule (a clinician's decision stands). Returns the row's levels after; a discharged
    /// row is left as it is.
    func putOnBoard(arrivalID: Int, assessmentID: Int, level: ESILevel, before: BoardLevels?,
                    on connection: PostgresConnection) async throws -> BoardLevels {
        try await putOnBoard([BoardPlacement(arrivalID: arrivalID, assessmentID: assessmentID, level: level,
                                             before: before)], on: connection)[0]
    }

    /// `putOnBoard` for many patients: one statement for the new rows and one for the rows already on the board.
    func putOnBoard(_ placements: [BoardPlacement], on connection: PostgresConnection) async throws -> [BoardLevels] {
        let afters = placements.map { placement in
            guard let before = placement.before else { return BoardLevels.firstAssessment(placement.level) }
            // A patient discharged while this round was being scored stays off the board.
            return before.state == .discharged ? before : before.receiving(placement.level)
        }
        let new = placements.filter { $0.before == nil }
        if !new.isEmpty {
            try await connection.send("""
                INSERT INTO worklist (arrival_id, assessment_id, proposed_level, effective_level, status, assessed_at)
                SELECT p.arrival_id, p.assessment_id, p.level, p.level, 'awaiting_confirmation', now()
                FROM unnest(\(new.map(\.arrivalID))::bigint[], \(new.map(\.assessmentID))::bigint[],
                            \(new.map { $0.level.rawValue })::smallint[]) AS p(arrival_id, assessment_id, level)
                """, logger: logger)
        }
        let moved = zip(placements, afters).compactMap { placement, after in
            placement.before.flatMap { $0.state == .discharged ? nil : BoardMove(placement: placement, before: $0, after: after) }
        }
        if !moved.isEmpty {
            // 0 stands for no review level: the array carries no NULLs.
            try await connection.send("""
                UPDATE worklist w
                SET assessment_id = m.assessment_id, proposed_level = m.proposed_level,
                    effective_level = m.effective_level, review_level = NULLIF(m.review_level, 0),
                    assessed_at = now(), version = w.version + m.version_step
                FROM unnest(\(moved.map { $0.placement.arrivalID })::bigint[],
                            \(moved.map { $0.placement.assessmentID })::bigint[],
                            \(moved.map { $0.after.proposedLevel.rawValue })::smallint[],
                            \(moved.map { $0.after.effectiveLevel.rawValue })::smallint[],
                            \(moved.map { $0.after.reviewLevel?.rawValue ?? 0 })::smallint[],
                            \(moved.map { $0.after.needsNewVersion(since: $0.before) ? 1 : 0 })::integer[])
                     AS m(arrival_id, assessment_id, proposed_level, effective_level, review_level, version_step)
                WHERE w.arrival_id = m.arrival_id
                """, logger: logger)
        }
        return afters
    }
}

/// A new assessment for a patient whose board row, locked, has the levels `before` (nil: not on the board yet).
struct BoardPlacement {
    var arrivalID: Int
    var assessmentID: Int
    var level: ESILevel
    var before: BoardLevels?
}

/// A board row that takes a new assessment: its levels before and after.
private struct BoardMove {
    var placement: BoardPlacement
    var before: BoardLevels
    var after: BoardLevels
}

extension BoardLevels {
    /// What the audit records of a board change.
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "state": .string(state.rawValue), "proposed_level": .int(proposedLevel.rawValue),
            "effective_level": .int(effectiveLevel.rawValue),
        ]
        if let reviewLevel { object["review_level"] = .int(reviewLevel.rawValue) }
        return .object(object)
    }
}

/// The decision-relevant part of a board row, as the audit records it before and after.
struct BoardSide {
    var state: String
    var level: ESILevel
    var version: Int

    var json: [String: JSONValue] {
        ["state": .string(state), "effective_level": .int(level.rawValue), "version": .int(version)]
    }
}

extension ESILevel {
    /// Reads an ESI level column.
    static func column(_ row: PostgresRandomAccessRow, _ column: String) throws -> ESILevel {
        guard let level = try optionalColumn(row, column) else { throw UnexpectedDatabaseState("\(column) is null") }
        return level
    }

    /// Reads a nullable ESI level column.
    static func optionalColumn(_ row: PostgresRandomAccessRow, _ column: String) throws -> ESILevel? {
        guard let raw = try row.value(column, as: Int?.self) else { return nil }
        guard let level = ESILevel(rawValue: raw) else { throw UnexpectedDatabaseState("\(column) out of range") }
        return level
    }
}
