import Foundation
import Testing
import TriageStore
@testable import TriageService

/// The assembled service (`edtriage serve`): PostgreSQL client, worker and HTTP server in one ServiceGroup,
/// over real sockets. An arrival posted over HTTP is scored by the group's worker and appears on the board;
/// a graceful shutdown then ends every service cleanly.
@Suite struct ServiceGroupTests {
    @Test func servesScoresAndShutsDownGracefully() async throws {
        let (service, shutdownStarted) = try await LiveService.run { service in
            let nurse = try await service.token(.nurse, actor: "rn-live")
            let submitted = try await service.send("POST", "v1/arrivals", token: nurse, json: Arrivals.chestPain())
            #expect(submitted.status == 202)

            try await eventually {
                let board = try await service.send("GET", "v1/worklist", token: nurse)
                return try JSONDecoder.iso8601.decode(WorklistSnapshot.self, from: board.body).rows.count == 1
            }

            // A board long-polling at shutdown is answered at once (304), so it does not hold the
            // server open for its 30 s wait.
            let current = try await service.send("GET", "v1/worklist", token: nurse)
            async let polled = service.send("GET", "v1/worklist?wait=30", token: nurse,
                                            headers: ["If-None-Match": current.headers["etag"] ?? ""])
            try await Task.sleep(for: .milliseconds(500))
            let shutdownStarted = ContinuousClock.now
            await service.group.triggerGracefulShutdown()
            #expect(try await polled.status == 304)
            #expect(try await service.database.count("arrivals", where: "state = 'done'") == 1)
            return (service, shutdownStarted)
        }
        // Every service ended (the group's run returned) within Kubernetes' default 30 s grace period, with room
        // for a machine busy with other suites (seen at 10.1 s under a full parallel run).
        let ended = try #require(service.groupEnded.value)
        #expect(ended - shutdownStarted < .seconds(20))
    }

    /// A connection that sends nothing is closed after `http.idle_timeout_seconds`, so idle sockets cannot
    /// pile up; bash's /dev/tcp holds one open and `cat` ends when the server closes it.
    @Test func idleConnectionsAreClosed() async throws {
        try await LiveService.run(environment: ["EDTRIAGE_HTTP_IDLE_TIMEOUT_SECONDS": "2",
                                                "EDTRIAGE_HTTP_LONG_POLL_MAX_SECONDS": "1"]) { service in
            let idle = Process()
            idle.executableURL = URL(fileURLWithPath: "/bin/bash")
            idle.arguments = ["-c", """
                exec 3<>/dev/tcp/127.0.0.1/\(service.base.port ?? 0) || exit 2
                timeout 30 cat <&3 >/dev/null
                [ $? -eq 124 ] && exit 124 || exit 0
                """]
            let started = ContinuousClock.now
            try idle.run()
            while idle.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            // 0: the server closed it (cat saw end of file or a reset); 124: the 30 s timeout; 2: never connected.
            #expect(idle.terminationStatus == 0, "closed by the server, not by the 30 s timeout")
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    /// A client trickling header lines (never idle, never finishing its request head) is cut off at
    /// `http.request_head_timeout_seconds`; bash writes one header line every half second for 40 s. The close may
    /// reach `cat` as end of file or, with header bytes still unread at the server, as a reset: both count.
    @Test func slowRequestHeadsAreCutOff() async throws {
        try await LiveService.run(environment: ["EDTRIAGE_HTTP_REQUEST_HEAD_TIMEOUT_SECONDS": "2"]) { service in
            let slow = Process()
            slow.executableURL = URL(fileURLWithPath: "/bin/bash")
            slow.arguments = ["-c", """
                exec 3<>/dev/tcp/127.0.0.1/\(service.base.port ?? 0) || exit 2
                printf 'GET /healthz HTTP/1.1\\r\\nHost: edtriage\\r\\n' >&3
                ( trap '' PIPE; for i in $(seq 1 80); do printf 'X-Slow-%d: a\\r\\n' "$i" >&3 || exit 0; sleep 0.5; done ) &
                timeout 60 cat <&3 >/dev/null
                [ $? -eq 124 ] && exit 124 || exit 0
                """]
            let started = ContinuousClock.now
            try slow.run()
            while slow.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            #expect(slow.terminationStatus == 0, "closed by the server, not by the 60 s timeout")
            // Half the trickle: room for a machine busy with other suites (seen at 10.06 s under a full parallel run).
            #expect(ContinuousClock.now - started < .seconds(20), "cut off at the head deadline, not after the trickle")
        }
    }
}
