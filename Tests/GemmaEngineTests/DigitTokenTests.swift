import ComputeThreadTesting
import Foundation
import GemmaEngine
import Testing

/// The bundled model, or a clear failure naming how to get it.
func bundledModel() throws -> GemmaModel {
    let path = ProcessInfo.processInfo.environment["EDTRIAGE_MODEL_PATH"] ?? GemmaModel.defaultPath
    guard FileManager.default.fileExists(atPath: path) else {
        Issue.record("model file \(path) is missing: run scripts/fetch-model.sh or set EDTRIAGE_MODEL_PATH")
        throw CancellationError()
    }
    return try GemmaModel(path: path, threads: 2)
}

/// Scoring reads the next-token logits of the five level digits after an answer stem, which is only
/// sound if Gemma's tokenizer splits digits into single tokens that do not merge with the stem.
@Suite(.onComputeThread) struct DigitTokenTests {
    @Test(arguments: ["ESI level: ", "Answer: ESI ", "level "])
    func aDigitAfterAStemIsOneTokenOfItsOwn(stem: String) throws {
        let model = try bundledModel()
        let stemTokens = model.encode(stem, addBOS: false)
        var digitTokens: Set<TokenID> = []
        for digit in 1...5 {
            let tokens = model.encode(stem + "\(digit)", addBOS: false)
            #expect(Array(tokens.dropLast()) == stemTokens, "stem \(stem.debugDescription) merged with \(digit)")
            #expect(model.decode([tokens.last!]) == "\(digit)")
            digitTokens.insert(tokens.last!)
        }
        #expect(digitTokens.count == 5)
    }
}
