import Foundation
import Logging
import PostgresNIO
import TriageCore

extension PostgresTriageStore {
    public func enqueue(_ submission: ArrivalSubmission, flags: [Finding], context: AuditContext) async throws
        -> EnqueueResult
    {
        try await enqueue(batch: [ArrivalEnqueue(submission: submission, flags: flags, context: context)])[0].get()
    }

    public func enqueue(batch: [ArrivalEnqueue]) async -> [Result<EnqueueResult, any Error>] {
        await inOneTransaction(batch) { items, connection in
            try await insert(items, on: connection).map { .success($0) }
        }
    }

    /// Writes a batch in one transaction, each item's result in order. When the database refuses the batch for one
    /// item's sake (a conflicting re-send, an oversized image, a round already assessed), each item is written in a
    /// transaction of its own, so only that one fails; an unreachable database fails them all.
    private func inOneTransaction<Item: Sendable, Output: Sendable>(
        _ batch: [Item],
        _ write: @escaping @Sendable ([Item], PostgresConnection) async throws -> [Result<Output, any Error>]
    ) async -> [Result<Output, any Error>] {
        func alone(_ item: Item) async -> [Result<Output, any Error>] {
            do {
                return try await client.transaction(logger: logger) { try await write([item], $0) }
            } catch {
                return [.failure(error)]
            }
        }
        if batch.count > 1 {
            do {
                return try await client.transaction(logger: logger) { try await write(batch, $0) }
            } catch where DatabaseFailure.isUnavailable(error) {
                return batch.map { _ in .failure(error) }
            } catch {}
        }
        var results: [Result<Output, any Error>] = []
        for item in batch { results += await alone(item) }
        return results
    }

    private func checkImageSizes(_ submission: ArrivalSubmission) throws {
        for (index, image) in submission.images.enumerated() where image.data.count > configuration.maxImageBytes {
            throw QueueError.invalidInput(
                "images[\(index)]: \(image.data.count) bytes exceeds the limit of \(configuration.maxImageBytes)")
        }
    }

    /// The arrivals, their images and their `arrival.accepted` rows, in order; for a re-delivery, the arrival it
    /// already is. The rows go in as one statement and the audit rows as one append, so a batch costs a few
    /// round trips whatever its size.
    private func insert(_ items: [ArrivalEnqueue], on connection: PostgresConnection) async throws -> [EnqueueResult] {
        for item in items { try checkImageSizes(item.submission) }
        let rows = try jsonText(items.map(ArrivalRowContent.init))
        let inserted = try await connection.rows("""
            INSERT INTO arrivals (source, external_id, patient_ref, received_at, department, payload, intake_flags)
            SELECT r.source, r.external_id, r.patient_ref,
                   COALESCE(timestamptz 'epoch' + r.received_at_us * interval '1 microsecond', now()),
                   r.department, r.payload, r.intake_flags
            FROM ROWS FROM (jsonb_to_recordset(\(rows)::jsonb) AS (source text, external_id text, patient_ref text,
                            received_at_us bigint, department text, payload jsonb, intake_flags jsonb)) WITH ORDINALITY
                 AS r(source, external_id, patient_ref, received_at_us, department, payload, intake_flags, position)
            ORDER BY r.position
            ON CONFLICT (source, external_id) DO NOTHING
            RETURNING id, source, external_id
            """, logger: logger)
        var newIDs: [ArrivalKey: Int] = [:]
        for row in inserted {
            newIDs[ArrivalKey(source: try row.value("source"), externalID: try row.value("external_id"))] =
                try row.value("id")
        }
        var results: [EnqueueResult] = []
        var acceptances: [(arrivalID: Int, record: AuditRecord)] = []
        for item in items {
            let submission = item.submission
            // A key sent twice in one batch is inserted once: the second is a re-delivery of the first.
            guard let id = newIDs.removeValue(forKey: ArrivalKey(source: submission.source,
                                                                 externalID: submission.externalID)) else {
                results.append(try await redelivery(of: submission, on: connection))
                continue
            }
            for (index, image) in submission.images.enumerated() {
                try await connection.send("""
                    INSERT INTO arrival_images (arrival_id, position, content_type, data, sha256, byte_size)
                    VALUES (\(id), \(index), \(image.contentType), \(image.data),
                            encode(sha256(\(image.data)), 'hex'), \(image.data.count))
                    """, logger: logger)
            }
            acceptances.append((id, .arrival(id, item.context, action: "arrival.accepted", after: .object([
                "source": .string(submission.source),
                "department": .string(submission.storedDepartment),
                "images": .int(submission.images.count),
                "intake_flags": .array(item.flags.map { .string($0.rule) }),
            ]))))
            results.append(EnqueueResult(arrivalID: id, isDuplicate: false))
        }
        try await recordAcceptances(acceptances, on: connection)
        return results
    }

    /// A re-delivery is the same message: the same presentation, patient and images. Returns the arrival it is,
    /// or throws `conflictingResend`.
    private func redelivery(of submission: ArrivalSubmission, on connection: PostgresConnection) async throws
        -> EnqueueResult
    {
        let payload = try jsonText(submission.presentation)
        let hashes = submission.images.map(\.sha256)
        guard let existing = try await connection.firstRow("""
            SELECT a.id, a.payload = \(payload)::jsonb AND a.patient_ref IS NOT DISTINCT FROM \(submission.patientRef)
                   AND a.department = \(submission.storedDepartment)
                   AND COALESCE((SELECT array_agg(i.sha256 ORDER BY i.position) FROM arrival_images i
                                 WHERE i.arrival_id = a.id), '{}') = \(hashes)::text[] AS same
            FROM arrivals a WHERE a.source = \(submission.source) AND a.external_id = \(submission.externalID)
            """, logger: logger) else { throw UnexpectedDatabaseState("conflicting arrival vanished") }
        let id: Int = try existing.value("id")
        guard try existing.value("same", as: Bool.self) else { throw QueueError.conflictingResend(arrivalID: id) }
        return EnqueueResult(arrivalID: id, isDuplicate: true)
    }

    /// Appends each arrival's acceptance row and links it from the arrival.
    private func recordAcceptances(_ acceptances: [(arrivalID: Int, record: AuditRecord)],
                                   on connection: PostgresConnection) async throws {
        guard !acceptances.isEmpty else { return }
        let seqs = try await AuditLedger.append(acceptances.map(\.record), on: connection, logger: logger)
        try await connection.send("""
            UPDATE arrivals a SET accepted_seq = u.seq
            FROM unnest(\(acceptances.map(\.arrivalID))::bigint[], \(seqs)::bigint[]) AS u(id, seq)
            WHERE a.id = u.id
            """, logger: logger)
    }

    public func claim(limit: Int, lease: Duration, maxAttempts: Int) async throws -> [ClaimedArrival] {
        try await client.transaction(logger: logger) { connection in
            try await deadLetterExpiredLeases(maxAttempts: maxAttempts, on: connection)
            let claimed = try await connection.rows("""
                WITH picked AS (
                    SELECT id FROM arrivals
                    WHERE (state = 'queued' AND next_attempt_at <= now())
                       OR (state = 'processing' AND lease_until < now())
                    ORDER BY id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE arrivals a
                SET state = 'processing', attempts = a.attempts + 1, lease_token = gen_random_uuid(),
                    lease_until = now() + make_interval(secs => \(lease.seconds)), updated_at = now()
                FROM picked WHERE a.id = picked.id
                RETURNING a.id, a.scoring_round, a.attempts, a.lease_token, a.source, a.external_id, a.department,
                          a.patient_ref, a.received_at, a.payload::text AS payload, a.inserted_by,
                          a.accepted_seq IS NULL AS unaudited
                """, logger: logger)
            // Rows a producer inserted with plain SQL get their acceptance audited now, by the role that inserted them.
            try await recordAcceptances(claimed.filter { try $0.value("unaudited", as: Bool.self) }.map { row in
                let id: Int = try row.value("id")
                let producer = AuditContext(actor: try row.value("inserted_by"), role: "sql")
                return (id, .arrival(id, producer, action: "arrival.accepted", after: .object([
                    "source": .string(try row.value("source")), "via": .string("sql"),
                ])))
            }, on: connection)
            let ids: [Int] = try claimed.map { try $0.value("id") }
            let images = try await imagesByArrival(ids, on: connection)
            return try claimed.map { row in
                let id: Int = try row.value("id")
                return ClaimedArrival(
                    arrivalID: id, scoringRound: try row.value("scoring_round"), attempt: try row.value("attempts"),
                    leaseToken: try row.value("lease_token"), source: try row.value("source"),
                    externalID: try row.value("external_id"), patientRef: try row.value("patient_ref"),
                    receivedAt: try row.value("received_at"), department: try row.value("department"), payloadJSON: try row.value("payload"),
                    images: images[id] ?? [])
            }.sorted { $0.arrivalID < $1.arrivalID }
        }
    }

    /// A worker that died on its last allowed attempt leaves a lease that expires: that arrival goes to
    /// the dead letter instead of being claimed again forever (a poison message).
    private func deadLetterExpiredLeases(maxAttempts: Int, on connection: PostgresConnection) async throws {
        let expired = try await connection.rows("""
            UPDATE arrivals
            SET state = 'failed', lease_token = NULL, lease_until = NULL, updated_at = now(),
                last_error = 'lease expired on attempt ' || attempts || ' of ' || \(maxAttempts)
            WHERE id IN (SELECT id FROM arrivals
                         WHERE state = 'processing' AND lease_until < now() AND attempts >= \(maxAttempts)
                         FOR UPDATE SKIP LOCKED)
            RETURNING id, attempts
            """, logger: logger)
        for row in expired {
            try await AuditLedger.append(.arrival(try row.value("id"), .worker, action: "arrival.failed", after: .object([
                "attempts": .int(try row.value("attempts")), "cause": .string("lease expired"),
            ])), on: connection, logger: logger)
        }
    }

    /// The images of each arrival in `ids`, in the order they were sent.
    func imagesByArrival(_ ids: [Int], on connection: PostgresConnection) async throws
        -> [Int: [ImageSubmission]]
    {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.rows("""
            SELECT arrival_id, content_type, data FROM arrival_images
            WHERE arrival_id = ANY(\(ids)) ORDER BY arrival_id, position
            """, logger: logger)
        var images: [Int: [ImageSubmission]] = [:]
        for row in rows {
            images[try row.value("arrival_id"), default: []].append(
                ImageSubmission(contentType: try row.value("content_type"), data: try row.value("data")))
        }
        return images
    }

    /// Locks the claimed arrival if the claim still owns it; returns its attempts, or throws `claimLost`.
    private func lockClaim(_ claim: ClaimedArrival, on connection: PostgresConnection) async throws -> Int {
        guard let row = try await connection.firstRow("""
            SELECT attempts FROM arrivals
            WHERE id = \(claim.arrivalID) AND state = 'processing' AND lease_token = \(claim.leaseToken)
            FOR UPDATE
            """, logger: logger) else { throw QueueError.claimLost(arrivalID: claim.arrivalID) }
        return try row.value("attempts")
    }

    public func complete(_ batch: [ScoredArrival]) async -> [Result<Int, any Error>] {
        await inOneTransaction(batch) { items, connection in try await commit(items, on: connection) }
    }

    /// Writes each scoring whose claim still owns its arrival: the assessments, the board rows and the model
    /// jobs, a statement each for the whole batch, and the arrivals → done; then one revision bump and the audit
    /// rows in one append, so the board's revision row and the audit chain are held once per batch, at its end.
    /// A lost claim writes nothing.
    private func commit(_ batch: [ScoredArrival], on connection: PostgresConnection) async throws
        -> [Result<Int, any Error>]
    {
        let owned = try await lockOwnedClaims(batch.map(\.claim), on: connection)
        let boards = try await lockedBoardLevels(arrivalIDs: batch.map(\.claim.arrivalID), on: connection)
        let written = batch.filter { owned.contains($0.claim.arrivalID) }
        guard !written.isEmpty else { return batch.map { .failure(QueueError.claimLost(arrivalID: $0.claim.arrivalID)) } }
        let ids = try await AssessmentRow.insert(written.map {
            AssessmentRow(arrivalID: $0.claim.arrivalID, scoringRound: $0.claim.scoringRound, attempt: $0.claim.attempt,
                          phase: "rules", presentation: $0.presentation, draft: $0.draft)
        }, on: connection, logger: logger)
        let assessmentIDs = try ids.map { id in
            guard let id else { throw UnexpectedDatabaseState("this scoring round already has an assessment") }
            return id
        }
        let afters = try await putOnBoard(zip(written, assessmentIDs).map { item, assessmentID in
            BoardPlacement(arrivalID: item.claim.arrivalID, assessmentID: assessmentID, level: item.draft.proposedLevel,
                           before: boards[item.claim.arrivalID])
        }, on: connection)
        try await enqueueModelJobs(zip(written, assessmentIDs).compactMap { item, assessmentID in
            item.draft.model?.status == .pending
                ? (item.claim.arrivalID, item.claim.scoringRound, assessmentID) : nil
        }, on: connection)
        try await connection.send("""
            UPDATE arrivals
            SET state = 'done', lease_token = NULL, lease_until = NULL, last_error = NULL, updated_at = now()
            WHERE id = ANY(\(Array(owned)))
            """, logger: logger)
        try await bumpRevision(arrivalIDs: written.map(\.claim.arrivalID), on: connection)
        try await AuditLedger.append(written.indices.map { index in
            let (claim, draft) = (written[index].claim, written[index].draft)
            return .arrival(claim.arrivalID, .worker, action: "assessment.written", after: .object([
                "assessment_id": .int(assessmentIDs[index]),
                "scoring_round": .int(claim.scoringRound),
                "attempt": .int(claim.attempt),
                "proposed_level": .int(draft.proposedLevel.rawValue),
                "rules_level": .int(draft.rulesLevel.rawValue),
                "scorer": .string("\(draft.scorer.name) \(draft.scorer.version)"),
                "rules_version": .string(draft.rulesVersion),
                "input_sha256": .string(draft.inputSHA256),
                "board": afters[index].json,
            ]))
        }, on: connection, logger: logger)
        let idsByArrival = Dictionary(uniqueKeysWithValues: zip(written.map(\.claim.arrivalID), assessmentIDs))
        return batch.map { item in
            idsByArrival[item.claim.arrivalID].map { .success($0) }
                ?? .failure(QueueError.claimLost(arrivalID: item.claim.arrivalID))
        }
    }

    /// Locks, in id order, the arrivals whose claims still own them; returns their ids.
    private func lockOwnedClaims(_ claims: [ClaimedArrival], on connection: PostgresConnection) async throws
        -> Set<Int>
    {
        let rows = try await connection.rows("""
            SELECT a.id FROM arrivals a
            JOIN unnest(\(claims.map(\.arrivalID))::bigint[], \(claims.map(\.leaseToken))::uuid[]) AS c(id, token)
                 ON a.id = c.id AND a.lease_token = c.token
            WHERE a.state = 'processing'
            ORDER BY a.id
            FOR UPDATE OF a
            """, logger: logger)
        return Set(try rows.map { try $0.value("id", as: Int.self) })
    }

    public func fail(_ claim: ClaimedArrival, reason: String, policy: RetryPolicy) async throws -> FailureOutcome {
        try await client.transaction(logger: logger) { connection in
            let attempts = try await lockClaim(claim, on: connection)
            guard attempts < policy.maxAttempts else {
                try await moveToDeadLetter(claim, reason: reason, on: connection)
                return .deadLettered
            }
            let delay = policy.delay(afterAttempt: attempts, jitter: Double.random(in: 0...1))
            try await connection.send("""
                UPDATE arrivals
                SET state = 'queued', lease_token = NULL, lease_until = NULL, last_error = \(reason),
                    next_attempt_at = now() + make_interval(secs => \(delay.seconds)), updated_at = now()
                WHERE id = \(claim.arrivalID)
                """, logger: logger)
            return .retryScheduled(after: delay)
        }
    }

    public func deadLetter(_ claim: ClaimedArrival, reason: String) async throws {
        try await client.transaction(logger: logger) { connection in
            _ = try await lockClaim(claim, on: connection)
            try await moveToDeadLetter(claim, reason: reason, on: connection)
        }
    }

    private func moveToDeadLetter(_ claim: ClaimedArrival, reason: String, on connection: PostgresConnection)
        async throws
    {
        try await connection.send("""
            UPDATE arrivals
            SET state = 'failed', lease_token = NULL, lease_until = NULL, last_error = \(reason), updated_at = now()
            WHERE id = \(claim.arrivalID)
            """, logger: logger)
        try await AuditLedger.append(.arrival(claim.arrivalID, .worker, action: "arrival.failed", after: .object([
            "attempts": .int(claim.attempt), "scoring_round": .int(claim.scoringRound), "error": .string(reason),
        ])), on: connection, logger: logger)
    }

    public func release(_ claim: ClaimedArrival) async throws {
        try await client.send("""
            UPDATE arrivals
            SET state = 'queued', attempts = attempts - 1, lease_token = NULL, lease_until = NULL,
                next_attempt_at = now(), updated_at = now()
            WHERE id = \(claim.arrivalID) AND state = 'processing' AND lease_token = \(claim.leaseToken)
            """, logger: logger)
    }

    public func failedArrivals(limit: Int, departments: Set<String>?) async throws -> [FailedArrival] {
        try await client.withConnection { connection in
            try await connection.rows("""
                SELECT id, department, source, scoring_round, attempts, COALESCE(last_error, '') AS last_error,
                       updated_at
                FROM arrivals
                WHERE state = 'failed'
                  AND (\(departments.map { Array($0) })::text[] IS NULL OR department = ANY(\(departments.map { Array($0) })))
                ORDER BY updated_at, id LIMIT \(limit)
                """, logger: logger)
        }.map { row in
            FailedArrival(arrivalID: try row.value("id"), department: try row.value("department"), source: try row.value("source"),
                          scoringRound: try row.value("scoring_round"), attempts: try row.value("attempts"),
                          lastError: try row.value("last_error"), failedAt: try row.value("updated_at"))
        }
    }

    public func requeue(arrivalID: Int, context: AuditContext) async throws {
        try await client.transaction(logger: logger) { connection in
            let state = try await lockedState(arrivalID, on: connection)
            guard state == .failed else { throw QueueError.notFailed(arrivalID: arrivalID, state: state) }
            try await connection.send("""
                UPDATE arrivals
                SET state = 'queued', attempts = 0, next_attempt_at = now(), last_error = NULL, updated_at = now()
                WHERE id = \(arrivalID)
                """, logger: logger)
            try await AuditLedger.append(.arrival(arrivalID, context, action: "arrival.requeued",
                                                  before: .object(["state": .string("failed")]),
                                                  after: .object(["state": .string("queued")])),
                                         on: connection, logger: logger)
        }
    }

    private func lockedState(_ arrivalID: Int, on connection: PostgresConnection) async throws -> ArrivalQueueState {
        guard let row = try await connection.firstRow(
            "SELECT state FROM arrivals WHERE id = \(arrivalID) FOR UPDATE", logger: logger)
        else { throw QueueError.arrivalNotFound(arrivalID: arrivalID) }
        guard let state = ArrivalQueueState(rawValue: try row.value("state")) else {
            throw UnexpectedDatabaseState("unknown arrival state")
        }
        return state
    }

    public func recordVitals(arrivalID: Int, vitals: Vitals, context: AuditContext) async throws {
        let vitalsJSON = try jsonText(vitals)
        try await client.transaction(logger: logger) { connection in
            _ = try await lockedState(arrivalID, on: connection)
            let board = try await connection.firstRow(
                "SELECT status FROM worklist WHERE arrival_id = \(arrivalID)", logger: logger)
            if try board?.value("status", as: String.self) == BoardState.discharged.rawValue {
                throw QueueError.notOnBoard(arrivalID: arrivalID)
            }
            if let requestID = context.requestID, try await connection.firstRow("""
                SELECT 1 FROM audit_log
                WHERE entity = 'arrival' AND entity_id = \(String(arrivalID)) AND action = 'vitals.recorded'
                      AND request_id = \(requestID)
                LIMIT 1
                """, logger: logger) != nil {
                return
            }
            // A new scoring round: a worker still scoring the old round loses its claim (token cleared).
            guard let row = try await connection.firstRow("""
                UPDATE arrivals
                SET payload = jsonb_set(payload, '{vitals}', \(vitalsJSON)::jsonb),
                    scoring_round = scoring_round + 1, state = 'queued', attempts = 0, lease_token = NULL,
                    lease_until = NULL, next_attempt_at = now(), last_error = NULL, updated_at = now()
                WHERE id = \(arrivalID)
                RETURNING scoring_round
                """, logger: logger) else { throw QueueError.arrivalNotFound(arrivalID: arrivalID) }
            let round: Int = try row.value("scoring_round")
            try await connection.send("""
                INSERT INTO vitals_observations (arrival_id, scoring_round, vitals, recorded_by)
                VALUES (\(arrivalID), \(round), \(vitalsJSON)::jsonb, \(context.actor))
                """, logger: logger)
            try await connection.send("SELECT pg_notify('edtriage_arrivals', '')", logger: logger)
            try await AuditLedger.append(.arrival(arrivalID, context, action: "vitals.recorded",
                                                  after: .object(["scoring_round": .int(round)])),
                                         on: connection, logger: logger)
        }
    }

    public func arrival(source: String, externalID: String) async throws
        -> (id: Int, presentation: ClinicalPresentation)?
    {
        guard let row = try await client.withConnection({ connection in
            try await connection.firstRow("""
                SELECT id, payload::text AS payload FROM arrivals
                WHERE source = \(source) AND external_id = \(externalID)
                """, logger: logger)
        }) else { return nil }
        return (try row.value("id"), try row.json("payload", as: ClinicalPresentation.self))
    }

    public func department(ofArrival arrivalID: Int) async throws -> String? {
        try await client.withConnection { connection in
            try await connection.firstRow("SELECT department FROM arrivals WHERE id = \(arrivalID)", logger: logger)
        }.map { try $0.value("department") }
    }

    public func arrivalStatus(arrivalID: Int) async throws -> ArrivalStatus? {
        guard let row = try await client.withConnection({ connection in
            try await connection.firstRow("""
                SELECT a.id, a.state, a.scoring_round, a.attempts, a.last_error,
                       (SELECT s.id FROM assessments s WHERE s.arrival_id = a.id
                        ORDER BY s.scoring_round DESC LIMIT 1) AS assessment_id
                FROM arrivals a WHERE a.id = \(arrivalID)
                """, logger: logger)
        }) else { return nil }
        guard let state = ArrivalQueueState(rawValue: try row.value("state")) else {
            throw UnexpectedDatabaseState("unknown arrival state")
        }
        return ArrivalStatus(arrivalID: try row.value("id"), state: state, scoringRound: try row.value("scoring_round"),
                             attempts: try row.value("attempts"), lastError: try row.value("last_error"),
                             assessmentID: try row.value("assessment_id"))
    }

    /// One count per state, each matching a partial index, so the growing set of done rows is never scanned.
    public func queueDepth() async throws -> QueueDepth {
        guard let row = try await client.withConnection({ connection in
            try await connection.firstRow("""
                SELECT (SELECT count(*) FROM arrivals WHERE state = 'queued') AS queued,
                       (SELECT count(*) FROM arrivals WHERE state = 'processing') AS processing,
                       (SELECT count(*) FROM arrivals WHERE state = 'failed') AS failed,
                       (SELECT count(*) FROM arrivals WHERE state = 'queued' AND next_attempt_at <= now()) AS ready
                """, logger: logger)
        }) else { throw UnexpectedDatabaseState("count returned no row") }
        return QueueDepth(queued: try row.value("queued"), processing: try row.value("processing"),
                          failed: try row.value("failed"), ready: try row.value("ready"))
    }
}

/// How a producer names an arrival: its id is unique per source.
private struct ArrivalKey: Hashable {
    var source: String
    var externalID: String
}

/// One arrival row as the batch insert reads it with `jsonb_to_recordset`.
private struct ArrivalRowContent: Encodable {
    var source: String
    var externalID: String
    var patientRef: String
    /// Microseconds since 1970: exact in PostgreSQL, where a JSON date string would be parsed by its rules.
    var receivedAtMicroseconds: Int64?
    var department: String
    var payload: ClinicalPresentation
    var intakeFlags: [Finding]

    init(_ item: ArrivalEnqueue) {
        source = item.submission.source
        externalID = item.submission.externalID
        patientRef = item.submission.patientRef
        receivedAtMicroseconds = item.submission.receivedAt.map { Int64(($0.timeIntervalSince1970 * 1e6).rounded()) }
        department = item.submission.storedDepartment
        payload = item.submission.presentation
        intakeFlags = item.flags
    }

    enum CodingKeys: String, CodingKey {
        case source, payload, department
        case externalID = "external_id", patientRef = "patient_ref", receivedAtMicroseconds = "received_at_us"
        case intakeFlags = "intake_flags"
    }
}
