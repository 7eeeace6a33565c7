import Foundation
import Synchronization
import Testing
@testable import TriageService

/// The board cache: one load for the reads that arrive together, a new one when the board moved past the stored
/// body or the body aged, and no stored failure.
@Suite struct BoardSnapshotCacheTests {
    /// Counts loads and answers each with the next revision of `revisions` (the last one repeated).
    final class Loader: Sendable {
        let loads = Mutex(0)
        let revisions: [Int]
        let delay: Duration
        let failing = Mutex(false)

        init(revisions: [Int], delay: Duration = .zero) {
            self.revisions = revisions
            self.delay = delay
        }

        func load() async throws -> (revision: Int, data: Data) {
            let index = loads.withLock { count in
                count += 1
                return count - 1
            }
            try await Task.sleep(for: delay)
            if failing.withLock({ $0 }) { throw CancellationError() }
            let revision = revisions[min(index, revisions.count - 1)]
            return (revision, Data("board \(revision)".utf8))
        }
    }

    static let key = BoardSnapshotCache.Key(department: "ed", wallView: false)

    @Test func readsThatArriveTogetherShareOneLoad() async throws {
        let cache = BoardSnapshotCache(maxAge: .seconds(60))
        let loader = Loader(revisions: [7], delay: .milliseconds(200))
        let bodies = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 { group.addTask { try await cache.body(Self.key, atLeast: 7, load: loader.load).revision } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(bodies == Array(repeating: 7, count: 50))
        #expect(loader.loads.withLock { $0 } == 1)
        // The stored body serves later reads of the same revision, and another view has its own.
        _ = try await cache.body(Self.key, atLeast: 7, load: loader.load)
        #expect(loader.loads.withLock { $0 } == 1)
        _ = try await cache.body(.init(department: "ed", wallView: true), atLeast: 7, load: loader.load)
        #expect(loader.loads.withLock { $0 } == 2)
    }

    @Test func aNewerRevisionOrAnAgedBodyLoadsAgain() async throws {
        let cache = BoardSnapshotCache(maxAge: .milliseconds(300))
        let loader = Loader(revisions: [3, 5, 5])
        #expect(try await cache.body(Self.key, atLeast: 3, load: loader.load).revision == 3)
        #expect(try await cache.body(Self.key, atLeast: 4, load: loader.load).revision == 5)
        #expect(loader.loads.withLock { $0 } == 2)
        try await Task.sleep(for: .milliseconds(400))
        let aged = try await cache.body(Self.key, atLeast: 5, load: loader.load)
        #expect(aged.revision == 5 && String(decoding: aged.data, as: UTF8.self) == "board 5")
        #expect(loader.loads.withLock { $0 } == 3)
    }

    @Test func aLoadOlderThanTheRevisionAskedForIsNotServed() async throws {
        // The read that began before revision 9 was committed still sees 8: the cache must load again.
        let cache = BoardSnapshotCache(maxAge: .seconds(60))
        let loader = Loader(revisions: [8, 9])
        #expect(try await cache.body(Self.key, atLeast: 9, load: loader.load).revision == 9)
        #expect(loader.loads.withLock { $0 } == 2)
    }

    @Test func aFailedLoadIsNotKept() async throws {
        let cache = BoardSnapshotCache(maxAge: .seconds(60))
        let loader = Loader(revisions: [4])
        loader.failing.withLock { $0 = true }
        await #expect(throws: CancellationError.self) { try await cache.body(Self.key, atLeast: 4, load: loader.load) }
        loader.failing.withLock { $0 = false }
        #expect(try await cache.body(Self.key, atLeast: 4, load: loader.load).revision == 4)
        #expect(loader.loads.withLock { $0 } == 2)
    }
}
