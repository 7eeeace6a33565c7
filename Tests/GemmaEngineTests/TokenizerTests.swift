import ComputeThreadTesting
import Testing

@testable import GemmaEngine

@Suite("Tokenizer", .onComputeThread)
struct TokenizerTests {
    @Test func decodeInvertsEncodeOnVariedText() throws {
        let model = try SharedModel.get()
        for text in ["Hello world", "  two spaces", "naïve café 🚑", "line\nbreak\n\n\ttab", "ÿĀ�", "a\u{00A0}b"] {
            #expect(model.decode(model.encode(text)) == text)
        }
    }

    @Test func controlTokensOnlyWhenAsked() throws {
        let model = try SharedModel.get()
        let text = "<start_of_turn>user\nhi<end_of_turn>"
        let special = model.encode(text, parseSpecial: true)
        let plain = model.encode(text, parseSpecial: false)
        let startOfTurn = TokenID(model.tokenizer.pieces.firstIndex(of: "<start_of_turn>")!)
        #expect(special[1] == startOfTurn)
        #expect(!plain.contains(startOfTurn))
        #expect(model.decode(Array(special.dropFirst()), special: true) == text)
        #expect(model.decode(special) == "user\nhi")
    }

    @Test func bytesFallBackForUnknownCharacters() throws {
        let model = try SharedModel.get()
        // U+10FFFD (plane 16 private use) is no piece: it must come out as its four UTF-8 bytes.
        let ids = model.encode("\u{10FFFD}", addBOS: false)
        #expect(ids.map { model.tokenizer.pieces[Int($0)] } == ["<0xF4>", "<0x8F>", "<0xBF>", "<0xBD>"])
        #expect(model.decode(ids) == "\u{10FFFD}")
    }

    @Test func chatTemplatePutsSystemTextInTheFirstUserTurn() {
        let prompt = ChatTemplate.prompt(system: "Be brief.", messages: [.init(.user, "Hi"), .init(.model, "Hello"), .init(.user, "Bye")])
        #expect(prompt == "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"
            + "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n")
    }
}
