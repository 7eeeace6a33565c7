import Foundation
import TriageCore

/// The language model as a triage scorer: reads the level distribution for an arrival and
/// calibrates it against the model's answer prior.
///
/// A failure to read the level throws, so the model lane can retry it; a failed rationale does not
/// (the level stands, and the record says why the rationale is missing). Cancellation always throws:
/// a cancelled assessment is not a result.
public struct ModelScorer: Sendable {
    public let backend: any TriageModelBackend
    /// The distribution for a content-free patient, measured once per model (deterministic).
    public let prior: LevelDistribution
    /// Stored with every assessment. The level is read from logits and the rationale is decoded
    /// greedily, so today the seed does not change results; it pins them if sampling is enabled.
    public let seed: UInt64
    /// Bounds on the rationale; nil skips it (the rules' explanation stands).
    public let rationaleBudget: RationaleBudget?
    public let rationaleLanguage: RationaleLanguage

    /// Measures the prior with `backend`; throws `ModelUnavailable` when the model cannot answer.
    public init(backend: any TriageModelBackend, rationaleBudget: RationaleBudget? = nil,
                rationaleLanguage: RationaleLanguage = .english, seed: UInt64 = 0) async throws {
        self.backend = backend
        self.seed = seed
        self.rationaleBudget = rationaleBudget
        self.rationaleLanguage = rationaleLanguage
        let prior = try await backend.levelDistribution(patient: TriagePrompt.contentFreeSegments)
        guard prior.probabilities.allSatisfy({ $0 > 0 }) else {
            throw ModelUnavailable("the model gives a level zero probability for a content-free patient")
        }
        self.prior = prior
    }

    /// The model's view of the presentation with the `images` the backend has read (SHA-256s).
    public func assess(_ presentation: ClinicalPresentation, rules: RulesAssessment, images: [String] = []) async throws
        -> ModelAssessment
    {
        let patient = try await backend.fit(presentation, rules: rules, images: images)
        let raw = try await backend.levelDistribution(patient: patient)
        let distribution = raw.dividingOut(prior)
        var assessment = ModelAssessment(status: .scored, identity: backend.identity, promptVersion: TriagePrompt.version,
                                         seed: seed, rawDistribution: raw, prior: prior, distribution: distribution)
        if let rationaleBudget, let level = distribution?.mostLikely {
            try Task.checkCancellation()
            do {
                assessment.rationale = try await backend.rationale(
                    patient: patient, level: level, language: rationaleLanguage.language(for: presentation),
                    budget: rationaleBudget)
            } catch {
                // A cancelled request fails in the backend's own way (an engine stop, a URL error).
                if Task.isCancelled { throw CancellationError() }
                assessment.rationaleError = (error as? RationaleFailure)?.description ?? Self.reason(error)
            }
        }
        return assessment
    }

    /// For one-off scoring with no lane to retry (the CLI's `score` and `eval`): a failure to read the
    /// level becomes an `unavailable` assessment with the reason.
    public func assessOnce(_ presentation: ClinicalPresentation, rules: RulesAssessment) async -> ModelAssessment {
        do {
            return try await assess(presentation, rules: rules)
        } catch {
            return .unavailable(Self.reason(error), identity: backend.identity)
        }
    }

    /// An error's description when it is ours (no patient data), else only its type.
    public static func reason(_ error: any Error) -> String {
        if let unavailable = error as? ModelUnavailable { return unavailable.description }
        return "model failed: \(String(reflecting: type(of: error)))"
    }
}
