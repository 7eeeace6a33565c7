/// Sequential little-endian reads over a byte buffer where every read is bounds-checked
/// before memory is touched.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    /// Throws unless `length` more bytes exist; `length` may come from a hostile file.
    func require(_ length: Int) throws(GGUFError) {
        guard length >= 0, length <= remaining else {
            throw .truncated(offset: offset, length: length, fileSize: bytes.count)
        }
    }

    /// Like `require`, for a count times an element size read from the file (overflow-safe).
    func require(count: UInt64, of elementSize: Int) throws(GGUFError) {
        let (total, overflow) = count.multipliedReportingOverflow(by: UInt64(elementSize))
        guard !overflow, total <= UInt64(remaining) else {
            throw .truncated(offset: offset, length: Int(clamping: total), fileSize: bytes.count)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(GGUFError) -> T {
        try require(MemoryLayout<T>.size)
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func readFloat() throws(GGUFError) -> Float { Float(bitPattern: try read(UInt32.self)) }

    mutating func readDouble() throws(GGUFError) -> Double { Double(bitPattern: try read(UInt64.self)) }

    /// A GGUF string: a u64 byte length, then UTF-8 bytes (no terminator).
    mutating func readString() throws(GGUFError) -> String {
        let length = try read(UInt64.self)
        try require(count: length, of: 1)
        let start = offset
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<start + Int(length)])
        guard let string = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
        offset += Int(length)
        return string
    }

    mutating func skip(to newOffset: Int) throws(GGUFError) {
        try require(newOffset - offset)
        offset = newOffset
    }
}
