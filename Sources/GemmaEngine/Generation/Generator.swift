/// Autoregressive generation on a session: feed the prompt, then repeatedly pick a token and
/// append it, until `maximumTokens` or the end-of-sequence token.
public struct Generator {
    public let session: GemmaSession
    public var sampler: Sampler
    /// Tokens that end generation (not included in the result).
    public var stopTokens: Set<TokenID>

    public init(session: GemmaSession, sampler: Sampler = .greedy, stopTokens: Set<TokenID>? = nil) {
        self.session = session
        self.sampler = sampler
        let tokenizer = session.model.tokenizer
        self.stopTokens = stopTokens ?? Set([tokenizer.eosID] + tokenizer.pieces.indices
            .filter { tokenizer.pieces[$0] == "<end_of_turn>" }.map { TokenID($0) })
    }

    /// Generates up to `maximumTokens` after what the session already holds (which must have
    /// logits, i.e. a prompt was appended); each chosen token is appended to the session and
    /// shown to `onToken`.
    public mutating func generate(
        maximumTokens: Int, onToken: (TokenID) -> Void = { _ in }
    ) throws(GemmaSessionError) -> [TokenID] {
        var generated: [TokenID] = []
        while generated.count < maximumTokens {
            let token = sampler.next(from: try session.logits())
            if stopTokens.contains(token) { break }
            generated.append(token)
            onToken(token)
            try session.append([token])
        }
        return generated
    }
}
