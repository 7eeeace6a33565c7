import Foundation
import Testing
@testable import TriageStore
import TriageStoreTestSupport

@Suite("Migrations")
struct MigrationTests {
    @Test("applies every file once, then has nothing pending")
    func appliesOnce() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let fileCount = try await TestDatabase.withClient(database.ownerURL) { client in
                let runner = MigrationRunner(directory: TestDatabase.migrationsDirectory, client: client,
                                             logger: TestDatabase.logger)
                let files = try runner.migrations()
                #expect(try await runner.pending() == files)
                #expect(files.map(\.version) == Array(1...files.count))
                #expect(try await runner.migrate().count == files.count)
                #expect(try await runner.pending().isEmpty)
                #expect(try await runner.migrate().isEmpty)
                return files.count
            }
            #expect(try await database.count("schema_migrations") == fileCount)
            try await TestDatabase.withClient(database.appURL) { client async throws in
                let runner = MigrationRunner(directory: TestDatabase.migrationsDirectory, client: client,
                                             logger: TestDatabase.logger)
                #expect(try await runner.pending().isEmpty)
            }
        }
    }

    @Test("refuses to run when an applied file has changed, naming the file")
    func checksumMismatch() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID())")
        try FileManager.default.copyItem(at: TestDatabase.migrationsDirectory, to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestDatabase.with(migrate: false) { database in
            try await TestDatabase.withClient(database.ownerURL) { client in
                let runner = MigrationRunner(directory: folder, client: client, logger: TestDatabase.logger)
                try await runner.migrate()
                let edited = folder.appendingPathComponent("0004_audit_log.sql")
                try (try String(contentsOf: edited, encoding: .utf8) + "\n-- edited\n")
                    .write(to: edited, atomically: true, encoding: .utf8)
                await #expect(throws: MigrationError.checksumMismatch(fileName: "0004_audit_log.sql")) {
                    try await runner.migrate()
                }
                try FileManager.default.removeItem(at: edited)
                await #expect(throws: MigrationError.missingFile(version: 4, fileName: "0004_audit_log.sql")) {
                    try await runner.pending()
                }
            }
        }
    }

    @Test("rejects a file not named NNNN_name.sql")
    func badFileName() throws {
        #expect(MigrationRunner.version(ofFileName: "0007_x.sql") == 7)
        #expect(MigrationRunner.version(ofFileName: "x_0007.sql") == nil)
        #expect(MigrationRunner.version(ofFileName: "0007.sql") == nil)
    }
}

@Suite("SQL script splitting")
struct SQLScriptTests {
    @Test("semicolons in strings, identifiers, dollar quotes and comments do not split")
    func splits() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE "a;b" (x text DEFAULT 'it''s; fine');
            /* block; comment */
            DO $$ BEGIN PERFORM 1; END $$;
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
            SELECT $1::int
            """
        #expect(SQLScript.statements(script) == [
            #"CREATE TABLE "a;b" (x text DEFAULT 'it''s; fine')"#,
            "DO $$ BEGIN PERFORM 1; END $$",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$",
            "SELECT $1::int",
        ])
    }
}
