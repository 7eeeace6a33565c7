import Foundation

/// The last encoded board of each department and view, shared by the board reads of one process.
///
/// Wall screens and workstations poll the same board: hundreds of reads a second would each run the board query
/// (every row's model progress and review alert) and encode ~50 kB of JSON. Here one read loads it and the reads
/// that come in meanwhile wait for that load (single flight); later reads get the stored body while it is current.
/// A body is current while its revision is at least the one the request read and it is younger than `maxAge`:
/// the waiting times and the model's progress move without a revision, so a body is never older than that.
actor BoardSnapshotCache {
    /// Which board: a department's, as clinicians or as a wall screen sees it.
    struct Key: Hashable, Sendable {
        var department: String
        var wallView: Bool
    }

    /// An encoded board, its revision, and when the read that made it began.
    struct Body: Sendable {
        var revision: Int
        var data: Data
        var loadedAt: ContinuousClock.Instant
    }

    /// How long a body stays current when its revision does.
    let maxAge: Duration
    private var bodies: [Key: Body] = [:]
    /// The load under way for each key, numbered so that the caller that finds it finished clears only its own.
    private var loading: [Key: (id: Int, task: Task<Body, any Error>)] = [:]
    private var nextLoad = 0

    init(maxAge: Duration = .seconds(1)) {
        self.maxAge = maxAge
    }

    /// The body of `key` at `revision` or later: the stored one while current, else the load under way, else a new
    /// load by `load` (which returns the revision it read and the encoded body).
    func body(_ key: Key, atLeast revision: Int,
              load: @escaping @Sendable () async throws -> (revision: Int, data: Data)) async throws -> Body {
        while true {
            if let body = bodies[key], body.revision >= revision, ContinuousClock.now - body.loadedAt < maxAge {
                return body
            }
            let flight = loading[key] ?? start(key, load)
            let result = await flight.task.result
            if loading[key]?.id == flight.id {
                loading[key] = nil
                if case .success(let body) = result { bodies[key] = body }
            }
            // A load that began before `revision` was committed may hold an older board: then load again.
            let body = try result.get()
            if body.revision >= revision { return body }
        }
    }

    private func start(_ key: Key, _ load: @escaping @Sendable () async throws -> (revision: Int, data: Data))
        -> (id: Int, task: Task<Body, any Error>)
    {
        nextLoad += 1
        let begun = ContinuousClock.now
        let flight = (id: nextLoad, task: Task {
            let loaded = try await load()
            return Body(revision: loaded.revision, data: loaded.data, loadedAt: begun)
        })
        loading[key] = flight
        return flight
    }
}
