import Foundation
import Logging
import PostgresNIO
import TriageCore

/// Limits and board policy the store applies.
public struct StoreConfiguration: Sendable, Hashable {
    /// Largest accepted image, in bytes (`arrivals.max_image_bytes` in the config).
    public var maxImageBytes: Int
    public var reassessment: ReassessmentIntervals
    /// Findings shown per board row.
    public var topFindings: Int
    /// How often `waitForChange` re-reads the revision (the CLI's `worklist --wait` and the queue bench; the API's
    /// long-polls wait on the board's notification instead).
    public var revisionPollInterval: Duration

    public init(maxImageBytes: Int = 5 * 1024 * 1024, reassessment: ReassessmentIntervals = .default,
                topFindings: Int = 3, revisionPollInterval: Duration = .milliseconds(100)) {
        self.maxImageBytes = maxImageBytes
        self.reassessment = reassessment
        self.topFindings = topFindings
        self.revisionPollInterval = revisionPollInterval
    }
}

/// The PostgreSQL implementation of every repository the service uses.
///
/// Give it a `PostgresClient` connected as the service role (`edtriage_app`); the caller runs the
/// client (`client.run()` in the service group). Every mutation is one transaction that also appends
/// its audit row.
public struct PostgresTriageStore: TriageRepository {
    let client: PostgresClient
    let configuration: StoreConfiguration
    let logger: Logger

    public init(client: PostgresClient, configuration: StoreConfiguration = StoreConfiguration(), logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// Bumps the board revision of the departments of `arrivalIDs` (which notifies `edtriage_worklist`), locking
    /// them in code order; returns each one's new revision. Call after locking the board rows. The revision is
    /// drawn after the department's row is locked, so each department's revisions rise in commit order. The lock
    /// is `NO KEY UPDATE`, the one the update takes anyway: it leaves alone the key-share locks with which new
    /// arrivals' foreign keys hold their department (a full `UPDATE` lock would deadlock with them over the
    /// audit chain's lock).
    @discardableResult
    func bumpRevision(arrivalIDs: [Int], on connection: PostgresConnection) async throws -> [String: Int] {
        let rows = try await connection.rows("""
            UPDATE departments d SET revision = nextval('worklist_revision_seq')
            FROM (SELECT code FROM departments
                  WHERE code IN (SELECT department FROM arrivals WHERE id = ANY(\(arrivalIDs)))
                  ORDER BY code FOR NO KEY UPDATE) locked
            WHERE d.code = locked.code
            RETURNING d.code, d.revision
            """, logger: logger)
        var revisions: [String: Int] = [:]
        for row in rows { revisions[try row.value("code")] = try row.value("revision") }
        return revisions
    }

    /// Makes `codes` known to the database, so arrivals may name them (an arrival's department must exist).
    public func registerDepartments(_ codes: [String]) async throws {
        try await client.send(
            "INSERT INTO departments (code) SELECT unnest(\(codes)::text[]) ON CONFLICT (code) DO NOTHING",
            logger: logger)
    }
}
