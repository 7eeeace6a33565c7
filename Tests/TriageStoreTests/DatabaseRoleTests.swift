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

    /// Runs `statement` as `role` in a transaction that is rolled back; the SQLSTATE it failed with, or nil.
    static func sqlState(of statement: String, as role: String, on database: TestDatabase) async throws -> String? {
        try await TestDatabase.withClient(database.ownerURL) { client in
            try await client.withConnection { connection in
                _ = try await connection.query("BEGIN", logger: TestDatabase.logger).collect()
                do {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL ROLE \(role)"), logger: TestDatabase.logger).collect()
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger).collect()
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
            for statement in forbidden {
                #expect(try await Self.sqlState(of: statement, as: "edtriage_intake", on: database)
                        == Self.insufficientPrivilege, "\(statement)")
            }
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
            for statement in forbidden {
                #expect(try await Self.sqlState(of: statement, as: "edtriage_app", on: database)
                        == Self.insufficientPrivilege, "\(statement)")
            }
        }
    }
}
