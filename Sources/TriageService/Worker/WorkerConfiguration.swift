import TriageStore

/// How the queue worker claims and retries (config section `worker`).
public struct WorkerConfiguration: Sendable, Hashable {
    /// Arrivals scored at the same time.
    public var concurrency: Int
    /// Arrivals leased per claim.
    public var batchSize: Int
    /// How long a claim stays with this worker; a worker that dies loses its claims after this.
    public var lease: Duration
    /// Polling fallback when no notification arrives (and after a lost LISTEN connection).
    public var pollInterval: Duration
    public var retry: RetryPolicy
    /// First delay before reconnecting the LISTEN connection; doubles up to `maxReconnectDelay`.
    public var reconnectDelay: Duration
    public var maxReconnectDelay: Duration

    public init(concurrency: Int = 2, batchSize: Int = 32, lease: Duration = .seconds(60),
                pollInterval: Duration = .seconds(2), retry: RetryPolicy = RetryPolicy(),
                reconnectDelay: Duration = .milliseconds(500), maxReconnectDelay: Duration = .seconds(30)) {
        precondition(concurrency >= 1 && batchSize >= 1, "concurrency and batch size must be positive")
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.lease = lease
        self.pollInterval = pollInterval
        self.retry = retry
        self.reconnectDelay = reconnectDelay
        self.maxReconnectDelay = maxReconnectDelay
    }
}
