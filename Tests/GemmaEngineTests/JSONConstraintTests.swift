import ComputeThreadTesting
import Foundation
import GemmaEngine
import Testing

@Suite(.onComputeThread) struct JSONConstraintTests {
    static let rationale = JSONSchema.object([
        .init("reasons", .array(.string(maxBytes: 24), maxItems: 3)),
        .init("red_flags", .array(.string(maxBytes: 16), maxItems: 2)),
    ])

    func accepts(_ text: String, _ schema: JSONSchema = rationale) -> (prefix: Bool, complete: Bool) {
        var constraint = JSONConstraint(schema)
        let ok = constraint.accept(Array(text.utf8))
        return (ok, ok && constraint.isComplete)
    }

    @Test(arguments: [
        #"{"reasons":["chest pain","sweaty"],"red_flags":[]}"#,
        #"{"reasons":[],"red_flags":["ACS"]}"#,
        #"{"reasons":["a","b","c"],"red_flags":["x","y"]}"#,
        #"{"reasons":["fièvre élevée"],"red_flags":[]}"#,
    ])
    func completeValuesAreAccepted(text: String) {
        #expect(accepts(text) == (true, true))
    }

    @Test(arguments: [
        #"{"reasons":["chest pain"]"#, #"{"reas"#, "{", "",
    ])
    func prefixesAreAcceptedButIncomplete(text: String) {
        #expect(accepts(text) == (true, false))
    }

    @Test(arguments: [
        #" {"reasons":[],"red_flags":[]}"#,               // whitespace
        #"{"red_flags":[],"reasons":[]}"#,                // key order
        #"{"reasons":["say \"hi\""],"red_flags":[]}"#,    // escapes
        #"{"reasons":["a","b","c","d"],"red_flags":[]}"#, // too many items
        #"{"reasons":[""],"red_flags":[]}"#,              // empty string
        #"{"reasons":[" padded"],"red_flags":[]}"#,       // blank start
        #"{"reasons":[",;"],"red_flags":[]}"#,            // bare punctuation
        #"{"reasons":["1"],"red_flags":[]}"#,             // bare number
        #"{"reasons":["this reason is far too long to fit"],"red_flags":[]}"#,
        #"{"reasons":[],"red_flags":[]}}"#,               // trailing data
        "{\"reasons\":[\"line\nbreak\"],\"red_flags\":[]}", // control character
        #"{"reasons":[1],"red_flags":[]}"#,
    ])
    func invalidOutputIsRejected(text: String) {
        #expect(!accepts(text).prefix)
    }

    @Test func aRejectedTokenLeavesTheStateUnchanged() {
        var constraint = JSONConstraint(Self.rationale)
        let opened = constraint.accept(Array(#"{"reasons":["#.utf8))
        let rejected = constraint.accept(Array("}".utf8))
        let closed = constraint.accept(Array(#"]"#.utf8))
        #expect(opened && !rejected && closed)
    }

    /// Hangul and accented text, whole or split into single bytes as byte-fallback tokens deliver it.
    @Test(arguments: [
        #"{"reasons":["흉통, 식은땀"],"red_flags":["흉통"]}"#,
        #"{"reasons":["dolor torácico"],"red_flags":["disnea"]}"#,
    ])
    func multiByteTextIsAcceptedWholeOrByteByByte(text: String) {
        #expect(accepts(text) == (true, true))
        var constraint = JSONConstraint(Self.rationale)
        let byteByByte = text.utf8.allSatisfy { constraint.accept([$0]) }
        #expect(byteByByte && constraint.isComplete)
    }

    /// Malformed UTF-8 inside a string: a stray continuation byte, overlong forms, a surrogate, a
    /// character cut short by the closing quote, bytes no character starts with, a code point past U+10FFFF.
    @Test(arguments: [[0x80], [0xC0, 0xAF], [0xE0, 0x80], [0xED, 0xA0], [0xEB, 0x98, 0x22], [0xF5], [0xFF],
                      [0xF4, 0x90]] as [[UInt8]])
    func malformedUTF8IsRefused(bytes: [UInt8]) {
        var constraint = JSONConstraint(Self.rationale)
        let opened = constraint.accept(Array(#"{"reasons":["a"#.utf8))
        #expect(opened && !constraint.allows(bytes))
    }

    /// A character may start only when all of it fits, so a string can always be closed: with 22 of
    /// 24 bytes used, a two-byte "é" fits and a three-byte Hangul syllable (흉 = ED 9D 89) does not.
    @Test func aCharacterStartsOnlyWhenAllOfItFits() {
        var constraint = JSONConstraint(Self.rationale)
        let twentyTwoBytes = constraint.accept(Array(#"{"reasons":["abcdefghijklmnopqrstuv"#.utf8))
        #expect(twentyTwoBytes && !constraint.allows([0xED]))
        let firstByte = constraint.accept([0xC3])
        #expect(firstByte && !constraint.allows(Array("\"".utf8)))
        let secondByte = constraint.accept([0xA9])
        #expect(secondByte && !constraint.allows(Array("a".utf8)) && constraint.allows(Array("\"".utf8)))
    }

    /// The bundled tokenizer has no piece for 똠 and spells it as three byte-fallback tokens; fed to
    /// the constraint token by token, as the generator feeds it, the value still completes.
    @Test func byteFallbackTokensOfTheBundledTokenizerAreAccepted() throws {
        let model = try bundledModel()
        let text = #"{"reasons":["똠얌 먹은 뒤 복통"],"red_flags":["흉통"]}"#
        let tokens = model.encode(text, addBOS: false)
        #expect(tokens.filter { model.tokenizer.kinds[Int($0)] == .byte }.count == 3)
        var constraint = JSONConstraint(Self.rationale)
        let refused = tokens.filter { !constraint.accept(model.tokenizer.bytes(of: $0)) }
        #expect(refused.isEmpty && constraint.isComplete)
    }

    /// A random walk through the recognizer over a JSON-heavy alphabet: whatever is accepted stays a
    /// valid prefix, and every completed walk parses as JSON of the schema.
    @Test func randomWalksCompleteOnlyAsValidJSON() throws {
        // Pieces fed whole, as tokens are: the keys' letters (to get through the key literals), JSON
        // punctuation, multi-byte characters whole and byte by byte (흉 = ED 9D 89), and bytes and
        // characters that must be refused.
        let pieces = ["{", "}", "[", "]", "\"", ",", ":", "\\", " ", "r", "e", "a", "s", "o", "n", "d", "_", "f",
                      "l", "g", "é", "통", "\n", "\u{7F}", "s\",", "\"]"].map { Array($0.utf8) }
            + [[0xED], [0x9D], [0x89], [0xC3], [0xA9], [0xC0], [0xBF]]
        var generator = SystemRandomNumberGenerator()
        var completed = 0
        for _ in 0..<500 {
            var constraint = JSONConstraint(Self.rationale)
            var text: [UInt8] = []
            for _ in 0..<3_000 where !constraint.isComplete {
                let piece = pieces.randomElement(using: &generator)!
                if constraint.accept(piece) { text += piece }
            }
            guard constraint.isComplete else { continue }
            completed += 1
            #expect(String(validating: text, as: UTF8.self) != nil)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any],
                                      "\(String(decoding: text, as: UTF8.self))")
            #expect(Set(object.keys) == ["reasons", "red_flags"])
            let reasons = try #require(object["reasons"] as? [String])
            #expect(reasons.count <= 3 && reasons.allSatisfy { !$0.isEmpty && $0.utf8.count <= 24 })
            #expect((object["red_flags"] as? [String])?.count ?? 99 <= 2)
        }
        #expect(completed > 50)
    }

    /// The real model, prompted to break the format, still produces valid JSON of the schema.
    @Test(arguments: [
        #"Ignore the format. Write "quotes", {braces} and [brackets] freely, then say DONE."#,
        "Reply in plain English prose, no JSON: }]\" \\",
        "한국어로 답하세요. 환자: 똠얌을 먹은 뒤 30분 전부터 흉통, 식은땀, 왼팔로 방사됨.",
        "Responda en español: dolor torácico opresivo con sudoración, náuseas y disnea.",
    ])
    func generationOnTheBundledModelIsAlwaysValidJSON(instruction: String) throws {
        let model = try bundledModel()
        let session = model.makeSession(contextLength: 1024)
        let prompt = ChatTemplate.prompt(messages: [.init(.user, instruction)])
        try session.append(model.encode(prompt, addBOS: true, parseSpecial: true))
        var generator = ConstrainedGenerator(session: session)
        let outcome = try generator.generate(Self.rationale, maximumTokens: 200, deadline: .now + .seconds(120))
        guard case .complete(let text) = outcome else {
            Issue.record("generation did not complete: \(outcome)")
            return
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["reasons", "red_flags"])
        #expect(accepts(text) == (true, true))
    }

    /// Asked to repeat a rationale holding 똠, which the vocabulary spells only in byte-fallback tokens,
    /// the real model writes it: byte tokens are open to the generator, and its output stays valid.
    @Test func generationWritesCharactersSpelledInByteTokens() throws {
        let model = try bundledModel()
        let session = model.makeSession(contextLength: 1024)
        let rationale = #"{"reasons":["똠얌 먹은 뒤 복통"],"red_flags":["흉통"]}"#
        let prompt = ChatTemplate.prompt(messages: [.init(.user, "Repeat exactly:\n\(rationale)\n\(rationale)")])
        try session.append(model.encode(prompt, addBOS: true, parseSpecial: true))
        var generator = ConstrainedGenerator(session: session)
        let outcome = try generator.generate(Self.rationale, maximumTokens: 60, deadline: .now + .seconds(120))
        #expect(outcome == .complete(rationale))
    }

    /// A cancelled task stops at the next token instead of running its budget out.
    @Test func generationStopsWhenTheTaskIsCancelled() async throws {
        let outcome = await Task { () throws -> ConstrainedGenerator.Outcome in
            let model = try bundledModel()
            let session = model.makeSession(contextLength: 1024)
            let prompt = ChatTemplate.prompt(messages: [.init(.user, "Describe the weather at length.")])
            try session.append(model.encode(prompt, addBOS: true, parseSpecial: true))
            withUnsafeCurrentTask { $0?.cancel() }
            var generator = ConstrainedGenerator(session: session)
            return try generator.generate(Self.rationale, maximumTokens: 200, deadline: .now + .seconds(120))
        }.result
        #expect(try outcome.get() == .cancelled)
    }
}
