import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The HL7 v2 listener: MLLP over TCP, inside TLS when given the certificate, one acknowledgement per message, in
/// order. A sender waits for each ACK before its next message (HL7's original mode), so messages of one
/// connection are applied one at a time.
struct MLLPListener: Service {
    let host: String
    let port: Int
    let maxMessageBytes: Int
    /// The HTTPS certificate, for MLLP over TLS (`hl7.tls`); nil: plain TCP.
    let certificate: ServerCertificate?
    let intake: HL7Intake
    let logger: Logger

    func run() async throws {
        let maxBytes = maxMessageBytes
        // One context: each handshake asks the certificate for the identity loaded last.
        let tls = try certificate.map { try NIOSSLContext(configuration: $0.tlsConfiguration) }
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MLLPFrameDecoder(maxBytes: maxBytes)))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(MLLPFrameEncoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("HL7 v2 listener ready", metadata: ["host": "\(host)", "port": "\(port)", "tls": "\(tls != nil)"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        do {
            try await connection.executeThenClose { messages, acknowledgements in
                for try await message in messages {
                    guard let ack = await intake.acknowledge(String(buffer: message)) else { return }
                    try await acknowledgements.write(ByteBuffer(string: ack))
                }
            }
        } catch {
            // Never the message: it may hold patient data.
            logger.debug("HL7 v2 connection closed", metadata: ["error.type": "\(type(of: error))"])
        }
    }
}
