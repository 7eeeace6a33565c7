import CGemmaKernels

public typealias TokenID = Int32

/// Gemma's SentencePiece tokenizer, read from GGUF (`tokenizer.ggml.model = llama`).
///
/// Encoding follows SentencePiece's BPE mode as llama.cpp implements it: spaces become U+2581,
/// the text is split into UTF-8 characters, adjacent pairs whose concatenation is a vocabulary
/// piece merge highest score first (leftmost on ties), and characters that end up in no piece
/// fall back to their bytes as `<0xNN>` tokens.
public struct Tokenizer: Sendable {
    /// SentencePiece piece kinds, by the codes GGUF stores in `tokenizer.ggml.token_type`.
    public enum PieceKind: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public let pieces: [String]
    public let scores: [Float]
    public let kinds: [PieceKind]
    public let bosID: TokenID
    public let eosID: TokenID
    /// Whether encoding prepends a space to the text (SentencePiece's add_dummy_prefix); false for Gemma.
    public let addsSpacePrefix: Bool
    /// Keyed by bytes, not String: Swift's String equality is canonical equivalence, which would
    /// conflate distinct pieces such as precomposed and combining accents.
    private let pieceIDs: [[UInt8]: TokenID]
    private let byteIDs: [TokenID]
    /// Control and user-defined pieces, longest first: the order in which they are cut out of raw text.
    private let specialPieces: [(bytes: [UInt8], id: TokenID)]

    public var vocabularySize: Int { pieces.count }

    public init(metadata: [String: GGUFValue]) throws(GemmaModelError) {
        guard metadata["tokenizer.ggml.model"]?.string == "llama" else {
            throw .badTokenizer("tokenizer.ggml.model is not llama (SentencePiece)")
        }
        guard let pieces = metadata["tokenizer.ggml.tokens"]?.array?.compactMap(\.string), !pieces.isEmpty,
              let scores = metadata["tokenizer.ggml.scores"]?.array?.compactMap(\.double),
              let kindCodes = metadata["tokenizer.ggml.token_type"]?.array?.compactMap(\.int),
              scores.count == pieces.count, kindCodes.count == pieces.count
        else { throw .badTokenizer("tokens, scores and token types must be arrays of equal length") }
        self.pieces = pieces
        self.scores = scores.map(Float.init)
        kinds = kindCodes.map { PieceKind(rawValue: Int32(clamping: $0)) ?? .normal }
        func id(_ key: String) throws(GemmaModelError) -> TokenID {
            guard let id = metadata[key]?.int, pieces.indices.contains(id) else { throw .badTokenizer("\(key) missing or out of range") }
            return TokenID(id)
        }
        bosID = try id("tokenizer.ggml.bos_token_id")
        eosID = try id("tokenizer.ggml.eos_token_id")
        addsSpacePrefix = metadata["tokenizer.ggml.add_space_prefix"]?.bool ?? true

        var pieceIDs: [[UInt8]: TokenID] = [:]
        pieceIDs.reserveCapacity(pieces.count)
        for (index, piece) in pieces.enumerated() where pieceIDs[Array(piece.utf8)] == nil {
            pieceIDs[Array(piece.utf8)] = TokenID(index)
        }
        self.pieceIDs = pieceIDs
        byteIDs = try (0..<256).map { (byte: Int) throws(GemmaModelError) -> TokenID in
            let name = "<0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) + ">"
            guard let id = pieceIDs[Array(name.utf8)] else { throw .badTokenizer("byte piece \(name) missing") }
            return id
        }
        let kinds = self.kinds
        specialPieces = pieces.indices
            .filter { [.control, .userDefined, .unknown].contains(kinds[$0]) && !pieces[$0].isEmpty }
            .map { (bytes: Array(pieces[$0].utf8), id: TokenID($0)) }
            .sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
    }

    // MARK: encoding

    /// Token ids of `text`, optionally after a BOS. User-defined pieces (Gemma's runs of
    /// spaces and newlines) are always matched whole; control pieces such as
    /// `<start_of_turn>` only when `parseSpecial` is set, otherwise they are plain text.
    public func encode(_ text: String, addBOS: Bool = true, parseSpecial: Bool = false) -> [TokenID] {
        var output: [TokenID] = addBOS ? [bosID] : []
        let bytes = Array(text.utf8)
        var previousWasSpecial = true
        for fragment in partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .piece(let id):
                output.append(id)
                previousWasSpecial = true
            case .text(let range):
                var escaped: [UInt8] = addsSpacePrefix && previousWasSpecial ? Self.spaceMark : []
                for byte in bytes[range] {
                    if byte == UInt8(ascii: " ") { escaped += Self.spaceMark } else { escaped.append(byte) }
                }
                mergePieces(escaped, into: &output)
                previousWasSpecial = false
            }
        }
        return output
    }

    /// U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space.
    static let spaceMark: [UInt8] = [0xE2, 0x96, 0x81]

    private enum Fragment {
        case text(Range<Int>)
        case piece(TokenID)
    }

    /// Cuts special pieces out of the text, longest piece first, leftmost occurrence first.
    private func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = bytes.isEmpty ? [] : [.text(0..<bytes.count)]
        for special in specialPieces {
            if !parseSpecial && kinds[Int(special.id)] != .userDefined { continue }
            guard Self.find(special.bytes, in: bytes, range: 0..<bytes.count) != nil else { continue }
            fragments = fragments.flatMap { fragment -> [Fragment] in
                guard case .text(let range) = fragment else { return [fragment] }
                return split(range, of: bytes, on: special)
            }
        }
        return fragments
    }

    private func split(_ range: Range<Int>, of bytes: [UInt8], on special: (bytes: [UInt8], id: TokenID)) -> [Fragment] {
        var result: [Fragment] = []
        var start = range.lowerBound
        while let match = Self.find(special.bytes, in: bytes, range: start..<range.upperBound) {
            if match > start { result.append(.text(start..<match)) }
            result.append(.piece(special.id))
            start = match + special.bytes.count
        }
        if start < range.upperBound { result.append(.text(start..<range.upperBound)) }
        return result
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], range: Range<Int>) -> Int? {
        guard needle.count <= range.count else { return nil }
        let found = haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pattern in
                gk_find_bytes(hay.baseAddress! + range.lowerBound, Int64(range.count), pattern.baseAddress!, Int64(pattern.count))
            }
        }
        return found < 0 ? nil : range.lowerBound + Int(found)
    }

    /// One symbol of the merge: a byte range of the escaped text in a doubly linked list.
    private struct Symbol {
        var start: Int
        var length: Int
        var previous: Int
        var next: Int
    }

    private struct Bigram: Comparable {
        let score: Float
        let left: Int
        let right: Int
        let length: Int
        /// Heap order: higher score first, then the leftmost pair.
        static func < (a: Bigram, b: Bigram) -> Bool {
            a.score != b.score ? a.score > b.score : a.left < b.left
        }
    }

    /// Bytes per UTF-8 character by the high nibble of its first byte (stray continuation bytes count as one).
    private static func characterLength(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: 2
        case 0xE: 3
        case 0xF: 4
        default: 1
        }
    }

    private func mergePieces(_ text: [UInt8], into output: inout [TokenID]) {
        var symbols: [Symbol] = []
        var offset = 0
        while offset < text.count {
            let length = min(Self.characterLength(text[offset]), text.count - offset)
            symbols.append(Symbol(start: offset, length: length, previous: symbols.count - 1, next: -1))
            offset += length
            if offset < text.count { symbols[symbols.count - 1].next = symbols.count }
        }
        var queue = MinHeap<Bigram>()
        func addBigram(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let start = symbols[left].start, length = symbols[left].length + symbols[right].length
            guard let id = pieceID(text[start..<start + length]) else { return }
            queue.push(Bigram(score: scores[Int(id)], left: left, right: right, length: length))
        }
        for index in symbols.indices.dropFirst() { addBigram(index - 1, index) }
        while let bigram = queue.pop() {
            let left = symbols[bigram.left], right = symbols[bigram.right]
            // Stale entries: one side was merged away since this pair was queued.
            guard left.length > 0, right.length > 0, left.length + right.length == bigram.length else { continue }
            symbols[bigram.left].length += right.length
            symbols[bigram.right].length = 0
            symbols[bigram.left].next = right.next
            if right.next >= 0 { symbols[right.next].previous = bigram.left }
            addBigram(symbols[bigram.left].previous, bigram.left)
            addBigram(bigram.left, symbols[bigram.left].next)
        }
        var index = symbols.isEmpty ? -1 : 0
        while index >= 0 {
            let symbol = symbols[index]
            let bytes = text[symbol.start..<symbol.start + symbol.length]
            if let id = pieceID(bytes) {
                output.append(id)
            } else {
                output += bytes.map { byteIDs[Int($0)] }
            }
            index = symbol.next
        }
    }

    private func pieceID(_ bytes: ArraySlice<UInt8>) -> TokenID? {
        pieceIDs[Array(bytes)]
    }

    // MARK: decoding

    /// The bytes token `id` stands for. Control pieces decode to nothing unless `special` is set.
    public func bytes(of id: TokenID, special: Bool = false) -> [UInt8] {
        guard pieces.indices.contains(Int(id)) else { return [] }
        let piece = pieces[Int(id)]
        switch kinds[Int(id)] {
        case .normal:
            return Self.unescapingSpaces(Array(piece.utf8))
        case .byte:
            return [byteValue(piece)]
        case .userDefined:
            return Array(piece.utf8)
        case .control, .unknown, .unused:
            return special ? Array(piece.utf8) : []
        }
    }

    /// Text of a token sequence (invalid UTF-8 across an incomplete sequence becomes U+FFFD).
    public func decode(_ ids: [TokenID], special: Bool = false) -> String {
        String(decoding: ids.flatMap { bytes(of: $0, special: special) }, as: UTF8.self)
    }

    /// Replaces each U+2581 with a space.
    static func unescapingSpaces(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index...].starts(with: spaceMark) {
                result.append(UInt8(ascii: " "))
                index += spaceMark.count
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    private func byteValue(_ piece: String) -> UInt8 {
        UInt8(piece.dropFirst(3).dropLast(), radix: 16) ?? 0
    }
}
