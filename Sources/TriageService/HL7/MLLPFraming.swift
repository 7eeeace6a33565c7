import NIOCore

/// MLLP, the framing HL7 v2 uses over TCP (HL7 v2 transport specification, MLLP release 1): each message is
/// sent as `0x0B`, its bytes, then `0x1C 0x0D`. Bytes outside a frame are discarded. A frame growing past
/// `maxBytes` is an error: the connection is closed, since nothing after it can be trusted to line up.
struct MLLPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    static let startBlock: UInt8 = 0x0B
    static let endBlock: UInt8 = 0x1C
    static let carriageReturn: UInt8 = 0x0D

    let maxBytes: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.nextFrame(in: &buffer, maxBytes: maxBytes) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A frame cut off by the peer closing is not a message; what is complete was delivered already.
        while let frame = try Self.nextFrame(in: &buffer, maxBytes: maxBytes) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    /// The next whole frame's content, consuming it and any bytes before it; nil until one is complete.
    static func nextFrame(in buffer: inout ByteBuffer, maxBytes: Int) throws -> ByteBuffer? {
        let view = buffer.readableBytesView
        guard let start = view.firstIndex(of: startBlock) else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return nil
        }
        var searchFrom = start + 1
        while let end = view[searchFrom...].firstIndex(of: endBlock), end + 1 < view.endIndex {
            if view[end + 1] == carriageReturn {
                let frame = buffer.getSlice(at: start + 1, length: end - start - 1)
                buffer.moveReaderIndex(to: end + 2)
                return frame
            }
            searchFrom = end + 1
        }
        buffer.moveReaderIndex(to: start)
        guard buffer.readableBytes <= maxBytes + 3 else { throw MLLPFrameTooLarge(maxBytes: maxBytes) }
        return nil
    }
}

struct MLLPFrameTooLarge: Error, Equatable, CustomStringConvertible {
    let maxBytes: Int
    var description: String { "an MLLP frame is longer than \(maxBytes) bytes" }
}

/// Wraps outgoing messages (acknowledgements) in an MLLP frame.
struct MLLPFrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = ByteBuffer

    func encode(data: ByteBuffer, out: inout ByteBuffer) {
        out.writeInteger(MLLPFrameDecoder.startBlock)
        out.writeImmutableBuffer(data)
        out.writeInteger(MLLPFrameDecoder.endBlock)
        out.writeInteger(MLLPFrameDecoder.carriageReturn)
    }
}
