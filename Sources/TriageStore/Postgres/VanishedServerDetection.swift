import Logging
import NIOCore
import PostgresNIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// TCP keepalive and a TCP user timeout on each database connection, so that a server whose host vanishes without
/// closing its connections (a power cut, a failover behind a Kubernetes Service, a dropped route) is noticed within
/// about `noticeWithin`, and the connection closes like any lost one.
///
/// Without them, a statement the server has acknowledged waits for its answer for good (nothing is left to
/// retransmit, so nothing provokes a reset), and a statement still being sent waits out the kernel's
/// retransmissions (`tcp_retries2`, about 15 minutes). PostgreSQL's `statement_timeout` cannot fire on a server
/// that is gone. The settings are libpq's `keepalives_idle`, `keepalives_interval`, `keepalives_count` and
/// `tcp_user_timeout`.
///
/// PostgresNIO opens its sockets itself and has no socket options, so they are set on a connection's channel once
/// the connection is open. That channel is internal to PostgresNIO and is read by reflection;
/// `VanishedServerTests` fails if an update of PostgresNIO moves it.
public enum VanishedServerDetection {
    /// Idle time before the first keepalive probe.
    static let idleSeconds: CInt = 5
    /// Time between unanswered probes.
    static let probeIntervalSeconds: CInt = 5
    /// Unanswered probes before the connection is dropped.
    static let probeCount: CInt = 3
    /// How long sent data (a statement or a probe) may stay unacknowledged before the connection is dropped.
    static let userTimeoutMilliseconds: CInt = 15_000

    /// The longest a vanished server goes unnoticed on a connection: idle time, then the user timeout.
    public static var noticeWithin: Duration {
        .seconds(Int(idleSeconds)) + .milliseconds(Int(userTimeoutMilliseconds))
    }

    /// Sets the options on `connection`'s socket; logs a warning, once per process, when they cannot be set.
    public static func enable(on connection: PostgresConnection, logger: Logger) {
        guard let channel = channel(of: connection) else {
            warnOnce(logger, "PostgresNIO's connection has no channel to set TCP keepalive on")
            return
        }
        let tcp = NIOBSDSocket.OptionLevel.tcp
        func tcpOption(_ name: CInt) -> ChannelOptions.Types.SocketOption {
            ChannelOptions.Types.SocketOption(level: tcp, name: NIOBSDSocket.Option(rawValue: name))
        }
        let settings: [(ChannelOptions.Types.SocketOption, CInt)] = [
            (ChannelOptions.socketOption(.so_keepalive), 1),
            (tcpOption(CInt(TCP_KEEPIDLE)), idleSeconds),
            (tcpOption(CInt(TCP_KEEPINTVL)), probeIntervalSeconds),
            (tcpOption(CInt(TCP_KEEPCNT)), probeCount),
            (tcpOption(CInt(TCP_USER_TIMEOUT)), userTimeoutMilliseconds),
        ]
        for (option, value) in settings {
            channel.setOption(option, value: SocketOptionValue(value)).whenFailure { error in
                // A connection already closed has nothing left to watch.
                if let error = error as? ChannelError, error == .ioOnClosedChannel { return }
                warnOnce(logger, "could not set TCP keepalive on a database connection: \(error)")
            }
        }
    }

    /// The connection's NIO channel, read by reflection.
    static func channel(of connection: PostgresConnection) -> (any Channel)? {
        Mirror(reflecting: connection).children.first { $0.label == "channel" }?.value as? any Channel
    }

    private static let warned = Mutex(false)

    private static func warnOnce(_ logger: Logger, _ message: @autoclosure () -> String) {
        guard warned.withLock({ warned in defer { warned = true }; return !warned }) else { return }
        logger.warning("\(message()); a database host that vanishes is noticed only after the kernel's retransmissions")
    }
}
