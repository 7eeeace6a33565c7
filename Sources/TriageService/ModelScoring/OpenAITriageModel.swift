import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GemmaEngine
import TriageCore

/// Where and how to reach an OpenAI-compatible `/v1/chat/completions` server (llama.cpp's
/// llama-server, vLLM, Ollama), e.g. a site's MedGemma 27B on a GPU machine inside the hospital.
public struct OpenAIBackendConfiguration: Sendable, Hashable {
    /// Base URL; requests go to `baseURL/v1/chat/completions`.
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

/// A triage backend over an OpenAI-compatible server. The level distribution comes from the first
/// reply token's `top_logprobs` when the server returns them; otherwise from the answered digit
/// alone (most of the mass on it, see `answerOnlyDistribution`). The rationale asks for the JSON
/// schema and is checked against it with the same recognizer the embedded engine decodes with.
public actor OpenAITriageModel: TriageModelBackend {
    public nonisolated let identity: ModelIdentity
    let configuration: OpenAIBackendConfiguration
    private let session: URLSession
    private var consecutiveFailures = 0
    private var openUntil: ContinuousClock.Instant?

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
        let request = ChatRequest(
            model: configuration.model,
            messages: [.init(role: "user", content: Self.userText(patient) + "\n\nReply with the ESI level number only.")],
            maxTokens: 1, temperature: 0, seed: 0, logprobs: true, topLogprobs: 20, responseFormat: nil)
        let reply = try await send(request)
        guard let choice = reply.choices.first else { throw ModelUnavailable("the model server returned no choice") }
        if let top = choice.logprobs?.content?.first?.topLogprobs, !top.isEmpty {
            return try Self.distribution(fromTopLogprobs: top)
        }
        return try Self.answerOnlyDistribution(choice.message.content ?? "")
    }

    public func rationale(patient: [TriagePrompt.Segment], level: ESILevel, language: NoteLanguage,
                          budget: RationaleBudget) async throws -> ModelRationale
    {
        let request = ChatRequest(
            model: configuration.model,
            messages: [.init(role: "user", content: Self.userText(patient)
                + "\n\nThe level is ESI \(level.rawValue). Give the reasons as JSON only"
                + TriagePrompt.writtenIn(language) + ".")],
            maxTokens: budget.maximumTokens, temperature: 0, seed: 0, logprobs: nil, topLogprobs: nil,
            responseFormat: .rationale)
        let text = try await send(request).choices.first?.message.content ?? ""
        var constraint = JSONConstraint(TriagePrompt.rationaleSchema)
        guard constraint.accept(Array(text.utf8)), constraint.isComplete,
              let rationale = try? JSONDecoder().decode(ModelRationale.self, from: Data(text.utf8))
        else { throw RationaleFailure("the server's rationale is not JSON of the rationale schema") }
        return rationale
    }

    /// The instruction and the patient's facts as one plain user message (the server applies its own
    /// chat template).
    static func userText(_ patient: [TriagePrompt.Segment]) -> String {
        let facts = patient.compactMap { if case .patient(let text) = $0 { text } else { nil } }.joined()
        return TriagePrompt.instruction + "\n\nPatient:\n" + facts
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

    private func send(_ request: ChatRequest) async throws -> ChatResponse {
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

    private func post(_ body: ChatRequest) async throws -> ChatResponse {
        var request = URLRequest(url: configuration.baseURL.appendingPathComponent("v1/chat/completions"))
        request.httpMethod = "POST"
        request.timeoutInterval = Self.seconds(configuration.timeout)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey = configuration.apiKey { request.setValue("Bearer \(apiKey.value)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONEncoder().encode(body)
        let (data, response) = try await session.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw ServerError(status: status) }
        do {
            return try JSONDecoder().decode(ChatResponse.self, from: data)
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
            malformed ? "model server reply is not a chat completion" : "model server answered HTTP \(status)"
        }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

// MARK: wire format (OpenAI chat completions, the fields used here)

struct ChatRequest: Encodable, Sendable {
    struct Message: Codable, Sendable {
        var role: String
        var content: String?
    }

    struct ResponseFormat: Encodable, Sendable {
        var type = "json_schema"
        var jsonSchema: [String: JSONValue]

        /// `TriagePrompt.rationaleSchema` as JSON Schema, for servers that constrain their output.
        static let rationale = ResponseFormat(jsonSchema: [
            "name": .string("rationale"), "strict": .bool(true),
            "schema": .object([
                "type": .string("object"), "additionalProperties": .bool(false),
                "required": .array([.string("reasons"), .string("red_flags")]),
                "properties": .object([
                    "reasons": .object(["type": .string("array"), "maxItems": .number(Double(ModelRationale.maxReasons)),
                                        "items": .object(["type": .string("string"), "minLength": .number(1)])]),
                    "red_flags": .object(["type": .string("array"), "maxItems": .number(Double(ModelRationale.maxRedFlags)),
                                          "items": .object(["type": .string("string"), "minLength": .number(1)])]),
                ]),
            ]),
        ])

        enum CodingKeys: String, CodingKey {
            case type
            case jsonSchema = "json_schema"
        }
    }

    var model: String
    var messages: [Message]
    var maxTokens: Int
    var temperature: Double
    var seed: UInt64
    var logprobs: Bool?
    var topLogprobs: Int?
    var responseFormat: ResponseFormat?

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, seed, logprobs
        case maxTokens = "max_tokens"
        case topLogprobs = "top_logprobs"
        case responseFormat = "response_format"
    }
}

struct TopLogprob: Codable, Sendable {
    var token: String
    var logprob: Double
}

struct ChatResponse: Decodable, Sendable {
    struct Choice: Decodable, Sendable {
        var message: ChatRequest.Message
        var logprobs: Logprobs?
    }

    struct Logprobs: Decodable, Sendable {
        struct Entry: Decodable, Sendable {
            var token: String
            var logprob: Double
            var topLogprobs: [TopLogprob]?

            enum CodingKeys: String, CodingKey {
                case token, logprob
                case topLogprobs = "top_logprobs"
            }
        }

        var content: [Entry]?
    }

    var choices: [Choice]
}
