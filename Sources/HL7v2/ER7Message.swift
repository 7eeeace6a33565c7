/// An HL7 v2 message in its ER7 ("pipe and hat") encoding, parsed into segments and fields.
///
/// The delimiters come from the message itself: MSH-1 is the field separator, MSH-2 the component,
/// repetition, escape and subcomponent characters (and, from v2.7, a truncation character, which is only
/// ever displayed). Segments end with a carriage return; a line feed, or both, is read the same way because
/// files and some engines use them. Values are kept escaped and unescaped only when read, so that a
/// delimiter written as `\F\` stays text.
public struct ER7Message: Sendable {
    public struct Delimiters: Sendable, Equatable {
        public var field: Character = "|"
        public var component: Character = "^"
        public var repetition: Character = "~"
        public var escape: Character = "\\"
        public var subcomponent: Character = "&"

        public init() {}

        /// MSH-2 as it should be written back (in acknowledgements).
        public var encodingCharacters: String { String([component, repetition, escape, subcomponent]) }
    }

    public struct Segment: Sendable {
        /// The segment id, e.g. `PID`.
        public let id: String
        /// Fields by HL7 number: `fields[1]` is SEG-1. For MSH, `fields[1]` is the field separator and
        /// `fields[2]` the encoding characters, as the standard numbers them.
        let fields: [Substring]
        let delimiters: Delimiters

        /// The text of SEG-`field`, repetition `repetition`, component `component`, subcomponent
        /// `subcomponent` (all 1-based), escapes resolved; nil when absent or empty.
        public func value(_ field: Int, repetition: Int = 1, component: Int = 1, subcomponent: Int = 1) -> String? {
            guard field >= 1, field < fields.count else { return nil }
            if id == "MSH" && field <= 2 { return String(fields[field]) }
            let raw = Self.part(fields[field], delimiters.repetition, repetition)
                .flatMap { Self.part($0, delimiters.component, component) }
                .flatMap { Self.part($0, delimiters.subcomponent, subcomponent) }
            guard let raw, !raw.isEmpty else { return nil }
            return ER7Escaping.unescape(raw, delimiters)
        }

        /// How many repetitions SEG-`field` has (0 when empty).
        public func repetitionCount(_ field: Int) -> Int {
            guard field >= 1, field < fields.count, !fields[field].isEmpty else { return 0 }
            return fields[field].split(separator: delimiters.repetition, omittingEmptySubsequences: false).count
        }

        private static func part(_ text: Substring, _ separator: Character, _ index: Int) -> Substring? {
            guard index >= 1 else { return nil }
            let parts = text.split(separator: separator, maxSplits: index, omittingEmptySubsequences: false)
            return index <= parts.count ? parts[index - 1] : nil
        }
    }

    public let delimiters: Delimiters
    public let segments: [Segment]

    /// The first segment with `id`.
    public func segment(_ id: String) -> Segment? { segments.first { $0.id == id } }

    /// Every segment with `id`, in order (an error location's occurrence counts among them, from 1).
    public func segments(_ id: String) -> [Segment] { segments.filter { $0.id == id } }

    /// MSH-9 as `type^event`, e.g. `ADT^A04`.
    public var messageType: String? { segment("MSH")?.value(9) }
    public var triggerEvent: String? { segment("MSH")?.value(9, component: 2) }
    /// MSH-10: the sender's id of this message, which an acknowledgement echoes and re-sends repeat.
    public var controlID: String? { segment("MSH")?.value(10) }
    /// MSH-12.
    public var version: String? { segment("MSH")?.value(12) }

    public init(parsing text: String) throws(ER7Error) {
        let lines = text.split(omittingEmptySubsequences: true) { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let header = lines.first, header.hasPrefix("MSH"), header.count >= 8 else {
            throw ER7Error.notHL7("the message does not start with an MSH segment")
        }
        var delimiters = Delimiters()
        let characters = Array(header.prefix(8))
        delimiters.field = characters[3]
        delimiters.component = characters[4]
        delimiters.repetition = characters[5]
        delimiters.escape = characters[6]
        delimiters.subcomponent = characters[7]
        let all = [delimiters.field, delimiters.component, delimiters.repetition, delimiters.escape, delimiters.subcomponent]
        guard Set(all).count == all.count, !all.contains(where: { $0.isLetter || $0.isNumber || $0.isWhitespace }) else {
            throw ER7Error.notHL7("MSH-1 and MSH-2 must be five distinct delimiter characters")
        }
        self.delimiters = delimiters
        var segments: [Segment] = []
        for line in lines {
            let parts = line.split(separator: delimiters.field, omittingEmptySubsequences: false)
            let id = String(parts[0])
            guard id.count == 3, id.allSatisfy({ $0.isUppercase || $0.isNumber }) else {
                throw ER7Error.malformed(segment: segments.count + 1, "a segment id must be three capitals or digits")
            }
            // MSH-1 is the separator itself, so MSH's fields shift by one against the split.
            let fields = id == "MSH" ? [parts[0], Substring(String(delimiters.field))] + parts.dropFirst()
                                     : Array(parts)
            segments.append(Segment(id: id, fields: fields, delimiters: delimiters))
        }
        self.segments = segments
    }
}

public enum ER7Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not an HL7 v2 message at all: answered `AR`.
    case notHL7(String)
    /// A segment that cannot be read: answered `AR`, naming the segment's position.
    case malformed(segment: Int, String)

    public var description: String {
        switch self {
        case .notHL7(let why): why
        case .malformed(let segment, let why): "segment \(segment): \(why)"
        }
    }
}

/// A place in a message, as `ERR-2` names it: the segment, its occurrence among segments of that id (from 1),
/// and the field number.
public struct ER7Location: Sendable, Equatable {
    public var segment: String
    public var occurrence: Int
    public var field: Int

    public init(_ segment: String, _ occurrence: Int, _ field: Int) {
        self.segment = segment
        self.occurrence = occurrence
        self.field = field
    }
}

/// HL7 v2 escape sequences (v2.8 chapter 2.7): `\F\ \S\ \T\ \R\ \E\` for the delimiters, `\Xhh…\` for
/// bytes, `\.br\` for a line break; formatting and character-set sequences are dropped.
enum ER7Escaping {
    static func unescape(_ text: Substring, _ delimiters: ER7Message.Delimiters) -> String {
        guard text.contains(delimiters.escape) else { return String(text) }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == delimiters.escape,
                  let end = text[text.index(after: index)...].firstIndex(of: delimiters.escape) else {
                result.append(character)
                index = text.index(after: index)
                continue
            }
            let sequence = text[text.index(after: index)..<end]
            switch sequence.first ?? " " {
            case "F" where sequence.count == 1: result.append(delimiters.field)
            case "S" where sequence.count == 1: result.append(delimiters.component)
            case "T" where sequence.count == 1: result.append(delimiters.subcomponent)
            case "R" where sequence.count == 1: result.append(delimiters.repetition)
            case "E" where sequence.count == 1: result.append(delimiters.escape)
            case "X": result += hexText(sequence.dropFirst())
            case ".":
                if sequence == ".br" { result.append("\n") }
            default: break  // highlighting, character sets, local escapes: not text
            }
            index = text.index(after: end)
        }
        return result
    }

    /// `\Xhh…\`: bytes in hex, read as UTF-8 (invalid bytes become U+FFFD).
    private static func hexText(_ hex: Substring) -> String {
        var bytes: [UInt8] = []
        var digits = hex.makeIterator()
        while let high = digits.next(), let low = digits.next() {
            guard let byte = UInt8(String([high, low]), radix: 16) else { return "" }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func escape(_ text: String, _ delimiters: ER7Message.Delimiters) -> String {
        var result = ""
        for character in text {
            switch character {
            case delimiters.escape: result += "\(delimiters.escape)E\(delimiters.escape)"
            case delimiters.field: result += "\(delimiters.escape)F\(delimiters.escape)"
            case delimiters.component: result += "\(delimiters.escape)S\(delimiters.escape)"
            case delimiters.subcomponent: result += "\(delimiters.escape)T\(delimiters.escape)"
            case delimiters.repetition: result += "\(delimiters.escape)R\(delimiters.escape)"
            case "\r", "\n", "\r\n": result += "\(delimiters.escape).br\(delimiters.escape)"
            default: result.append(character)
            }
        }
        return result
    }
}
