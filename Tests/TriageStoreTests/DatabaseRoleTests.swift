import Foundation
import PostgresNIO
import Testing
import TriageStore
import TriageStoreTestSupport

/// Least privilege in the database, statement by statement: each role tries what it must be able to do and
/// what it must not, on a migrated database (the owner switches to the role with SET ROLE, so the role's own
/// privileges are what PostgreSQL checks).
@Suite("Database roles")
struct DatabaseRoleTests {
    static let arrival = """
        INSERT INTO arrivals (source, external_id, patient_ref, payload)
        VALUES ('adt', 'R1', 'MRN-ROLE', '{"chief_complaint": "cough"}') RETURNING id
        """

    /// Runs `statement` (one or more, separated by `;`) as `role` in a transaction that is rolled back; the
    /// SQLSTATE it failed with, or nil. Deferred constraints are checked at each statement, as a commit would.
    static func sqlState(of statement: String, as role: String, on database: TestDatabase) async throws -> String? {
        try await TestDatabase.withClient(database.ownerURL) { client in
            try await client.withConnection { connection in
                _ = try await connection.query("BEGIN", logger: TestDatabase.logger).collect()
                do {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL ROLE \(role)"), logger: TestDatabase.logger).collect()
                    _ = try await connection.query("SET CONSTRAINTS ALL IMMEDIATE", logger: TestDatabase.logger).collect()
                    for part in SQLScript.statements(statement) {
                        _ = try await connection.query(PostgresQuery(unsafeSQL: part), logger: TestDatabase.logger).collect()
                    }
                    _ = try await connection.query("ROLLBACK", logger: TestDatabase.logger).collect()
                    return nil
                } catch let error as PSQLError {
                    _ = try? await connection.query("ROLLBACK", logger: TestDatabase.logger).collect()
                    return error.serverInfo?[.sqlState] ?? "client error"
                }
            }
        }
    }

    static let insufficientPrivilege = "42501"
    static let checkViolation = "23514"

    /// Expects each statement, run as `role`, to fail with `sqlState`.
    static func expectRefused(_ statements: [String], as role: String, with sqlState: String = insufficientPrivilege,
                              on database: TestDatabase) async throws {
        for statement in statements {
            #expect(try await Self.sqlState(of: statement, as: role, on: database) == sqlState, "\(statement)")
        }
    }

    @Test("a producer (edtriage_intake) adds arrivals and their images, and can do nothing else")
    func intake() async throws {
        try await TestDatabase.with { database async throws in
            let image = """
                WITH new AS (\(Self.arrival))
                INSERT INTO arrival_images (arrival_id, position, content_type, data, sha256, byte_size)
                SELECT id, 0, 'image/png', '\\x89504e47', repeat('a', 64), 4 FROM new
                """
            for allowed in [Self.arrival, image] {
                #expect(try await Self.sqlState(of: allowed, as: "edtriage_intake", on: database) == nil, "\(allowed)")
            }
            let forbidden = [
                "SELECT patient_ref FROM arrivals",
                "SELECT payload FROM arrivals",
                "UPDATE arrivals SET state = 'done'",
                "DELETE FROM arrivals",
                "TRUNCATE arrivals",
                """
                INSERT INTO arrivals (source, external_id, patient_ref, payload, state)
                VALUES ('adt', 'R2', 'MRN', '{}', 'done')
                """,
                "SELECT data FROM arrival_images",
                "SELECT * FROM worklist",
                "SELECT * FROM assessments",
                "SELECT * FROM audit_log",
                """
                INSERT INTO audit_log (actor, role, action, entity, prev_hash, hash)
                VALUES ('x', 'x', 'x', 'x', 'x', 'x')
                """,
                "INSERT INTO vitals_observations (arrival_id) VALUES (1)",
                "CREATE TABLE intruder (id int)",
            ]
            try await Self.expectRefused(forbidden, as: "edtriage_intake", on: database)
        }
    }

    @Test("the service (edtriage_app) cannot alter the audit, drop or create tables, or delete clinical rows")
    func service() async throws {
        try await TestDatabase.with { database async throws in
            let forbidden = [
                "UPDATE audit_log SET actor = 'x'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
                "ALTER TABLE audit_log DISABLE TRIGGER USER",
                "DROP TABLE arrivals",
                "CREATE TABLE intruder (id int)",
                "DELETE FROM arrivals",
                "DELETE FROM decisions",
                "UPDATE decisions SET level = 1",
                "UPDATE assessments SET esi_level = 1",
                "DELETE FROM assessments",
                "UPDATE schema_migrations SET checksum = 'x'",
            ]
            try await Self.expectRefused(forbidden, as: "edtriage_app", on: database)
        }
    }

    /// An audit entry for `audit_append`, numbered and timed as the function requires, with `after` as given.
    static func auditEntry(arrivalID: Int, action: String, after: String) -> String {
        """
        SELECT audit_append(jsonb_build_object(
            'seq', (SELECT coalesce(max(seq), 0) + 1 FROM audit_log),
            'occurred_at_us', (extract(epoch FROM now()) * 1000000)::int8, 'actor', 'intruder', 'role', 'nurse',
            'action', '\(action)', 'entity', 'arrival', 'entity_id', '\(arrivalID)', 'request_id', NULL,
            'after', '\(after)'::jsonb)::text)
        """
    }

    @Test("the service writes the audit only through audit_append, and changes the board, an assessment or a decision only with the audit row that describes it")
    func auditedWrites() async throws {
        try await TestDatabase.with { database async throws in
            let arrivalID = try await database.withStore { store async throws in
                let id = try await store.enqueue(Fixtures.submission("R1"), flags: [], context: Fixtures.nurse).arrivalID
                try await Fixtures.scoreAll(store)
                return id
            }
            let overrideToOne = "UPDATE worklist SET effective_level = 1, status = 'overridden' WHERE arrival_id = \(arrivalID)"
            let forbidden = [
                """
                INSERT INTO audit_log (seq, occurred_at, actor, role, action, entity, prev_hash, hash)
                VALUES (1000, now(), 'x', 'x', 'x', 'x', repeat('0', 64), repeat('0', 64))
                """,
                overrideToOne,
                "UPDATE worklist SET status = 'discharged' WHERE arrival_id = \(arrivalID)",
                """
                INSERT INTO decisions (arrival_id, assessment_id, kind, level, actor, role, row_version)
                SELECT arrival_id, assessment_id, 'confirm', 3, 'intruder', 'nurse', version + 1
                FROM worklist WHERE arrival_id = \(arrivalID)
                """,
                """
                INSERT INTO assessments (arrival_id, scoring_round, attempt, esi_level, rules_level, scores, findings,
                                         explanation, confidence, scorer_name, scorer_version, rules_version, input,
                                         input_sha256, phase)
                SELECT arrival_id, scoring_round, attempt, 1, 1, scores, findings, explanation, confidence, scorer_name,
                       scorer_version, rules_version, input, input_sha256, 'model'
                FROM assessments WHERE arrival_id = \(arrivalID)
                """,
                // An audit row that says something else than the change does not cover it.
                Self.auditEntry(arrivalID: arrivalID, action: "decision.override",
                                after: #"{"state": "overridden", "effective_level": 2}"#) + ";" + overrideToOne,
                "ALTER TABLE worklist DISABLE TRIGGER ALL",
                "SET session_replication_role = replica",
                "CREATE OR REPLACE FUNCTION require_audit_row() RETURNS trigger LANGUAGE sql AS 'SELECT NULL'",
                "ALTER FUNCTION audit_append(text) OWNER TO edtriage_app",
                "CREATE OR REPLACE FUNCTION audit_append_all(text[]) RETURNS bigint[] LANGUAGE sql AS 'SELECT NULL'",
            ]
            try await Self.expectRefused(forbidden, as: "edtriage_app", on: database)
            // The function stores only a well-formed next entry of this transaction's time.
            let malformed = [
                "SELECT audit_append('[]')",
                #"SELECT audit_append('{"seq": 1000000, "actor": "x"}')"#,
                Self.auditEntry(arrivalID: arrivalID, action: "x", after: "{}")
                    .replacingOccurrences(of: "coalesce(max(seq), 0) + 1", with: "coalesce(max(seq), 0)"),
                // Several at once: each is checked as alone, and one bad entry stores none of them.
                #"SELECT audit_append_all(ARRAY['{"seq": 1000000, "actor": "x"}'])"#,
                Self.auditEntry(arrivalID: arrivalID, action: "x", after: "{}")
                    .replacingOccurrences(of: "SELECT audit_append(", with: "SELECT audit_append_all(ARRAY[")
                    .replacingOccurrences(of: "::jsonb)::text)", with: "::jsonb)::text, '[]'])"),
            ]
            try await Self.expectRefused(malformed, as: "edtriage_app", with: Self.checkViolation, on: database)
            // With the audit row that describes it, the same change goes through: the rule is "audited", not "never".
            let audited = Self.auditEntry(arrivalID: arrivalID, action: "decision.override",
                                          after: #"{"state": "overridden", "effective_level": 1}"#) + ";" + overrideToOne
            #expect(try await Self.sqlState(of: audited, as: "edtriage_app", on: database) == nil)
            for append in ["SELECT audit_append('{}')", "SELECT audit_append_all('{}')"] {
                #expect(try await Self.sqlState(of: append, as: "edtriage_intake", on: database) == Self.insufficientPrivilege)
            }

            // Logged in as itself, the service cannot become the role that owns those functions.
            let owner = try #require(try await database.ownerQuery(
                "SELECT pg_get_userbyid(proowner)::text FROM pg_proc WHERE proname = 'audit_append'").first ?? nil)
            try await TestDatabase.withClient(database.appURL) { client in
                do {
                    _ = try await client.query(PostgresQuery(unsafeSQL: "SET ROLE \"\(owner)\""), logger: TestDatabase.logger)
                        .collect()
                    Issue.record("edtriage_app became \(owner)")
                } catch let error as PSQLError {
                    #expect(error.serverInfo?[.sqlState] == Self.insufficientPrivilege)
                }
            }
            // The chain the store wrote through the function verifies.
            let verification = try await database.withStore { try await $0.verifyAudit() }
            #expect(verification.isIntact && verification.checked == 2)
        }
    }
}
