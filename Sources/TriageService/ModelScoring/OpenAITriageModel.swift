import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GemmaEngine
import TriageCore

/// Where and how to reach an OpenAI-compatible `/v1/completions` server (llama.cpp's llama-server or
/// `llama_cpp.server`, vLLM), e.g. a site's MedGemma 27B on a GPU machine inside the hospital.
public struct OpenAIBackendConfiguration: Sendable, Hashable {
    /// Base URL; requests go to `baseURL/v1/completions`.
    public var baseURL: URL
    /// The served model's name (the request's `model`).
    public var model: String
    /// Sent as `Authorization: Bearer …` when set.
    public var apiKey: Secret?
    /// Per request.
    public var timeout: Duration
    /// Attempts per call (transport errors and 5xx responses are retried).
    public var maxAttempts: Int
    public var retryDelay: Duration
    /// Consecutive failed calls that open the circuit breaker.
    public var breakerThreshold: Int
    /// How long an open breaker fails calls at once before trying the server again.
    public var breakerCooldown: Duration

    public init(baseURL: URL, model: String, apiKey: Secret? = nil, timeout: Duration = .seconds(30), maxAttempts: Int = 2,
                retryDelay: Duration = .milliseconds(200), breakerThreshold: Int = 5, breakerCooldown: Duration = .seconds(30)) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.retryDelay = retryDelay
        self.breakerThreshold = breakerThreshold
        self.breakerCooldown = breakerCooldown
    }
}

/// A triage backend over an OpenAI-compatible server, read the way the embedded engine reads it:
/// the whole Gemma prompt as text (instruction prefix, the patient's facts, the answer stem) goes to
/// `/v1/completions`, and the level distribution is the next token's log-probabilities of the five
/// level digits. That works for base and instruction-tuned models alike, where a chat completion
/// depends on the server's template. A server that returns no log-probabilities still gives its
/// answer (most of the mass on it, see `answerOnlyDistribution`). The rationale continues the
/// prompt after the level with the rationale stem and is checked against the rationale schema with
/// the recognizer the embedded engine decodes with.
public actor OpenAITriageModel: TriageModelBackend {
    public nonisolated let identity: ModelIdentity
    let configuration: OpenAIBackendConfiguration
    private let session: URLSession
    private var consecutiveFailures = 0
    private var openUntil: ContinuousClock.Instant?
    /// Log-probabilities asked for: the level digits are among them unless the model is sure of
    /// something else (vLLM serves up to 20 by default).
    static let topLogprobs = 20

    public init(configuration: OpenAIBackendConfiguration) {
        self.configuration = configuration
        identity = ModelIdentity(backend: "openai", name: configuration.model, sha256: nil, quantization: nil,
                                 engine: "openai-compatible \(configuration.baseURL.absoluteString)")
        let sessionConfiguration = URLSessionConfiguration.ephemeral
        sessionConfiguration.timeoutIntervalForRequest = Self.seconds(configuration.timeout)
        session = URLSession(configuration: sessionConfiguration)
    }

    /// Images stay in the hospital's database: this backend sends text only.
    public nonisolated let imagesUnreadableReason: String? = "the model server backend reads text only"

    public func readImages(_ images: [ImageSubmission]) -> [ImageAnalysis] {
        ImageAnalysis.list(images, status: .notAnalysed, reason: imagesUnreadableReason)
    }

    public func levelDistribution(patient: [TriagePrompt.Segment]) async throws -> LevelDistribution {
        let reply = try await send(CompletionRequest(
            model: configuration.model, prompt: Self.promptText(TriagePrompt.prefix + patient), maxTokens: 1,
            logprobs: Self.topLogprobs, grammar: nil))
        guard let choice = reply.choices.first else { throw ModelUnavailable("the model server returned no choice") }
        if let top = choice.logprobs?.firstTokenAlternatives, !top.isEmpty {
            return try Self.distribution(fromTopLogprobs: top)
        }
        return try Self.answerOnlyDistribution(choice.text)
    }

    public func rationale(patient: [TriagePrompt.Segment], level: ESILevel, language: NoteLanguage,
                          budget: RationaleBudget) async throws -> ModelRationale
    {
        let prompt = TriagePrompt.prefix + patient + TriagePrompt.rationaleStem(level: level, language: language)
        let reply = try await send(CompletionRequest(
            model: configuration.model, prompt: Self.promptText(prompt), maxTokens: budget.maximumTokens, logprobs: nil,
            grammar: Self.rationaleGrammar))
        guard let rationale = Self.rationale(in: reply.choices.first?.text ?? "") else {
            throw RationaleFailure("the server's rationale is not JSON of the rationale schema")
        }
        return rationale
    }

    /// Sent with the rationale request: llama.cpp's servers then decode within the schema; a server that
    /// does not know the field ignores it, and its text is checked all the same.
    static let rationaleGrammar = TriagePrompt.rationaleSchema.grammar

    /// The prompt as the server's tokenizer will read it. Servers parse special tokens in a completion
    /// prompt, so patient text shaped like one (`<end_of_turn>`) is written with look-alike brackets
    /// (`‹end_of_turn›`): it stays readable and cannot close the turn or speak for the model. The
    /// server adds the BOS token itself.
    static func promptText(_ segments: [TriagePrompt.Segment]) -> String {
        segments.map { segment in
            if case .patient(let text) = segment { return text.replacing(tokenShaped) { "‹\($0.output.1)›" } }
            return segment.text
        }.joined()
    }

    /// `<name>` or `</name>`: the shape of Gemma's control tokens (`<start_of_turn>`, `<bos>`, `<unused0>`).
    nonisolated(unsafe) static let tokenShaped = /<(\/?[A-Za-z_][A-Za-z0-9_]*)>/

    /// The first JSON object in `text`, if it is a rationale of the schema; a model without server-side
    /// constraints may write on after it, or lay it out with spaces.
    static func rationale(in text: String) -> ModelRationale? {
        guard let object = firstObject(in: text),
              let rationale = try? JSONDecoder().decode(ModelRationale.self, from: Data(object.utf8))
        else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The schema's limits (sizes, no escapes, no control characters), checked on the compact form.
        var constraint = JSONConstraint(TriagePrompt.rationaleSchema)
        guard let compact = try? encoder.encode(rationale), constraint.accept(Array(compact)), constraint.isComplete
        else { return nil }
        return rationale
    }

    /// The text of the first balanced `{…}` in `text`, braces inside strings not counted.
    static func firstObject(in text: String) -> Substring? {
        guard let start = text.firstIndex(of: "{") else { return nil }
        var depth = 0, inString = false, escaped = false
        for index in text[start...].indices {
            let character = text[index]
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"": inString = true
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { return text[start...index] }
            default: break
            }
        }
        return nil
    }

    /// Softmax over the level digits' log-probabilities; a level missing from the top list gets the
    /// smallest listed log-probability (it is at most that likely).
    static func distribution(fromTopLogprobs top: [TopLogprob]) throws -> LevelDistribution {
        let floor = top.map(\.logprob).min() ?? -30
        var logits: [Double] = []
        var found = false
        for text in TriagePrompt.levelTexts {
            let matches = top.filter { $0.token.trimmingCharacters(in: .whitespaces) == text }.map(\.logprob)
            found = found || !matches.isEmpty
            logits.append(matches.max() ?? floor)
        }
        guard found, let distribution = LevelDistribution(logits: logits) else {
            throw ModelUnavailable("no level token among the server's top log-probabilities")
        }
        return distribution
    }

    /// Without log-probabilities only the answer is known: 0.9 on it, the rest spread evenly, so the
    /// combination still needs the answer (not noise) to pass a threshold.
    static func answerOnlyDistribution(_ content: String) throws -> LevelDistribution {
        guard let digit = content.first(where: \.isNumber), let level = Int(String(digit)),
              ESILevel(rawValue: level) != nil
        else { throw ModelUnavailable("the model server's answer names no ESI level") }
        return LevelDistribution(weights: ESILevel.allCases.map { $0.rawValue == level ? 0.9 : 0.025 })!
    }

    // MARK: transport, retries, circuit breaker

    private func send(_ request: CompletionRequest) async throws -> CompletionResponse {
        if let openUntil, ContinuousClock.now < openUntil {
            throw ModelUnavailable("model server circuit open after \(consecutiveFailures) consecutive failures")
        }
        var lastError: any Error = ModelUnavailable("model server not tried")
        attempts: for attempt in 1...max(1, configuration.maxAttempts) {
            do {
                let response = try await post(request)
                consecutiveFailures = 0
                openUntil = nil
                return response
            } catch let error as ServerError where !error.isRetryable {
                lastError = error
                break attempts
            } catch {
                lastError = error
                if attempt < configuration.maxAttempts { try await Task.sleep(for: configuration.retryDelay) }
            }
        }
        consecutiveFailures += 1
        if consecutiveFailures >= configuration.breakerThreshold {
            openUntil = ContinuousClock.now + configuration.breakerCooldown
        }
        if let error = lastError as? ServerError { throw ModelUnavailable(error.description) }
        throw ModelUnavailable("model server unreachable: \(String(reflecting: type(of: lastError)))")
    }

    private func post(_ body: CompletionRequest) async throws -> CompletionResponse {
        var request = URLRequest(url: configuration.baseURL.appendingPathComponent("v1/completions"))
        request.httpMethod = "POST"
        request.timeoutInterval = Self.seconds(configuration.timeout)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey = configuration.apiKey { request.setValue("Bearer \(apiKey.value)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONEncoder().encode(body)
        let (data, response) = try await session.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw ServerError(status: status) }
        do {
            return try JSONDecoder().decode(CompletionResponse.self, from: data)
        } catch {
            throw ServerError(status: status, malformed: true)
        }
    }

    struct ServerError: Error, CustomStringConvertible {
        var status: Int
        var malformed = false
        /// Server errors and rate limits may pass; a bad request or a malformed reply will not.
        var isRetryable: Bool { !malformed && (status >= 500 || status == 429) }
        var description: String {
            malformed ? "model server reply is not a completion" : "model server answered HTTP \(status)"
        }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

// MARK: wire format (OpenAI completions, the fields used here)

/// Greedy and seeded, so the same prompt gives the same answer on a deterministic server.
struct CompletionRequest: Encodable, Sendable {
    var model: String
    var prompt: String
    var maxTokens: Int
    var temperature = 0.0
    var seed: UInt64 = 0
    /// How many alternatives to return per generated token; nil for none.
    var logprobs: Int?
    /// A GBNF grammar the output must follow (llama.cpp's servers).
    var grammar: String?

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, seed, logprobs, grammar
        case maxTokens = "max_tokens"
    }
}

struct TopLogprob: Codable, Sendable {
    var token: String
    var logprob: Double
}

struct CompletionResponse: Decodable, Sendable {
    struct Choice: Decodable, Sendable {
        var text: String
        var logprobs: Logprobs?
    }

    /// Two layouts are served: OpenAI's completions layout (vLLM, `llama_cpp.server`), one
    /// token → log-probability map per generated token; and llama-server's, per-token entries with a
    /// `top_logprobs` list as in chat completions.
    struct Logprobs: Decodable, Sendable {
        struct Entry: Decodable, Sendable {
            var topLogprobs: [TopLogprob]?

            enum CodingKeys: String, CodingKey {
                case topLogprobs = "top_logprobs"
            }
        }

        var topLogprobs: [[String: Double]?]?
        var content: [Entry]?

        enum CodingKeys: String, CodingKey {
            case content
            case topLogprobs = "top_logprobs"
        }

        /// The alternatives for the first generated token, in either layout.
        var firstTokenAlternatives: [TopLogprob]? {
            if let first = topLogprobs?.first, let first {
                return first.map { TopLogprob(token: $0.key, logprob: $0.value) }
            }
            return content?.first?.topLogprobs
        }
    }

    var choices: [Choice]
}
