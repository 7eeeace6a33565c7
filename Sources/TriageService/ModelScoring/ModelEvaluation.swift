import Foundation
import TriageCore

/// Rules alone, the model alone (raw and calibrated) and the combination, on one case set, with the
/// per-case latency of each and a sweep of the raise threshold (the data for choosing it).
public struct ModelEvaluation: Codable, Sendable {
    public struct Run: Codable, Sendable {
        public var name: String
        public var evaluation: TriageEvaluation
        public var meanLatencyMilliseconds: Double
        public var p95LatencyMilliseconds: Double

        private enum CodingKeys: String, CodingKey {
            case name, evaluation
            case meanLatencyMilliseconds = "mean_latency_ms"
            case p95LatencyMilliseconds = "p95_latency_ms"
        }
    }

    /// The combination's results at one threshold.
    public struct SweepPoint: Codable, Sendable {
        public var threshold: Double
        public var accuracy: Double
        public var underTriageRate: Double
        public var overTriageRate: Double
        /// Cases where the model raised the level.
        public var raised: Int

        private enum CodingKeys: String, CodingKey {
            case threshold, accuracy, raised
            case underTriageRate = "under_triage_rate"
            case overTriageRate = "over_triage_rate"
        }
    }

    public var model: ModelIdentity
    public var promptVersion: String
    /// The content-free patient's distribution that calibration divides out.
    public var prior: LevelDistribution
    public var threshold: Double
    public var runs: [Run]
    public var sweep: [SweepPoint]

    public static let sweepThresholds = (1...19).map { Double($0) * 5 / 100 }

    /// Scores every case with the rules and the model (once), then combines at `threshold` and at
    /// each sweep threshold.
    public static func run(cases: [VignetteCase], scorer: ModelScorer, threshold: Double,
                           rules: TriageRules = TriageRules()) async throws -> ModelEvaluation {
        let clock = ContinuousClock()
        var rulesTimes: [Duration] = [], modelTimes: [Duration] = []
        var scored: [(case: VignetteCase, rules: RulesAssessment, model: ModelAssessment)] = []
        for item in cases {
            var assessment: RulesAssessment?
            rulesTimes.append(clock.measure { assessment = rules.assess(item.presentation) })
            let start = clock.now
            let model = await scorer.assessOnce(item.presentation, rules: assessment!)
            modelTimes.append(clock.now - start)
            guard model.status == .scored, model.distribution != nil else {
                throw ModelUnavailable("case \(item.id): \(model.reason ?? "no distribution")")
            }
            scored.append((item, assessment!, model))
        }
        func evaluation(_ level: (VignetteCase, RulesAssessment, ModelAssessment) -> ESILevel) -> TriageEvaluation {
            TriageEvaluation(rows: scored.map {
                TriageEvaluation.Row($0.case, proposed: level($0.case, $0.rules, $0.model))
            })
        }
        func combined(at threshold: Double) -> [AssessmentDraft] {
            scored.map { TriagePolicy.modelPhase(rules: $0.rules, model: $0.model, threshold: threshold, inputSHA256: "") }
        }
        let chosen = combined(at: threshold)
        let combinedTimes = zip(rulesTimes, modelTimes).map { $0 + $1 }
        let runs = [
            Run(name: "rules", evaluation: evaluation { _, rules, _ in rules.result.level }, times: rulesTimes),
            Run(name: "model (raw)", evaluation: evaluation { _, _, model in model.rawDistribution!.mostLikely }, times: modelTimes),
            Run(name: "model (calibrated)", evaluation: evaluation { _, _, model in model.distribution!.mostLikely }, times: modelTimes),
            Run(name: "combined (t = \(threshold))",
                evaluation: TriageEvaluation(rows: zip(scored, chosen).map {
                    TriageEvaluation.Row($0.case, proposed: $1.proposedLevel)
                }), times: combinedTimes),
        ]
        let sweep = sweepThresholds.map { point in
            let drafts = combined(at: point)
            let result = TriageEvaluation(rows: zip(scored, drafts).map {
                TriageEvaluation.Row($0.case, proposed: $1.proposedLevel)
            })
            return SweepPoint(threshold: point, accuracy: result.accuracy, underTriageRate: result.underTriageRate,
                              overTriageRate: result.overTriageRate,
                              raised: drafts.filter { $0.model?.effect == .raised }.count)
        }
        return ModelEvaluation(model: scorer.backend.identity, promptVersion: TriagePrompt.version, prior: scorer.prior,
                               threshold: threshold, runs: runs, sweep: sweep)
    }

    /// The comparison table, the calibration prior, the threshold sweep, then each run's report.
    public func textReport() -> String {
        func percent(_ rate: Double) -> String { String(format: "%5.1f%%", rate * 100) }
        func milliseconds(_ value: Double) -> String { String(format: "%8.1f", value) }
        var lines = [
            "model \(model.name) (\(model.quantization ?? "?"), sha256 \(model.sha256 ?? "?")), \(model.engine), \(promptVersion)",
            "calibration prior P(ESI 1…5) on a content-free patient: "
                + prior.probabilities.map { String(format: "%.3f", $0) }.joined(separator: " "),
            "",
            "scorer                  accuracy  under  over   mean ms   p95 ms",
        ]
        for run in runs {
            let e = run.evaluation
            lines.append(run.name.padding(toLength: 22, withPad: " ", startingAt: 0) + "  " + percent(e.accuracy)
                         + "  " + percent(e.underTriageRate) + " " + percent(e.overTriageRate)
                         + milliseconds(run.meanLatencyMilliseconds) + " " + milliseconds(run.p95LatencyMilliseconds))
        }
        lines += ["", "threshold sweep (combined): threshold accuracy under over raised"]
        for point in sweep {
            lines.append(String(format: "  %.2f  ", point.threshold) + percent(point.accuracy) + " "
                         + percent(point.underTriageRate) + " " + percent(point.overTriageRate) + "  \(point.raised)")
        }
        for run in runs {
            lines += ["", "== \(run.name)", run.evaluation.textReport()]
        }
        return lines.joined(separator: "\n")
    }
}

extension ModelEvaluation.Run {
    init(name: String, evaluation: TriageEvaluation, times: [Duration]) {
        let milliseconds = times.map { Double($0.components.seconds) * 1_000 + Double($0.components.attoseconds) / 1e15 }.sorted()
        self.init(name: name, evaluation: evaluation,
                  meanLatencyMilliseconds: milliseconds.isEmpty ? 0 : milliseconds.reduce(0, +) / Double(milliseconds.count),
                  p95LatencyMilliseconds: milliseconds.isEmpty ? 0
                    : milliseconds[min(milliseconds.count - 1, Int((Double(milliseconds.count) * 0.95).rounded(.up)) - 1)])
    }
}
