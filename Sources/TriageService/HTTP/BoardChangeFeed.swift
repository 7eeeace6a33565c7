import Logging
import ServiceLifecycle
import TriageStore

/// Each department's board revision as this process last read it, and the long-polls waiting for one to move.
///
/// One LISTEN connection per process on the board's notification (every revision bump notifies it)
/// wakes the waiting `GET /v1/worklist?wait=` requests of the departments that changed: the database sees
/// one read of the revisions per change, not one per waiting board every tenth of a second. Past `capacity`
/// waiting requests a new long-poll is refused (`Full`), so a flood of boards cannot pin the process's connections.
/// While the connection is down a wait ends at its timeout; on reconnecting the revision is read
/// again (and again until the read succeeds), so a change made meanwhile still wakes the boards.
public actor BoardChangeFeed: Service {
    /// As many long-polls wait as the feed allows.
    public struct Full: Error {}

    static let channel = "edtriage_worklist"

    /// Nil: the feed is never rung, and every wait ends at its timeout (tests that only build the router).
    private let listenURL: DatabaseURL?
    private let worklist: any WorklistRepository
    /// Most long-polls waiting at once (`http.long_poll_max_waiting`).
    public let capacity: Int
    private let logger: Logger
    private var revisions: [String: Int] = [:]
    private var waiters: [Int: Waiter] = [:]
    private var nextWaiter = 0

    private struct Waiter {
        var department: String
        var after: Int
        var continuation: CheckedContinuation<Int, any Error>
        var timer: Task<Void, Never>?
    }

    public init(listenURL: DatabaseURL?, worklist: any WorklistRepository, capacity: Int, logger: Logger) {
        self.listenURL = listenURL
        self.worklist = worklist
        self.capacity = capacity
        self.logger = logger
    }

    /// How many long-polls are waiting now.
    public var waiting: Int { waiters.count }

    /// Listens until graceful shutdown, reading the revision once per notification (notifications that
    /// arrive during a read are folded into the next one).
    public func run() async throws {
        guard let listenURL else { return }
        let (rings, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let listener = NotificationListener(url: listenURL, channel: Self.channel, reconnectDelay: .milliseconds(100),
                                            maxReconnectDelay: .seconds(5), logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await listener.run { doorbell.yield() } }
            await withGracefulShutdownHandler {
                for await _ in rings {
                    // A read that fails (the database restarting) is tried again, or the boards would wait
                    // out their timeouts for a change that was already made.
                    var delay = Duration.milliseconds(250)
                    while await !refresh(), !Task.isCancelled, !Task.isShuttingDownGracefully {
                        try? await Task.sleep(for: delay)
                        delay = min(delay * 2, .seconds(5))
                    }
                }
            } onGracefulShutdown: {
                doorbell.finish()
            }
            group.cancelAll()
        }
    }

    /// The department's revision once it is past `known`, or `known` when `timeout` passes first; throws `Full`
    /// when `capacity` requests already wait, and `CancellationError` when the calling task is cancelled.
    public func waitForChange(department: String, after known: Int, timeout: Duration) async throws -> Int {
        if let revision = revisions[department], revision > known { return revision }
        guard waiters.count < capacity else { throw Full() }
        let id = nextWaiter
        nextWaiter += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    await self?.end(id, with: .success(known))
                }
                waiters[id] = Waiter(department: department, after: known, continuation: continuation, timer: timer)
            }
        } onCancel: {
            Task { await self.end(id, with: .failure(CancellationError())) }
        }
    }

    /// Reads the revisions and wakes the boards behind them; false when the read failed.
    private func refresh() async -> Bool {
        do {
            advance(to: try await worklist.revisions())
            return true
        } catch {
            logger.warning("could not read the board revision", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return false
        }
    }

    /// Wakes every waiter behind its department's `current` revision.
    private func advance(to current: [String: Int]) {
        revisions.merge(current, uniquingKeysWith: max)
        for (id, waiter) in waiters {
            if let revision = revisions[waiter.department], revision > waiter.after { end(id, with: .success(revision)) }
        }
    }

    private func end(_ id: Int, with result: Result<Int, any Error>) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(with: result)
    }
}
