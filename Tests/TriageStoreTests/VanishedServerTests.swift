import Foundation
import Logging
import NIOCore
import PostgresNIO
import Testing
@testable import TriageStore
import TriageStoreTestSupport

/// A database host that vanishes without closing its connections (a power cut, or a failover behind an address
/// that now leads nowhere): the test database is reached through a network namespace whose link is then set down,
/// so no packet, reset or FIN comes back. A statement the server had already acknowledged, and an idle connection,
/// must each fail within `VanishedServerDetection.noticeWithin` (plus the kernel's timer slack) instead of waiting
/// for good. The service's retries then take over, as after any lost connection (`ReplicaChaosTests`).
@Suite("A database host that vanishes", .enabled(if: getuid() == 0, "a network namespace needs root"))
struct VanishedServerTests {
    @Test(.timeLimit(.minutes(5)))
    func aStatementInFlightAndAnIdleConnectionNoticeTheHostIsGone() async throws {
        try await TestDatabase.with(migrate: false) { database in
            try await VanishingHost.with(upstream: database.ownerURL) { host in
                let logger = TestDatabase.logger
                let busy = try await PostgresConnection.connect(
                    configuration: try host.url.connectionConfiguration(), id: 1, logger: logger)
                let idle = try await PostgresConnection.connect(
                    configuration: try host.url.connectionConfiguration(), id: 2, logger: logger)
                VanishedServerDetection.enable(on: idle, logger: logger)
                #expect(try await busy.rows("SELECT 1 AS one", logger: logger).count == 1)
                try await expectSocketOptionsSet(on: busy)
                try await expectSocketOptionsSet(on: idle)

                let statement = Task { try await busy.send("SELECT pg_sleep(600)", logger: logger) }
                try await Task.sleep(for: .seconds(1))
                try host.vanish()
                let vanished = ContinuousClock.now
                let bound = VanishedServerDetection.noticeWithin + .seconds(15)

                let idleClosed = Task { try await idle.closeFuture.get() }
                let statementOutcome = await result(of: statement, within: bound) { _ = busy.close() as EventLoopFuture<Void> }
                let statementNoticed = ContinuousClock.now - vanished
                #expect(statementOutcome.error.map(DatabaseFailure.isConnectionLost) == true,
                        "the statement in flight should fail as a lost connection, got \(statementOutcome)")
                #expect(statementNoticed < bound)

                _ = await result(of: idleClosed, within: bound - statementNoticed) { _ = idle.close() as EventLoopFuture<Void> }
                let idleNoticed = ContinuousClock.now - vanished
                #expect(idleNoticed < bound, "the idle connection should close within \(bound)")
                print("vanished database host: statement in flight failed after \(statementNoticed), "
                      + "idle connection closed after \(idleNoticed)")
            }
        }
    }

    /// The values the kernel holds for the socket, read back through the same channel.
    private func expectSocketOptionsSet(on connection: PostgresConnection) async throws {
        let channel = try #require(VanishedServerDetection.channel(of: connection),
                                   "PostgresNIO's connection should still hold its channel as `channel`")
        let keepalive = try await channel.getOption(ChannelOptions.socketOption(.so_keepalive)).get()
        let userTimeout = try await channel.getOption(ChannelOptions.Types.SocketOption(
            level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_USER_TIMEOUT)))).get()
        #expect(keepalive != 0)
        #expect(userTimeout == VanishedServerDetection.userTimeoutMilliseconds)
    }

    /// `task`'s result; `giveUp` runs when `bound` passes first, and must end the task.
    private func result<T: Sendable>(of task: Task<T, any Error>, within bound: Duration,
                                     giveUp: @escaping @Sendable () -> Void) async -> Result<T, any Error> {
        let timer = Task {
            try await Task.sleep(for: max(bound, .zero))
            giveUp()
        }
        defer { timer.cancel() }
        return await task.result
    }
}

private extension Result {
    var error: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}

/// A network namespace with a veth link to this one, and `Tests/Network/vanishing_host.py` listening in it and
/// forwarding to the test database: `url` reaches the database across that link until `vanish()` sets it down.
private struct VanishingHost {
    let namespace: String
    let innerLink: String
    let url: DatabaseURL

    struct CommandFailed: Error, CustomStringConvertible {
        var description: String
    }

    static func with<T: Sendable>(upstream: DatabaseURL, _ body: (VanishingHost) async throws -> T) async throws -> T {
        let tag = String(UInt32.random(in: 0..<0xFFFFFF), radix: 16)
        let namespace = "edtv\(tag)"
        let outerLink = "edtv\(tag)o", innerLink = "edtv\(tag)i"
        // A /30 of its own, so that runs side by side do not share addresses.
        let network = "10.251.\(Int.random(in: 0...255))", base = 4 * Int.random(in: 0...63)
        let outerAddress = "\(network).\(base + 1)", innerAddress = "\(network).\(base + 2)"
        defer {
            try? run(["ip", "link", "del", outerLink])
            try? run(["ip", "netns", "del", namespace])
        }
        try run(["ip", "netns", "add", namespace])
        try run(["ip", "link", "add", outerLink, "type", "veth", "peer", "name", innerLink])
        try run(["ip", "link", "set", innerLink, "netns", namespace])
        try run(["ip", "addr", "add", "\(outerAddress)/30", "dev", outerLink])
        try run(["ip", "link", "set", outerLink, "up"])
        try run(["ip", "netns", "exec", namespace, "ip", "addr", "add", "\(innerAddress)/30", "dev", innerLink])
        try run(["ip", "netns", "exec", namespace, "ip", "link", "set", innerLink, "up"])

        let forwarder = Process()
        forwarder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        forwarder.arguments = [ProcessInfo.processInfo.environment["EDTRIAGE_TEST_PYTHON"] ?? "python3",
                               forwarderScript, namespace, innerAddress, "5432",
                               upstream.host, String(upstream.port)]
        let output = Pipe()
        forwarder.standardOutput = output
        try forwarder.run()
        // SIGKILL: the forwarder inherits this process's blocked SIGTERM.
        defer { kill(forwarder.processIdentifier, SIGKILL); forwarder.waitUntilExit() }
        guard String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("ready") else {
            throw CommandFailed(description: "vanishing_host.py did not start")
        }

        var url = upstream
        url.host = innerAddress
        url.port = 5432
        // The server's certificate names 127.0.0.1: still checked against the test CA, not against this address.
        if url.tls.mode == .verifyFull { url.tls.mode = .verifyCA }
        return try await body(VanishingHost(namespace: namespace, innerLink: innerLink, url: url))
    }

    /// Sets the namespace's link down: from now on nothing crosses it either way.
    func vanish() throws {
        try Self.run(["ip", "netns", "exec", namespace, "ip", "link", "set", innerLink, "down"])
    }

    private static let forwarderScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Network/vanishing_host.py").path

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw CommandFailed(description: "\(arguments.joined(separator: " ")): \(message)")
        }
    }
}
