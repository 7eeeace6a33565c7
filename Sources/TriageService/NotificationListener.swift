import Logging
import PostgresNIO
import Synchronization
import TriageStore

/// Keeps one dedicated connection LISTENing on a channel and calls `onNotify` for every notification,
/// and once after each (re)connect since notifications sent while disconnected are lost.
/// Reconnects with exponential backoff until cancelled. (PostgresClient's pool has no LISTEN API.)
struct NotificationListener: Sendable {
    let url: DatabaseURL
    let channel: String
    let reconnectDelay: Duration
    let maxReconnectDelay: Duration
    let logger: Logger

    func run(onNotify: @escaping @Sendable () -> Void) async {
        var delay = reconnectDelay
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: try url.connectionConfiguration(), id: connectionID, logger: logger)
                VanishedServerDetection.enable(on: connection, logger: logger)
                let listened = Mutex(false)
                defer { if listened.withLock({ $0 }) { delay = reconnectDelay } }
                do {
                    try await connection.whileOpen { [channel, logger] connection in
                        try await connection.listen(on: channel) { notifications in
                            logger.debug("listening", metadata: ["channel": "\(channel)"])
                            listened.withLock { $0 = true }
                            onNotify()
                            for try await _ in notifications { onNotify() }
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.warning("LISTEN connection lost; reconnecting",
                               metadata: ["channel": "\(channel)", "error": "\(String(reflecting: type(of: error)))"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, maxReconnectDelay)
        }
    }
}
