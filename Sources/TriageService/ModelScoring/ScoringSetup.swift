import Logging
import TriageCore

/// What the worker scores with: the rules phase, and the model phase when a model is configured and
/// loads. A model that is missing, corrupt or failing degrades the service to the rules alone: every
/// assessment then records `model: unavailable` with the reason, and `/readyz` reports degraded.
public struct ScoringSetup: Sendable {
    public let rulesPhase: RulesScoringPipeline
    public let modelPhase: (any ModelPhase)?
    /// Why the configured model is not used; nil when it is, or when none is configured.
    public let degradedReason: String?

    /// No model configured: the rules alone, not degraded.
    public static let rulesOnly = ScoringSetup(rulesPhase: RulesScoringPipeline(), modelPhase: nil, degradedReason: nil)

    init(rulesPhase: RulesScoringPipeline, modelPhase: (any ModelPhase)?, degradedReason: String?) {
        self.rulesPhase = rulesPhase
        self.modelPhase = modelPhase
        self.degradedReason = degradedReason
    }

    /// Rules now, the model's assessment superseding them when ready.
    public init(scorer: ModelScorer, threshold: Double) {
        self.init(rulesPhase: RulesScoringPipeline(modelStatus: .pending),
                  modelPhase: ModelScoringPipeline(scorer: scorer, threshold: threshold), degradedReason: nil)
    }

    /// Rules alone, each assessment marked `model: unavailable` with `reason`.
    public static func degraded(_ reason: String) -> ScoringSetup {
        ScoringSetup(rulesPhase: RulesScoringPipeline(modelStatus: .unavailable(reason)), modelPhase: nil,
                     degradedReason: "model unavailable: \(reason)")
    }

    /// Loads the configured backend (embedded: `model.path`; openai: `model.openai.*`) and measures
    /// its calibration prior; with neither configured, the rules alone.
    public static func load(_ configuration: ServiceConfiguration.Model, logger: Logger) async -> ScoringSetup {
        do {
            let backend: any TriageModelBackend
            switch (configuration.backend, configuration.path, configuration.openAI) {
            case ("embedded", let path?, _): backend = try EmbeddedTriageModel(path: path, threads: configuration.threads)
            case ("openai", _, let server?): backend = OpenAITriageModel(configuration: server)
            default: return .rulesOnly
            }
            let scorer = try await ModelScorer(backend: backend, rationaleBudget: configuration.rationaleBudget)
            logger.info("model loaded", metadata: [
                "model": "\(backend.identity.name)", "sha256": "\(backend.identity.sha256 ?? "-")",
                "prompt": "\(TriagePrompt.version)", "prior": "\(scorer.prior.probabilities)"])
            return ScoringSetup(scorer: scorer, threshold: configuration.raiseThreshold)
        } catch {
            let reason = ModelScorer.reason(error)
            logger.error("model unavailable; triaging with the rules alone", metadata: ["reason": "\(reason)"])
            return .degraded(reason)
        }
    }
}
