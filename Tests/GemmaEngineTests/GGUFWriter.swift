@testable import GemmaEngine

/// Writes small GGUF files for tests, including deliberately wrong ones: every field can be
/// given a value that contradicts the rest of the file.
struct GGUFWriter {
    struct Tensor {
        var name: String
        var shape: [UInt64]
        var type: UInt32
        var offset: UInt64
        var data: [UInt8]
    }

    var magic: UInt32 = GGUFFile.magic
    var version: UInt32 = 3
    var metadata: [(String, GGUFValue)] = []
    var tensors: [Tensor] = []
    var alignment = 32
    /// Overrides the stored tensor and key counts, to lie about them.
    var tensorCountOverride: UInt64?
    var keyCountOverride: UInt64?

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        Self.append(magic, to: &out)
        Self.append(version, to: &out)
        Self.append(tensorCountOverride ?? UInt64(tensors.count), to: &out)
        Self.append(keyCountOverride ?? UInt64(metadata.count), to: &out)
        for (key, value) in metadata {
            Self.append(string: key, to: &out)
            Self.append(Self.typeCode(value), to: &out)
            Self.append(value: value, to: &out)
        }
        for tensor in tensors {
            Self.append(string: tensor.name, to: &out)
            Self.append(UInt32(tensor.shape.count), to: &out)
            tensor.shape.forEach { Self.append($0, to: &out) }
            Self.append(tensor.type, to: &out)
            Self.append(tensor.offset, to: &out)
        }
        let dataStart = (out.count + alignment - 1) / alignment * alignment
        out += [UInt8](repeating: 0, count: dataStart - out.count)
        for tensor in tensors where !tensor.data.isEmpty {
            let end = dataStart + Int(tensor.offset) + tensor.data.count
            if out.count < end { out += [UInt8](repeating: 0, count: end - out.count) }
            out.replaceSubrange(dataStart + Int(tensor.offset)..<end, with: tensor.data)
        }
        return out
    }

    static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    static func append(string: String, to out: inout [UInt8]) {
        append(UInt64(string.utf8.count), to: &out)
        out += string.utf8
    }

    static func typeCode(_ value: GGUFValue) -> UInt32 {
        switch value {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    static func append(value: GGUFValue, to out: inout [UInt8]) {
        switch value {
        case .uint8(let v): append(v, to: &out)
        case .int8(let v): append(v, to: &out)
        case .uint16(let v): append(v, to: &out)
        case .int16(let v): append(v, to: &out)
        case .uint32(let v): append(v, to: &out)
        case .int32(let v): append(v, to: &out)
        case .uint64(let v): append(v, to: &out)
        case .int64(let v): append(v, to: &out)
        case .float32(let v): append(v.bitPattern, to: &out)
        case .float64(let v): append(v.bitPattern, to: &out)
        case .bool(let v): append(UInt8(v ? 1 : 0), to: &out)
        case .string(let v): append(string: v, to: &out)
        case .array(let elements):
            append(elements.first.map(typeCode) ?? 4, to: &out)
            append(UInt64(elements.count), to: &out)
            elements.forEach { append(value: $0, to: &out) }
        }
    }
}
