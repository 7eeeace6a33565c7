/// A tensor as a GGUF file describes it, with its bytes inside the mapping.
///
/// Sendable because the bytes are a read-only mapping nobody writes; they stay valid as long
/// as the `GGUFFile` the tensor came from is alive.
public struct GGUFTensor: @unchecked Sendable {
    public let name: String
    /// Dimensions, innermost first (GGML order): `shape[0]` is the length of one row.
    public let shape: [Int]
    public let type: TensorType
    /// Offset of the data from the start of the file's data section.
    public let offset: UInt64
    /// The tensor's bytes, bounds-checked against the file when it was read.
    public let data: UnsafeRawBufferPointer

    public var elementCount: Int { shape.reduce(1, *) }
    public var rowLength: Int { shape[0] }
    public var rowCount: Int { elementCount / shape[0] }
    public var rowBytes: Int { data.count / rowCount }
}

/// A parsed GGUF file (versions 2 and 3): metadata, tensor infos and a mapping of its bytes.
///
/// Parsing validates every length, count and offset against the file size, so a truncated or
/// hostile file is rejected with a `GGUFError` and later tensor reads cannot leave the mapping.
public final class GGUFFile: Sendable {
    public static let magic: UInt32 = 0x4655_4747  // "GGUF" read little-endian
    public static let defaultAlignment = 32
    /// GGML tensors have at most four dimensions.
    public static let maximumDimensions = 4

    public let version: UInt32
    /// Metadata in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensor]
    public let alignment: Int
    private let tensorIndex: [String: Int]
    private let file: MappedFile

    public convenience init(path: String) throws(GGUFError) {
        try self.init(mapping: MappedFile(path: path))
    }

    /// Drops the resident pages of a tensor copied elsewhere (see MappedFile.releasePages).
    func releasePages(of tensor: GGUFTensor) { file.releasePages(of: tensor.data) }

    /// Parses bytes already in memory (crafted files in tests).
    convenience init(bytes: [UInt8]) throws(GGUFError) {
        try self.init(mapping: MappedFile(copying: bytes))
    }

    init(mapping file: MappedFile) throws(GGUFError) {
        self.file = file
        var cursor = ByteCursor(bytes: file.bytes)
        let magic = try cursor.read(UInt32.self)
        guard magic == Self.magic else { throw .badMagic(magic) }
        version = try cursor.read(UInt32.self)
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        let tensorCount = try cursor.read(UInt64.self)
        let keyCount = try cursor.read(UInt64.self)

        // Each key-value pair needs at least a key length, a type and a one-byte value.
        try cursor.require(count: keyCount, of: 13)
        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        for _ in 0..<keyCount {
            let key = try cursor.readString()
            let value = try cursor.readValue(of: cursor.readValueType())
            guard values.updateValue(value, forKey: key) == nil else { throw .duplicateKey(key) }
            keys.append(key)
        }
        metadataKeys = keys
        metadata = values
        alignment = try Self.alignment(in: values)

        // A tensor info needs at least a name length, a dimension count, a type and an offset.
        try cursor.require(count: tensorCount, of: 24)
        var infos: [(name: String, shape: [Int], type: UInt32, offset: UInt64)] = []
        for _ in 0..<tensorCount {
            infos.append(try Self.readTensorInfo(&cursor))
        }
        let (dataStart, overflow) = cursor.offset.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw .truncated(offset: cursor.offset, length: alignment, fileSize: file.bytes.count) }
        let alignedStart = dataStart / alignment * alignment
        try cursor.skip(to: min(alignedStart, file.bytes.count))

        var tensors: [GGUFTensor] = []
        var index: [String: Int] = [:]
        for info in infos {
            let tensor = try Self.locate(info, dataStart: alignedStart, alignment: alignment, in: file.bytes)
            guard index.updateValue(tensors.count, forKey: info.name) == nil else { throw .duplicateTensor(info.name) }
            tensors.append(tensor)
        }
        self.tensors = tensors
        tensorIndex = index
    }

    public func tensor(named name: String) -> GGUFTensor? {
        tensorIndex[name].map { tensors[$0] }
    }

    public var fileSize: Int { file.bytes.count }

    private static func alignment(in metadata: [String: GGUFValue]) throws(GGUFError) -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard let alignment = value.int, alignment > 0, alignment.nonzeroBitCount == 1, alignment <= 1 << 20 else {
            throw .badAlignment(UInt64(clamping: value.int ?? 0))
        }
        return alignment
    }

    private static func readTensorInfo(
        _ cursor: inout ByteCursor
    ) throws(GGUFError) -> (name: String, shape: [Int], type: UInt32, offset: UInt64) {
        let name = try cursor.readString()
        let dimensionCount = try cursor.read(UInt32.self)
        guard (1...UInt32(maximumDimensions)).contains(dimensionCount) else {
            throw .badTensorShape(name: name, reason: "\(dimensionCount) dimensions")
        }
        var shape: [Int] = []
        for _ in 0..<dimensionCount {
            let dimension = try cursor.read(UInt64.self)
            guard dimension > 0, dimension <= UInt64(Int32.max) else {
                throw .badTensorShape(name: name, reason: "dimension \(dimension)")
            }
            shape.append(Int(dimension))
        }
        return (name, shape, try cursor.read(UInt32.self), try cursor.read(UInt64.self))
    }

    private static func locate(
        _ info: (name: String, shape: [Int], type: UInt32, offset: UInt64),
        dataStart: Int, alignment: Int, in bytes: UnsafeRawBufferPointer
    ) throws(GGUFError) -> GGUFTensor {
        guard let type = TensorType(rawValue: info.type) else {
            throw .unsupportedTensorType(name: info.name, type: info.type)
        }
        guard info.offset % UInt64(alignment) == 0 else { throw .misalignedTensor(name: info.name, offset: info.offset) }
        guard let rowBytes = type.rowBytes(elements: info.shape[0]) else {
            throw .badTensorShape(name: info.name, reason: "row of \(info.shape[0]) is not whole \(type) blocks")
        }
        var byteCount = rowBytes
        for dimension in info.shape.dropFirst() {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .tensorOutOfBounds(name: info.name) }
            byteCount = product
        }
        let available = UInt64(max(0, bytes.count - dataStart))
        guard info.offset <= available, UInt64(byteCount) <= available - info.offset else {
            throw .tensorOutOfBounds(name: info.name)
        }
        let start = dataStart + Int(info.offset)
        return GGUFTensor(
            name: info.name, shape: info.shape, type: type, offset: info.offset,
            data: UnsafeRawBufferPointer(rebasing: bytes[start..<start + byteCount]))
    }
}
