/// One GGUF metadata value, of any of the format's thirteen value types.
public enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double)
    case bool(Bool)
    case string(String)
    /// Elements all of one type; arrays may nest.
    case array([GGUFValue])

    /// Any integer value that fits an Int (so callers need not know the stored width).
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// Any numeric value as a Double.
    public var double: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: int.map(Double.init)
        }
    }

    public var string: String? {
        if case .string(let v) = self { v } else { nil }
    }

    public var bool: Bool? {
        if case .bool(let v) = self { v } else { nil }
    }

    public var array: [GGUFValue]? {
        if case .array(let v) = self { v } else { nil }
    }
}

/// The on-disk type codes of GGUF metadata values.
enum GGUFValueType: UInt32 {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes the smallest value of this type occupies (a string's is its 8-byte length),
    /// used to reject array counts the remaining file cannot possibly hold.
    var minimumSize: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}

extension ByteCursor {
    /// Arrays deeper than this are rejected: real files nest at most once or twice, and a
    /// hostile file must not exhaust the stack.
    static let maximumArrayDepth = 8

    mutating func readValueType() throws(GGUFError) -> GGUFValueType {
        let at = offset
        let raw = try read(UInt32.self)
        guard let type = GGUFValueType(rawValue: raw) else { throw .unknownValueType(raw, offset: at) }
        return type
    }

    mutating func readValue(of type: GGUFValueType, depth: Int = 0) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read())
        case .int8: return .int8(try read())
        case .uint16: return .uint16(try read())
        case .int16: return .int16(try read())
        case .uint32: return .uint32(try read())
        case .int32: return .int32(try read())
        case .uint64: return .uint64(try read())
        case .int64: return .int64(try read())
        case .float32: return .float32(try readFloat())
        case .float64: return .float64(try readDouble())
        case .bool: return .bool(try read(UInt8.self) != 0)
        case .string: return .string(try readString())
        case .array: return .array(try readArray(depth: depth + 1))
        }
    }

    private mutating func readArray(depth: Int) throws(GGUFError) -> [GGUFValue] {
        let start = offset
        guard depth <= Self.maximumArrayDepth else { throw .arrayTooDeep(offset: start) }
        let elementType = try readValueType()
        let count = try read(UInt64.self)
        try require(count: count, of: elementType.minimumSize)
        var elements: [GGUFValue] = []
        elements.reserveCapacity(Int(count))
        for _ in 0..<count {
            elements.append(try readValue(of: elementType, depth: depth))
        }
        return elements
    }
}
