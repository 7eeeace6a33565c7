import ComputeThreadTesting
import Testing

@testable import GemmaEngine

@Suite("GGUF reader", .onComputeThread)
struct GGUFReaderTests {
    /// A file with every value type, nested arrays, a custom alignment and two tensors.
    static func sampleWriter(version: UInt32 = 3) -> GGUFWriter {
        var writer = GGUFWriter()
        writer.version = version
        writer.alignment = 64
        writer.metadata = [
            ("general.alignment", .uint32(64)),
            ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(60000)), ("i16", .int16(-30000)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)),
            ("u64", .uint64(UInt64.max)), ("i64", .int64(Int64.min)),
            ("f32", .float32(1.5)), ("f64", .float64(-2.25)), ("flag", .bool(true)),
            ("text", .string("naïve ▁ <0x0A>")),
            ("strings", .array([.string("a"), .string(""), .string("ü")])),
            ("nested", .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])])),
            ("empty", .array([])),
        ]
        writer.tensors = [
            .init(name: "vector", shape: [4], type: TensorType.f32.rawValue, offset: 0,
                  data: [Float(1), 2, 3, 4].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }),
            .init(name: "matrix", shape: [32, 2], type: TensorType.q8_0.rawValue, offset: 64,
                  data: [UInt8](repeating: 1, count: 68)),
        ]
        return writer
    }

    @Test(arguments: [UInt32(2), 3])
    func readsEveryValueTypeAndTensor(version: UInt32) throws {
        let writer = Self.sampleWriter(version: version)
        let file = try GGUFFile(bytes: writer.bytes())
        #expect(file.version == version)
        #expect(file.alignment == 64)
        #expect(file.metadataKeys == writer.metadata.map(\.0))
        for (key, value) in writer.metadata {
            #expect(file.metadata[key] == value, "\(key)")
        }
        let vector = try #require(file.tensor(named: "vector"))
        #expect(vector.shape == [4] && vector.type == .f32 && vector.data.count == 16)
        #expect(vector.data.load(fromByteOffset: 12, as: Float.self) == 4)
        let matrix = try #require(file.tensor(named: "matrix"))
        #expect(matrix.rowCount == 2 && matrix.rowBytes == 34 && matrix.type == .q8_0)
    }

    @Test func everyTruncationIsAnError() throws {
        let bytes = Self.sampleWriter().bytes()
        for length in 0..<bytes.count {
            #expect(throws: GGUFError.self, "prefix of \(length) bytes") {
                try GGUFFile(bytes: Array(bytes.prefix(length)))
            }
        }
    }

    /// Flipping any single bit of the header either still parses or throws; it never crashes
    /// or reads outside the file (a crash would abort the test run).
    @Test func bitFlipsNeverCrash() throws {
        let bytes = Self.sampleWriter().bytes()
        let headerEnd = bytes.count - 200
        var rejected = 0
        for index in 0..<headerEnd {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[index] ^= UInt8(1 << bit)
                do {
                    _ = try GGUFFile(bytes: flipped)
                } catch {
                    rejected += 1
                }
            }
        }
        #expect(rejected > headerEnd, "most header corruption must be detected")
    }

    @Test func rejectsBadMagicAndVersion() {
        var writer = Self.sampleWriter()
        writer.magic = 0x4C4D_4747
        #expect(throws: GGUFError.badMagic(0x4C4D_4747)) { try GGUFFile(bytes: writer.bytes()) }
        writer = Self.sampleWriter(version: 1)
        #expect(throws: GGUFError.unsupportedVersion(1)) { try GGUFFile(bytes: writer.bytes()) }
    }

    @Test func rejectsLyingCounts() {
        var writer = Self.sampleWriter()
        writer.tensorCountOverride = UInt64.max
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: writer.bytes()) }
        writer = Self.sampleWriter()
        writer.keyCountOverride = 1 << 60
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: writer.bytes()) }
    }

    @Test func rejectsHugeStringAndArrayLengths() {
        var out: [UInt8] = []
        GGUFWriter.append(GGUFFile.magic, to: &out)
        GGUFWriter.append(UInt32(3), to: &out)
        GGUFWriter.append(UInt64(0), to: &out)
        GGUFWriter.append(UInt64(1), to: &out)
        GGUFWriter.append(string: "key", to: &out)
        var hugeString = out
        GGUFWriter.append(UInt32(8), to: &hugeString)
        GGUFWriter.append(UInt64.max, to: &hugeString)
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: hugeString + [0, 0, 0]) }
        var hugeArray = out
        GGUFWriter.append(UInt32(9), to: &hugeArray)
        GGUFWriter.append(UInt32(10), to: &hugeArray)
        GGUFWriter.append(UInt64(1) << 61, to: &hugeArray)
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: hugeArray + [UInt8](repeating: 0, count: 64)) }
    }

    @Test func rejectsDeeplyNestedArrays() {
        var value = GGUFValue.int8(1)
        for _ in 0..<20 { value = .array([value]) }
        var writer = GGUFWriter()
        writer.metadata = [("deep", value)]
        let error = #expect(throws: GGUFError.self) { try GGUFFile(bytes: writer.bytes()) }
        guard case .arrayTooDeep = error else {
            Issue.record("expected arrayTooDeep, got \(String(describing: error))")
            return
        }
    }

    @Test func rejectsTensorsOutsideTheFile() {
        var writer = Self.sampleWriter()
        writer.tensors[1].data = []
        writer.tensors[1].offset = 1 << 40
        #expect(throws: GGUFError.tensorOutOfBounds(name: "matrix")) { try GGUFFile(bytes: writer.bytes()) }

        writer = Self.sampleWriter()
        writer.tensors[1].shape = [32, UInt64(Int32.max)]
        #expect(throws: GGUFError.tensorOutOfBounds(name: "matrix")) { try GGUFFile(bytes: writer.bytes()) }

        writer = Self.sampleWriter()
        writer.tensors[1].offset = 65
        #expect(throws: GGUFError.misalignedTensor(name: "matrix", offset: 65)) { try GGUFFile(bytes: writer.bytes()) }
    }

    @Test func rejectsBadShapesTypesAndDuplicates() {
        var writer = Self.sampleWriter()
        writer.tensors[1].shape = [33, 2]
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: writer.bytes()) }
        writer = Self.sampleWriter()
        writer.tensors[1].shape = [32, 0]
        #expect(throws: GGUFError.self) { try GGUFFile(bytes: writer.bytes()) }
        writer = Self.sampleWriter()
        writer.tensors[1].shape = [32, 1, 1, 1, 1]
        #expect(throws: GGUFError.badTensorShape(name: "matrix", reason: "5 dimensions")) { try GGUFFile(bytes: writer.bytes()) }
        writer = Self.sampleWriter()
        writer.tensors[1].type = 3
        #expect(throws: GGUFError.unsupportedTensorType(name: "matrix", type: 3)) { try GGUFFile(bytes: writer.bytes()) }
        writer = Self.sampleWriter()
        writer.tensors[1].name = "vector"
        #expect(throws: GGUFError.duplicateTensor("vector")) { try GGUFFile(bytes: writer.bytes()) }
        writer = Self.sampleWriter()
        writer.metadata.append(("u8", .uint8(1)))
        #expect(throws: GGUFError.duplicateKey("u8")) { try GGUFFile(bytes: writer.bytes()) }
        writer = Self.sampleWriter()
        writer.metadata[0] = ("general.alignment", .uint32(48))
        #expect(throws: GGUFError.badAlignment(48)) { try GGUFFile(bytes: writer.bytes()) }
    }

    @Test func rejectsInvalidUTF8() {
        var writer = Self.sampleWriter()
        writer.metadata = [("text", .string("abc"))]
        var bytes = writer.bytes()
        let index = bytes.firstIndex(of: UInt8(ascii: "a"))!
        bytes[index] = 0xFF
        #expect(throws: GGUFError.invalidUTF8(offset: index)) { try GGUFFile(bytes: bytes) }
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
    }
}
