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

    /// Bumps the board revision (which notifies `edtriage_worklist`). Call after locking the board row.
    func bumpRevision(on connection: PostgresConnection) async throws -> Int {
        guard let row = try await connection.firstRow(
            "UPDATE worklist_state SET revision = revision + 1 RETURNING revision", logger: logger)
        else { throw UnexpectedDatabaseState("worklist_state has no row") }
        return try row.value("revision")
    }
}
