import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 server on loopback that answers on SwiftNIO's event-loop threads. A scripted peer (a model
/// server) built this way answers at once even while other tests in the process hold Swift's small
/// cooperative pool with seconds of synchronous engine work, so a client's timeout measures the client
/// under test, not the test process's load.
enum EventLoopHTTPServer {
    /// Answers one request: its head (method, path, headers) and body in, status and JSON body out.
    typealias Respond = @Sendable (_ head: HTTPRequestHead, _ body: Data) -> (status: Int, json: String)

    /// Runs `body` with the server listening on a free port, then closes it.
    static func serve<Result: Sendable>(_ respond: @escaping Respond,
                                        _ body: (URL) async throws -> Result) async throws -> Result {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let url = URL(string: "http://127.0.0.1:\(channel.localAddress?.port ?? 0)")!
        do {
            let result = try await body(url)
            try await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Collects one request's head and body, then writes the scripted answer.
    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let respond: Respond
        private var head: HTTPRequestHead?
        private var body = Data()

        init(respond: @escaping Respond) { self.respond = respond }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let requestHead):
                head = requestHead
                body = Data()
            case .body(let buffer):
                body.append(contentsOf: buffer.readableBytesView)
            case .end:
                guard let head else { return }
                let (status, json) = respond(head, body)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(json.utf8.count)")
                let responseHead = HTTPResponseHead(version: head.version, status: .init(statusCode: status),
                                                    headers: headers)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: json)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
