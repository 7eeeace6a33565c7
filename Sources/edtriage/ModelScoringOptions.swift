import ArgumentParser
import Foundation
import TriageService

/// `--model` and friends for the offline commands (`score`, `eval`): the embedded model scorer.
struct ModelScoringOptions: ParsableArguments {
    @Option(help: "GGUF model file: adds the model's level distribution and the combined level (default: rules only).")
    var model: String?

    @Option(help: "Minimum calibrated P(more urgent than the rules) for the model to raise the level.")
    var threshold: Double = 0.6

    @Option(help: "mmproj GGUF (vision tower) that reads the arrival's images with the note.")
    var mmproj: String?

    @Option(help: "Largest image decoded, in pixels (checked from the header before decoding).")
    var maxImagePixels = 50_000_000

    @Option(help: "Inference threads.")
    var threads: Int = 2

    @Option(help: "Token budget of the model's JSON rationale (0 = none).")
    var rationaleTokens: Int = 96

    @Option(help: "Language of the rationale: en, or note for the triage note's language.")
    var rationaleLanguage = "en"

    func validate() throws {
        guard RationaleLanguage(rawValue: rationaleLanguage) != nil else {
            throw ValidationError("--rationale-language must be one of "
                + RationaleLanguage.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    /// The scorer, or nil when no model was asked for; a model that cannot load is an error here
    /// (the service, unlike this command, degrades to the rules).
    func scorer(rationale: Bool) async throws -> ModelScorer? {
        guard let model else { return nil }
        do {
            let budget = rationale && rationaleTokens > 0
                ? RationaleBudget(maximumTokens: rationaleTokens, timeout: .seconds(60)) : nil
            let backend = try EmbeddedTriageModel(path: model, threads: threads,
                                                  rationaleMaxTokens: budget?.maximumTokens ?? 0,
                                                  mmproj: mmproj, maxImagePixels: maxImagePixels)
            return try await ModelScorer(backend: backend, rationaleBudget: budget,
                                         rationaleLanguage: RationaleLanguage(rawValue: rationaleLanguage) ?? .english)
        } catch {
            throw ValidationError("\(error)\n(run scripts/fetch-model.sh to get the default model)")
        }
    }
}
