/// Why a GGUF file could not be read. Every structural problem of a truncated, corrupt or
/// hostile file ends here instead of in a crash or an out-of-bounds read.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case badMagic(UInt32)
    case unsupportedVersion(UInt32)
    /// A read of `length` bytes at `offset` would pass the end of the file (`fileSize`).
    case truncated(offset: Int, length: Int, fileSize: Int)
    case invalidUTF8(offset: Int)
    case unknownValueType(UInt32, offset: Int)
    case arrayTooDeep(offset: Int)
    case duplicateKey(String)
    case duplicateTensor(String)
    case badAlignment(UInt64)
    case badTensorShape(name: String, reason: String)
    case unsupportedTensorType(name: String, type: UInt32)
    case tensorOutOfBounds(name: String)
    case misalignedTensor(name: String, offset: UInt64)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open GGUF file \(path): \(reason)"
        case .badMagic(let magic): "not a GGUF file (magic 0x\(String(magic, radix: 16)))"
        case .unsupportedVersion(let version): "unsupported GGUF version \(version) (2 and 3 are supported)"
        case .truncated(let offset, let length, let size):
            "GGUF file is truncated or corrupt: \(length) bytes at offset \(offset) exceed the file size \(size)"
        case .invalidUTF8(let offset): "GGUF string at offset \(offset) is not valid UTF-8"
        case .unknownValueType(let type, let offset): "unknown GGUF value type \(type) at offset \(offset)"
        case .arrayTooDeep(let offset): "GGUF array at offset \(offset) is nested too deeply"
        case .duplicateKey(let key): "GGUF metadata key \(key) appears twice"
        case .duplicateTensor(let name): "GGUF tensor \(name) appears twice"
        case .badAlignment(let alignment): "general.alignment \(alignment) is not a power of two"
        case .badTensorShape(let name, let reason): "tensor \(name) has an invalid shape: \(reason)"
        case .unsupportedTensorType(let name, let type): "tensor \(name) has unsupported type \(type)"
        case .tensorOutOfBounds(let name): "tensor \(name) extends past the end of the file"
        case .misalignedTensor(let name, let offset): "tensor \(name) offset \(offset) is not aligned"
        }
    }
}
