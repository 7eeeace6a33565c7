/// Generation under a `JSONConstraint`: at each step only tokens that keep the output a valid
/// prefix of the schema may be chosen, so the result, when complete, is always valid JSON.
///
/// Rather than masking the whole vocabulary each step, candidates are tried in descending logit
/// order (the top `candidateCount`, then the rest) and the sampler chooses among the allowed ones
/// of the top: with greedy sampling this is exactly argmax over the masked logits.
public struct ConstrainedGenerator {
    public let session: GemmaSession
    public var sampler: Sampler
    /// Candidates ranked per step before falling back to a full sort.
    public var candidateCount = 64
    /// Per-token bytes; empty for tokens that may never appear in constrained output (control and
    /// unused pieces). Byte-fallback tokens stay: they spell characters the vocabulary has no piece
    /// for (a rare Hangul syllable is three of them), and the constraint keeps their UTF-8 well formed.
    private let tokenBytes: [[UInt8]]

    public enum Outcome: Sendable, Equatable {
        /// The complete value's text.
        case complete(String)
        /// The token or time budget ran out first (the partial text is not valid JSON).
        case budgetExhausted
        /// No token can continue the output (a vocabulary without the needed characters).
        case stuck
        /// The calling task was cancelled: generation stops at the next token instead of running
        /// the budget out (a service shutting down gives the work back rather than waiting).
        case cancelled
    }

    public init(session: GemmaSession, sampler: Sampler = .greedy) {
        self.session = session
        self.sampler = sampler
        let tokenizer = session.model.tokenizer
        tokenBytes = tokenizer.pieces.indices.map { id in
            [.normal, .userDefined, .byte].contains(tokenizer.kinds[id]) ? tokenizer.bytes(of: TokenID(id)) : []
        }
    }

    /// Generates one value of `schema` after what the session holds (which must have logits), for
    /// at most `maximumTokens` tokens, until `deadline` and while the calling task is not cancelled.
    public mutating func generate(
        _ schema: JSONSchema, maximumTokens: Int, deadline: ContinuousClock.Instant
    ) throws(GemmaSessionError) -> Outcome {
        var constraint = JSONConstraint(schema)
        var output: [UInt8] = []
        for _ in 0..<maximumTokens {
            guard ContinuousClock.now < deadline else { return .budgetExhausted }
            guard !Task.isCancelled else { return .cancelled }
            let logits = try session.logits()
            guard let token = choose(from: logits, constraint: constraint) else { return .stuck }
            _ = constraint.accept(tokenBytes[Int(token)])
            output += tokenBytes[Int(token)]
            if constraint.isComplete { return .complete(String(decoding: output, as: UTF8.self)) }
            try session.append([token])
        }
        return .budgetExhausted
    }

    /// The sampler's pick among the allowed tokens of the best-ranked candidates.
    private mutating func choose(from logits: [Float], constraint: JSONConstraint) -> TokenID? {
        for ranked in [Self.top(candidateCount, of: logits), nil] {
            let order = ranked ?? logits.indices.sorted { logits[$0] > logits[$1] }
            let allowed = order.filter { !tokenBytes[$0].isEmpty && constraint.allows(tokenBytes[$0]) }
            if !allowed.isEmpty {
                let pick = sampler.next(from: allowed.map { logits[$0] })
                return TokenID(allowed[Int(pick)])
            }
        }
        return nil
    }

    /// Indices of the `count` largest logits, largest first (ties: lower index first).
    static func top(_ count: Int, of logits: [Float]) -> [Int] {
        var heap = MinHeap<RankedLogit>()
        var size = 0
        for index in logits.indices {
            let entry = RankedLogit(logit: logits[index], index: index)
            if size < count {
                heap.push(entry)
                size += 1
            } else if let smallest = heap.peek, smallest < entry {
                _ = heap.pop()
                heap.push(entry)
            }
        }
        var result: [Int] = []
        while let entry = heap.pop() { result.append(entry.index) }
        return result.reversed()
    }

    /// Ordered by logit, then by lower index ranking higher, so the order is total and deterministic.
    struct RankedLogit: Comparable {
        var logit: Float
        var index: Int
        static func < (a: RankedLogit, b: RankedLogit) -> Bool {
            a.logit != b.logit ? a.logit < b.logit : a.index > b.index
        }
    }
}
