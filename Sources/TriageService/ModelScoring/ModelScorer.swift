import Foundation
import TriageCore

/// The language model as a triage scorer: reads the level distribution for an arrival and
/// calibrates it against the model's answer prior.
///
/// Failures never escape `assess`: they become a `ModelAssessment` with status `unavailable` and
/// the reason, so the rules' assessment stands and the record says why.
public struct ModelScorer: Sendable {
    public let backend: any TriageModelBackend
    /// The distribution for a content-free patient, measured once per model (deterministic).
    public let prior: LevelDistribution
    /// Stored with every assessment. The level is read from logits and the rationale is decoded
    /// greedily, so today the seed does not change results; it pins them if sampling is enabled.
    public let seed: UInt64
    /// Bounds on the rationale; nil skips it (the rules' explanation stands).
    public let rationaleBudget: RationaleBudget?

    /// Measures the prior with `backend`; throws `ModelUnavailable` when the model cannot answer.
    public init(backend: any TriageModelBackend, rationaleBudget: RationaleBudget? = nil, seed: UInt64 = 0) async throws {
        self.backend = backend
        self.seed = seed
        self.rationaleBudget = rationaleBudget
        let prior = try await backend.levelDistribution(patient: TriagePrompt.contentFreeSegments)
        guard prior.probabilities.allSatisfy({ $0 > 0 }) else {
            throw ModelUnavailable("the model gives a level zero probability for a content-free patient")
        }
        self.prior = prior
    }

    public func assess(_ presentation: ClinicalPresentation, rules: RulesAssessment) async -> ModelAssessment {
        let patient = TriagePrompt.patientSegments(presentation, rules: rules)
        let raw: LevelDistribution
        do {
            raw = try await backend.levelDistribution(patient: patient)
        } catch {
            return .unavailable(Self.reason(error), identity: backend.identity)
        }
        let distribution = raw.dividingOut(prior)
        var assessment = ModelAssessment(status: .scored, identity: backend.identity, promptVersion: TriagePrompt.version,
                                         seed: seed, rawDistribution: raw, prior: prior, distribution: distribution)
        if let rationaleBudget, let level = distribution?.mostLikely {
            do {
                assessment.rationale = try await backend.rationale(patient: patient, level: level, budget: rationaleBudget)
            } catch let failure as RationaleFailure {
                assessment.rationaleError = failure.description
            } catch {
                assessment.rationaleError = Self.reason(error)
            }
        }
        return assessment
    }

    /// An error's description when it is ours (no patient data), else only its type.
    static func reason(_ error: any Error) -> String {
        if let unavailable = error as? ModelUnavailable { return unavailable.description }
        return "model failed: \(String(reflecting: type(of: error)))"
    }
}

extension ModelScorer: TriageScorer {
    public var identity: ScorerIdentity {
        ScorerIdentity(name: "model:\(backend.identity.name)", version: TriagePrompt.version)
    }

    /// The model's own most likely level, without the combination's threshold.
    public func score(_ presentation: ClinicalPresentation, rules: RulesAssessment) async throws -> ScorerResult {
        let model = await assess(presentation, rules: rules)
        guard let level = model.level, let confidence = model.confidence else {
            throw ModelUnavailable(model.reason ?? "the model gave no distribution")
        }
        let findings = (model.rationale?.redFlags ?? []).map {
            Finding(rule: "model.red_flag", summary: $0, impliedLevel: level, source: "language model")
        }
        let explanation = model.rationale?.reasons.joined(separator: "; ") ?? "Most likely \(level) (p = \(String(format: "%.2f", confidence)))."
        return ScorerResult(level: level, findings: findings, explanation: explanation, confidence: confidence,
                            scorer: identity)
    }
}
