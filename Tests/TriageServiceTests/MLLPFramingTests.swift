import NIOCore
import NIOTestUtils
import Testing
@testable import TriageService

/// MLLP framing, checked with swift-nio's own decoder verifier: it feeds the input whole, byte by byte and in
/// random splits, and checks the decoder leaves nothing behind and buffers nothing it should not.
@Suite("MLLP framing")
struct MLLPFramingTests {
    static func bytes(_ values: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: values) }
    static func frame(_ text: String) -> [UInt8] { [0x0B] + Array(text.utf8) + [0x1C, 0x0D] }

    @Test("frames split anywhere come out whole; noise between frames and a lone 0x1C inside one are handled")
    func frames() throws {
        let first = "MSH|^~\\&|A|B\rPID|1\r", second = "MSH|^~\\&|C|D\rOBX|1|ST|x^^LN||a\u{1C}b\r"
        let input = Self.bytes(Array("noise".utf8) + Self.frame(first) + [0x0D, 0x0A] + Self.frame(second))
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(input, [ByteBuffer(string: first), ByteBuffer(string: second)])],
            decoderFactory: { MLLPFrameDecoder(maxBytes: 1024) })
    }

    @Test("a frame longer than the limit is refused before it is complete")
    func tooLarge() throws {
        var buffer = Self.bytes([0x0B] + Array(repeating: UInt8(ascii: "A"), count: 2000))
        #expect(throws: MLLPFrameTooLarge(maxBytes: 1024)) { try MLLPFrameDecoder.nextFrame(in: &buffer, maxBytes: 1024) }
        var partial = Self.bytes([0x0B] + Array("MSH|".utf8))
        #expect(try MLLPFrameDecoder.nextFrame(in: &partial, maxBytes: 1024) == nil)
        #expect(partial.readableBytes == 5, "an incomplete frame is kept for the next read")
    }

    @Test("the encoder wraps a message in 0x0B … 0x1C 0x0D")
    func encode() {
        var out = ByteBuffer()
        MLLPFrameEncoder().encode(data: ByteBuffer(string: "MSA|AA|1\r"), out: &out)
        #expect(Array(out.readableBytesView) == Self.frame("MSA|AA|1\r"))
    }
}
