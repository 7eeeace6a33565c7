import Foundation
import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs a client for the duration of `body`: for commands and tests. A server runs its client as a
    /// service in its `ServiceGroup` instead.
    public static func withRunning<Result: Sendable>(
        _ configuration: PostgresClient.Configuration,
        logger: Logger,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// Runs `body` in one transaction on one pooled connection (see `PostgresConnection.transaction`).
    @discardableResult
    func transaction<Result: Sendable>(
        _ begin: PostgresQuery = "BEGIN",
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            try await connection.transaction(begin, logger: logger, body)
        }
    }
}

extension PostgresConnection {
    /// Runs `body` in one transaction, rethrowing `body`'s own error (PostgresNIO's `withTransaction`
    /// wraps it, which would hide typed errors such as `DecisionError`).
    @discardableResult
    func transaction<Result: Sendable>(
        _ begin: PostgresQuery = "BEGIN",
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await query(begin, logger: logger)
        do {
            let result = try await body(self)
            try await query("COMMIT", logger: logger)
            return result
        } catch {
            _ = try? await query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The rows of `query` as random-access rows, for reading columns by name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    /// The first row of `query`, or nil.
    func firstRow(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRandomAccessRow? {
        try await rows(query, logger: logger).first
    }
}

extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    /// Decodes a JSON column that the query selected as `::text`.
    func json<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(try value(column, as: String.self).utf8))
    }
}

/// JSON text for a `$n::jsonb` parameter.
func jsonText(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// A query that must return a row returned none: the schema is not what this code expects.
struct UnexpectedDatabaseState: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
