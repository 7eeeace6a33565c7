import Logging
import TriageCore

/// What the worker scores with: the rules phase, and the model phase when a model is configured.
/// An embedded model file that is missing, corrupt or unsuitable degrades the service to the rules
/// alone: every assessment then records `model: unavailable` with the reason, and `/readyz` reports
/// degraded. A model server is not probed here: the model lane makes it ready, and retries with
/// backoff while it is down, so a server that comes back later still scores the arrivals.
public struct ScoringSetup: Sendable {
    public let rulesPhase: RulesPhase
    public let modelPhase: (any ModelPhase)?
    /// Why the configured model (or its configured vision tower) is not used; nil when it is, or when
    /// none is configured.
    public let degradedReason: String?
    /// With `model.mmproj` set: `ready`, or `unavailable: ` and why (images are then not read); else nil.
    public let vision: String?

    /// No model configured: the rules alone, not degraded.
    public static let rulesOnly = ScoringSetup(rulesPhase: RulesPhase(), modelPhase: nil, degradedReason: nil)

    init(rulesPhase: RulesPhase, modelPhase: (any ModelPhase)?, degradedReason: String?, vision: String? = nil) {
        self.rulesPhase = rulesPhase
        self.modelPhase = modelPhase
        self.degradedReason = degradedReason
        self.vision = vision
    }

    /// Rules now, the model's assessment following them when ready; a vision tower that was configured
    /// but cannot read images degrades the service to text.
    public init(modelPhase: any ModelPhase, visionConfigured: Bool = false) {
        let unreadable = visionConfigured ? modelPhase.imagesUnreadableReason : nil
        self.init(rulesPhase: RulesPhase(modelStatus: .pending), modelPhase: modelPhase,
                  degradedReason: unreadable.map { "images not read: \($0)" },
                  vision: visionConfigured ? unreadable.map { "unavailable: \($0)" } ?? "ready" : nil)
    }

    /// Rules alone, each assessment marked `model: unavailable` with `reason`.
    public static func degraded(_ reason: String) -> ScoringSetup {
        ScoringSetup(rulesPhase: RulesPhase(modelStatus: .unavailable(reason)), modelPhase: nil,
                     degradedReason: "model unavailable: \(reason)")
    }

    /// Loads the configured backend (embedded: `model.path`, loaded and calibrated now; openai:
    /// `model.openai.*`, made ready by the lane), its rationale written in `rationaleLanguage`; with
    /// neither configured, the rules alone.
    public static func load(_ configuration: ServiceConfiguration.Model, rationaleLanguage: RationaleLanguage = .english,
                            logger: Logger) async -> ScoringSetup {
        do {
            let phase: CalibratedModelPhase
            switch (configuration.backend, configuration.path, configuration.openAI) {
            case ("embedded", let path?, _):
                let backend = try await offTheCooperativePool {
                    try EmbeddedTriageModel(path: path, threads: configuration.threads,
                                            contextTokens: configuration.contextTokens,
                                            rationaleMaxTokens: configuration.rationaleMaxTokens,
                                            mmproj: configuration.mmproj, maxImagePixels: configuration.maxImagePixels)
                }
                phase = CalibratedModelPhase(backend: backend, threshold: configuration.raiseThreshold,
                                             rationaleBudget: configuration.rationaleBudget,
                                             rationaleLanguage: rationaleLanguage,
                                             maxImages: configuration.maxImagesPerArrival)
                try await phase.prepare()
                logger.info("model loaded", metadata: [
                    "model": "\(backend.identity.name)", "sha256": "\(backend.identity.sha256 ?? "-")",
                    "prompt": "\(TriagePrompt.version)", "context_tokens": "\(backend.contextTokens)",
                    "vision": "\(backend.identity.mmproj ?? "none")"])
                if configuration.mmproj != nil, let reason = backend.imagesUnreadableReason {
                    logger.error("vision model unavailable; images are not read", metadata: ["reason": "\(reason)"])
                }
            case ("openai", _, let server?):
                phase = CalibratedModelPhase(backend: OpenAITriageModel(configuration: server),
                                             threshold: configuration.raiseThreshold,
                                             rationaleBudget: configuration.rationaleBudget,
                                             rationaleLanguage: rationaleLanguage,
                                             maxImages: configuration.maxImagesPerArrival)
                logger.info("model server configured", metadata: ["model": "\(server.model)"])
            default:
                return .rulesOnly
            }
            return ScoringSetup(modelPhase: phase, visionConfigured: configuration.mmproj != nil)
        } catch {
            let reason = ModelScorer.reason(error)
            logger.error("model unavailable; triaging with the rules alone", metadata: ["reason": "\(reason)"])
            return .degraded(reason)
        }
    }
}
