import ComputeThreadTesting
import Testing

@testable import GemmaEngine

@Suite("Session", .onComputeThread)
struct SessionTests {
    static let prompt = "Emergency department triage sorts patients by urgency. The nurse"

    @Test func logitsForChosenIDsEqualTheFullVocabularyLogits() throws {
        let model = try SharedModel.get()
        let session = model.makeSession()
        try session.append(model.encode(Self.prompt))
        let full = try session.logits()
        #expect(full.count == model.config.vocabularySize)
        let ids: [TokenID] = [0, 2, 107, 236743, 1293, TokenID(model.config.vocabularySize - 1)]
        #expect(try session.logits(for: ids) == ids.map { full[Int($0)] })
    }

    /// Bit-reproducibility: one batched prefill, token-by-token appends, other thread counts and a
    /// restored snapshot all give identical logits.
    @Test func resultsDoNotDependOnBatchingThreadsOrSnapshots() throws {
        let model = try SharedModel.get()
        let tokens = model.encode(Self.prompt)
        let batched = model.makeSession()
        try batched.append(tokens)
        let expected = try batched.logits()

        let stepwise = model.makeSession()
        for token in tokens { try stepwise.append([token]) }
        #expect(try stepwise.logits() == expected)

        let singleThreaded = try GemmaModel(path: TestResources.modelPath, threads: 1).makeSession()
        try singleThreaded.append(tokens)
        #expect(try singleThreaded.logits() == expected)

        let reused = model.makeSession()
        try reused.append(Array(tokens.prefix(5)))
        let prefix = reused.snapshot()
        try reused.append([2, 3, 4])
        try reused.restore(prefix)
        #expect(reused.position == 5)
        try reused.append(Array(tokens.dropFirst(5)))
        #expect(try reused.logits() == expected)
    }

    @Test func rejectsBadTokensFullContextAndMissingLogits() throws {
        let model = try SharedModel.get()
        let session = model.makeSession(contextLength: 4)
        #expect(throws: GemmaSessionError.noLogits) { try session.logits() }
        #expect(throws: GemmaSessionError.tokenOutOfRange(-1)) { try session.append([-1]) }
        #expect(throws: GemmaSessionError.tokenOutOfRange(TokenID(model.config.vocabularySize))) {
            try session.append([TokenID(model.config.vocabularySize)])
        }
        #expect(throws: GemmaSessionError.contextFull(limit: 4)) { try session.append([2, 3, 4, 5, 6]) }
        #expect(session.position == 0)
    }

    @Test func configurationComesFromMetadata() throws {
        let config = try SharedModel.get().config
        #expect(config.layerCount == 18 && config.embeddingLength == 640 && config.headCount == 4)
        #expect(config.kvHeadCount == 1 && config.headDimension == 256 && config.feedForwardLength == 2048)
        #expect(config.vocabularySize == 262_144 && config.slidingWindow == 512 && config.globalRopeBase == 1_000_000)
        #expect((0..<18).filter(config.isGlobalLayer) == [5, 11, 17])
        #expect(ForwardPass.firstVisible(position: 600, global: false, window: 512) == 89)
        #expect(ForwardPass.firstVisible(position: 600, global: true, window: 512) == 0)
    }

    @Test func seededSamplingIsReproducibleAndGreedyIsArgmax() throws {
        let model = try SharedModel.get()
        let session = model.makeSession()
        try session.append(model.encode(Self.prompt))
        let logits = try session.logits()
        var first = Sampler(temperature: 0.8, topK: 40, topP: 0.95, seed: 42)
        var second = Sampler(temperature: 0.8, topK: 40, topP: 0.95, seed: 42)
        let a = (0..<20).map { _ in first.next(from: logits) }
        let b = (0..<20).map { _ in second.next(from: logits) }
        #expect(a == b)
        let top40 = Set(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(40).map { TokenID($0) })
        #expect(a.allSatisfy(top40.contains))
        var greedy = Sampler.greedy
        #expect(greedy.next(from: logits) == Sampler.argmax(logits))
        #expect(Sampler.argmax([1, 3, 3, 2]) == 1)
    }

    @Test func corruptModelFileIsAClearError() throws {
        let error = #expect(throws: GemmaModelError.self) { try GemmaModel(path: "/dev/null") }
        #expect(error?.description.contains("GGUF") == true)
    }
}
