/// A JSON shape that constrained decoding enforces: strings, arrays of a shape, and objects with
/// fixed keys in a fixed order. Output is compact (no whitespace) and strings take no escapes, so
/// every complete output is valid JSON whatever the model would have liked to write.
public indirect enum JSONSchema: Sendable, Hashable {
    /// A string of 1 to `maxBytes` bytes of well-formed UTF-8, without `"`, `\` or control characters,
    /// starting with a letter or a non-ASCII character (so never blank, a bare number or punctuation).
    /// A character may arrive split across tokens (byte-fallback tokens), so the recognizer checks
    /// UTF-8 byte by byte and admits a character's first byte only when the whole character still fits.
    case string(maxBytes: Int)
    /// Up to `maxItems` values of one shape.
    case array(JSONSchema, maxItems: Int)
    /// Exactly these keys, in this order.
    case object([Field])

    public struct Field: Sendable, Hashable {
        public var key: String
        public var value: JSONSchema
        public init(_ key: String, _ value: JSONSchema) {
            self.key = key
            self.value = value
        }
    }
}

/// A byte-level recognizer of the valid prefixes of one `JSONSchema`: the token mask of constrained
/// decoding. A value type, so trying a token is copying the state and feeding its bytes.
public struct JSONConstraint: Sendable {
    /// What the recognizer still expects, innermost last.
    enum Expectation: Sendable, Hashable {
        case value(JSONSchema)
        case literal([UInt8], next: Int)
        /// Inside a string after `count` bytes; `character` is the rest of a character begun but not finished.
        case stringBody(count: Int, maxBytes: Int, character: UTF8Continuation?)
        /// After `[`: an item or `]`.
        case arrayStart(JSONSchema, maxItems: Int)
        /// After an item: `,` and another item, or `]`.
        case arrayNext(JSONSchema, maxItems: Int, count: Int)
    }

    private var pending: [Expectation]

    public init(_ schema: JSONSchema) { pending = [.value(schema)] }

    /// The whole value has been read.
    public var isComplete: Bool { pending.isEmpty }

    /// Whether `bytes` keep the output a valid prefix; on false the state is unchanged.
    public mutating func accept(_ bytes: [UInt8]) -> Bool {
        var trial = self
        for byte in bytes where !trial.feed(byte) { return false }
        self = trial
        return true
    }

    /// Whether accepting `bytes` would keep the output a valid prefix.
    public func allows(_ bytes: [UInt8]) -> Bool {
        var trial = self
        return trial.accept(bytes)
    }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    private static func canStartString(_ byte: UInt8) -> Bool {
        byte >= 0x80 || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    private mutating func feed(_ byte: UInt8) -> Bool {
        while let top = pending.popLast() {
            switch top {
            case .value(.string(let maxBytes)):
                guard byte == Self.quote else { return false }
                pending.append(.stringBody(count: 0, maxBytes: maxBytes, character: nil))
                return true
            case .value(.array(let item, let maxItems)):
                guard byte == UInt8(ascii: "[") else { return false }
                pending.append(.arrayStart(item, maxItems: maxItems))
                return true
            case .value(.object(let fields)):
                // Expand into literals and values, then read the byte against the first of them.
                var parts: [Expectation] = []
                for (index, field) in fields.enumerated() {
                    parts.append(.literal(Array(((index == 0 ? "{" : ",") + "\"\(field.key)\":").utf8), next: 0))
                    parts.append(.value(field.value))
                }
                parts.append(.literal(Array((fields.isEmpty ? "{}" : "}").utf8), next: 0))
                pending += parts.reversed()
            case .literal(let text, let next):
                guard byte == text[next] else { return false }
                if next + 1 < text.count { pending.append(.literal(text, next: next + 1)) }
                return true
            case .stringBody(let count, let maxBytes, let character?):
                guard character.next.contains(byte) else { return false }
                pending.append(.stringBody(count: count + 1, maxBytes: maxBytes, character: character.afterOneByte))
                return true
            case .stringBody(let count, let maxBytes, nil):
                if byte == Self.quote { return count > 0 }
                guard byte >= 0x20, byte != Self.backslash, byte != 0x7F, count > 0 || Self.canStartString(byte),
                      let started = UTF8Continuation.after(leadByte: byte), count + 1 + started.count <= maxBytes
                else { return false }
                pending.append(.stringBody(count: count + 1, maxBytes: maxBytes,
                                           character: started.count > 0 ? started : nil))
                return true
            case .arrayStart(let item, let maxItems):
                if byte == UInt8(ascii: "]") { return true }
                guard maxItems > 0 else { return false }
                pending.append(.arrayNext(item, maxItems: maxItems, count: 1))
                pending.append(.value(item))
            case .arrayNext(let item, let maxItems, let count):
                if byte == UInt8(ascii: "]") { return true }
                guard byte == UInt8(ascii: ","), count < maxItems else { return false }
                pending.append(.arrayNext(item, maxItems: maxItems, count: count + 1))
                pending.append(.value(item))
                return true
            }
        }
        return false
    }
}

/// The bytes still owed by a UTF-8 character whose first byte has been read, after the table of
/// well-formed byte sequences (Unicode 15, §3.9 table 3-7; RFC 3629 §4): no overlong forms, no
/// surrogates, nothing past U+10FFFF.
struct UTF8Continuation: Sendable, Hashable {
    /// Continuation bytes still to come.
    var count: Int
    /// The range the next byte must fall in.
    var next: ClosedRange<UInt8>

    /// What follows `byte` as a character's first byte: nothing (`count` 0) for ASCII, nil for a byte
    /// that cannot start a character.
    static func after(leadByte byte: UInt8) -> UTF8Continuation? {
        switch byte {
        case 0x00...0x7F: UTF8Continuation(count: 0, next: anyContinuation)
        case 0xC2...0xDF: UTF8Continuation(count: 1, next: anyContinuation)
        case 0xE0: UTF8Continuation(count: 2, next: 0xA0...0xBF)
        case 0xED: UTF8Continuation(count: 2, next: 0x80...0x9F)
        case 0xE1...0xEF: UTF8Continuation(count: 2, next: anyContinuation)
        case 0xF0: UTF8Continuation(count: 3, next: 0x90...0xBF)
        case 0xF4: UTF8Continuation(count: 3, next: 0x80...0x8F)
        case 0xF1...0xF3: UTF8Continuation(count: 3, next: anyContinuation)
        default: nil
        }
    }

    static let anyContinuation: ClosedRange<UInt8> = 0x80...0xBF

    /// After one more continuation byte; nil once the character is complete.
    var afterOneByte: UTF8Continuation? {
        count > 1 ? UTF8Continuation(count: count - 1, next: Self.anyContinuation) : nil
    }
}
