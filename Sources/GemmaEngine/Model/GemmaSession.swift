import CGemmaKernels

/// Why a session refused an operation.
public enum GemmaSessionError: Error, Equatable, CustomStringConvertible {
    case tokenOutOfRange(TokenID)
    case contextFull(limit: Int)
    case noLogits
    case snapshotMismatch
    case badSoftTokens(count: Int, width: Int)

    public var description: String {
        switch self {
        case .tokenOutOfRange(let id): "token id \(id) is outside the vocabulary"
        case .contextFull(let limit): "the session's context of \(limit) tokens is full"
        case .noLogits: "no token has been evaluated yet, so there are no logits"
        case .snapshotMismatch: "the snapshot was taken from a model of another shape"
        case .badSoftTokens(let count, let width): "soft tokens are not \(count) rows of the model's width \(width)"
        }
    }
}

/// The KV state of a session at one point, for reusing a shared prompt prefix.
public struct KVSnapshot: Sendable {
    public let tokens: [TokenID]
    let keys: [[Float]]
    let values: [[Float]]
    let lastHidden: [Float]?
}

/// Inference state over one token sequence: the KV cache, the tokens evaluated so far and the
/// final hidden state of the last one, from which logits are computed on demand.
///
/// Not thread-safe: use one session per task. Results are bit-reproducible: they do not depend
/// on the thread count or on how tokens were split across `append` calls.
public final class GemmaSession {
    public let model: GemmaModel
    public let contextLength: Int
    /// Every token evaluated so far, in order; an image's positions hold `softTokenPlaceholder`.
    public private(set) var tokens: [TokenID] = []
    /// Stands in `tokens` for each position of an image's soft tokens. No token has this id, so a
    /// prompt with an image never equals a text prompt; two images are told apart only by their caller.
    public static let softTokenPlaceholder: TokenID = -1
    private let cache: KVCache
    private var lastHidden: [Float]?

    /// Tokens per forward batch: bounds activation memory for long prompts.
    static let batchLimit = 256

    init(model: GemmaModel, contextLength: Int) {
        self.model = model
        self.contextLength = contextLength
        cache = KVCache(layerCount: model.config.layerCount, width: model.config.kvDimension, maximumPositions: contextLength)
    }

    public var position: Int { tokens.count }

    /// Runs the model over `newTokens` (batched prefill), extending the KV cache.
    public func append(_ newTokens: [TokenID]) throws(GemmaSessionError) {
        if let bad = newTokens.first(where: { $0 < 0 || Int($0) >= model.config.vocabularySize }) {
            throw .tokenOutOfRange(bad)
        }
        guard position + newTokens.count <= contextLength else { throw .contextFull(limit: contextLength) }
        var start = 0
        while start < newTokens.count {
            let batch = Array(newTokens[start..<min(newTokens.count, start + Self.batchLimit)])
            let pass = ForwardPass(model: model, cache: cache, start: position, input: .tokens(batch))
            lastHidden = pass.run()
            tokens += batch
            start += batch.count
        }
    }

    /// Runs the model over an image's soft tokens (`count` rows of the embedding width, from the vision
    /// tower), in one batch so that they attend to each other in both directions, as llama.cpp does
    /// for Gemma 3. The prompt should put `<start_of_image>` before them and `<end_of_image>` after.
    public func append(softTokens rows: [Float], count: Int) throws(GemmaSessionError) {
        let width = model.config.embeddingLength
        guard count > 0, rows.count == count * width else { throw .badSoftTokens(count: count, width: width) }
        guard position + count <= contextLength else { throw .contextFull(limit: contextLength) }
        let pass = ForwardPass(model: model, cache: cache, start: position, input: .softTokens(rows, count: count))
        lastHidden = pass.run()
        tokens += Array(repeating: Self.softTokenPlaceholder, count: count)
    }

    /// Logits over the whole vocabulary for the next token.
    public func logits() throws(GemmaSessionError) -> [Float] {
        guard let hidden = lastHidden else { throw .noLogits }
        let output = model.weights.output
        return [Float](unsafeUninitializedCapacity: output.rows) { buffer, count in
            output.multiply(hidden, tokens: 1, into: buffer.baseAddress!, parallel: model.parallel)
            count = output.rows
        }
    }

    /// Logits for the given token ids only, in their order: the cost is one row each instead
    /// of the whole vocabulary.
    public func logits(for ids: [TokenID]) throws(GemmaSessionError) -> [Float] {
        guard let hidden = lastHidden else { throw .noLogits }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= model.config.vocabularySize }) { throw .tokenOutOfRange(bad) }
        let output = model.weights.output
        let serial = Parallel(threads: 1)
        let activations = output.quantize(hidden, tokens: 1, parallel: serial)
        return [Float](unsafeUninitializedCapacity: ids.count) { buffer, count in
            let result = SendablePointer(buffer.baseAddress!)
            model.parallel.forEachRange(ids.count) { range in
                for index in range {
                    let row = Int(ids[index])
                    output.multiply(activations, tokens: 1, rowRange: row..<row + 1, into: result.pointer + index,
                                    outputStride: 1, parallel: serial)
                }
            }
            count = ids.count
        }
    }

    /// Copies the KV state so that a later `restore` resumes exactly here.
    public func snapshot() -> KVSnapshot {
        let floats = position * cache.width
        return KVSnapshot(
            tokens: tokens,
            keys: cache.keys.map { Array(UnsafeBufferPointer(start: $0, count: floats)) },
            values: cache.values.map { Array(UnsafeBufferPointer(start: $0, count: floats)) },
            lastHidden: lastHidden)
    }

    /// Returns to the state of `snapshot`, discarding everything evaluated since.
    public func restore(_ snapshot: KVSnapshot) throws(GemmaSessionError) {
        let floats = snapshot.tokens.count * cache.width
        guard snapshot.tokens.count <= contextLength,
              snapshot.keys.count == (snapshot.tokens.isEmpty ? snapshot.keys.count : cache.layerCount),
              snapshot.keys.allSatisfy({ $0.count == floats }), snapshot.values.allSatisfy({ $0.count == floats })
        else { throw .snapshotMismatch }
        cache.reserve(snapshot.tokens.count, keeping: 0)
        for layer in snapshot.keys.indices where floats > 0 {
            snapshot.keys[layer].withUnsafeBufferPointer { cache.keys[layer].update(from: $0.baseAddress!, count: floats) }
            snapshot.values[layer].withUnsafeBufferPointer { cache.values[layer].update(from: $0.baseAddress!, count: floats) }
        }
        tokens = snapshot.tokens
        lastHidden = snapshot.lastHidden
    }

    /// Forgets all tokens (the cache memory is kept for reuse).
    public func reset() {
        tokens = []
        lastHidden = nil
    }
}
