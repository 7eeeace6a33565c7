import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

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
        try await send(begin, logger: logger)
        do {
            let result = try await body(self)
            try await send("COMMIT", logger: logger)
            return result
        } catch {
            // A lost connection's transaction was rolled back by the server as the connection ended.
            if !DatabaseFailure.isConnectionLost(error) {
                _ = try? await send("ROLLBACK", logger: logger)
            }
            throw error
        }
    }

    /// Sends `query` and returns all its rows, or throws `DatabaseConnectionLost` when the connection closes first
    /// (see `QueriesInFlight`). Every statement of the store goes through here.
    @discardableResult
    func send(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await QueriesInFlight.shared.send(query, on: self, logger: logger)
    }

    /// The rows of `query` as random-access rows, for reading columns by name.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await send(query, logger: logger).map { $0.makeRandomAccess() }
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

extension PostgresClient {
    /// `query` on a pooled connection, through `PostgresConnection.send`.
    @discardableResult
    func send(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await withConnection { try await $0.send(query, logger: logger) }
    }
}

/// The connection closed before the database answered a statement: the statement may or may not have run, and
/// its transaction, if any, was rolled back.
public struct DatabaseConnectionLost: Error, CustomStringConvertible {
    public var description: String { "the database connection closed before the statement was answered" }
}

extension PostgresConnection {
    /// Runs `operation` on this connection until it returns, the connection closes (`DatabaseConnectionLost`) or
    /// the calling task is cancelled (the connection is closed, then the same error): e.g. a LISTEN, which
    /// PostgresNIO never answers when it reaches the connection just as it closes, and which then ignores
    /// cancellation too. `operation` runs in a task of its own; if it is never answered, that task stays
    /// suspended, holding nothing but itself.
    public func whileOpen<Value: Sendable>(
        _ operation: @escaping @Sendable (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let waiter = Mutex<CheckedContinuation<Value, any Error>?>(nil)
        let finish = { @Sendable (result: Result<Value, any Error>) in
            waiter.withLock { waiter in defer { waiter = nil }; return waiter }?.resume(with: result)
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.withLock { $0 = continuation }
                closeFuture.whenComplete { _ in finish(.failure(DatabaseConnectionLost())) }
                Task {
                    do {
                        finish(.success(try await operation(self)))
                    } catch {
                        finish(.failure(error))
                    }
                }
            }
        } onCancel: {
            close().whenComplete { _ in }
        }
    }
}

/// The statements waiting for an answer, per connection, failed together when their connection closes.
///
/// PostgresNIO never answers a statement that reaches a connection just as it closes (the write is dropped with the
/// closed channel): after a database crash or restart, the caller, its HTTP request and its pooled connection
/// would wait for good. Each caller waits here instead, for its statement's answer or, whichever comes first, one
/// callback per connection on its close that fails whatever is still waiting. The first statement on a connection
/// also sets `VanishedServerDetection` on it, so that a server whose host vanishes closes the connection too.
///
/// Rows are collected on the connection's event loop as they arrive (PostgresNIO's future-based `query`), never
/// through its async row sequence: that sequence holds back reads until its consumer asks for more, and when the
/// server closes the connection meanwhile (a crash, a restart, a terminated backend) PostgresNIO 1.33 fails a
/// precondition in `RowStreamStateMachine.channelReadComplete` and the process traps.
final class QueriesInFlight: Sendable {
    static let shared = QueriesInFlight()

    private typealias Waiter = CheckedContinuation<[PostgresRow], any Error>

    private struct State {
        var next = 0
        /// Per connection being watched, its waiting statements by ticket. Keyed by identity: connection ids are
        /// only unique within one client's pool.
        var waiting: [ObjectIdentifier: [Int: Waiter]] = [:]
    }

    private let state = Mutex(State())

    func send(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws
        -> [PostgresRow]
    {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let key = ObjectIdentifier(connection)
            let (ticket, firstOnConnection) = state.withLock { state in
                state.next += 1
                let firstOnConnection = state.waiting[key] == nil
                state.waiting[key, default: [:]][state.next] = waiter
                return (state.next, firstOnConnection)
            }
            if firstOnConnection {
                VanishedServerDetection.enable(on: connection, logger: logger)
                // Fires at once when the connection has already closed. It holds the connection, so its identity
                // is not reused by another before the callback has run.
                connection.closeFuture.whenComplete { _ in
                    withExtendedLifetime(connection) { self.failAll(on: key) }
                }
            }
            let answer: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
            answer.whenComplete { result in
                self.take(ticket, on: key)?.resume(with: result.map(\.rows))
            }
        }
    }

    private func take(_ ticket: Int, on connection: ObjectIdentifier) -> Waiter? {
        state.withLock { $0.waiting[connection]?.removeValue(forKey: ticket) }
    }

    private func failAll(on connection: ObjectIdentifier) {
        let waiters = state.withLock { $0.waiting.removeValue(forKey: connection) ?? [:] }
        for waiter in waiters.values { waiter.resume(throwing: DatabaseConnectionLost()) }
    }
}
