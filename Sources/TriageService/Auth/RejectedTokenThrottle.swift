import Synchronization

/// Decides which refused tokens reach the audit trail: at most one row per client address per window, carrying
/// how many refusals it stands for. Every refusal is still counted in metrics; the throttle only keeps a
/// flood of bad tokens from turning into a flood of audit appends, which serialize on the chain's lock.
final class RejectedTokenThrottle: Sendable {
    private struct Window {
        var opened: ContinuousClock.Instant
        /// Refusals since the window opened that no audit row counts yet.
        var refusals: Int
    }

    private let window: Duration
    /// Addresses tracked at once; past it, old windows are dropped, and a flood of new addresses
    /// shares one window under `sharedSource`.
    private let capacity: Int
    private let windows = Mutex<[String: Window]>([:])

    static let sharedSource = "many addresses"

    init(window: Duration = .seconds(60), capacity: Int = 10_000) {
        self.window = window
        self.capacity = capacity
    }

    /// The source to audit under and the refusals the row stands for, or nil when this refusal only counts.
    func admit(source: String, now: ContinuousClock.Instant = .now) -> (source: String, refusals: Int)? {
        windows.withLock { windows in
            var key = source
            if windows[key] == nil && windows.count >= capacity {
                windows = windows.filter { now - $0.value.opened < window }
                if windows.count >= capacity { key = Self.sharedSource }
            }
            guard var current = windows[key] else {
                windows[key] = Window(opened: now, refusals: 0)
                return (key, 1)
            }
            current.refusals += 1
            if now - current.opened >= window {
                windows[key] = Window(opened: now, refusals: 0)
                return (key, current.refusals)
            }
            windows[key] = current
            return nil
        }
    }
}
