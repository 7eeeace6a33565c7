import ArgumentParser
import Foundation
import GemmaEngine

/// `edtriage bench model`: the engine's speed in llama-bench's terms (pp512, tg128), so that
/// bench/compare-llama-cpp.sh can put both side by side, plus what issue 5's targets need:
/// peak RSS, a prefix-cached prompt scored cold and warm, and the memory-bandwidth bound on generation.
struct ModelBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Prompt processing and generation speed of the Gemma engine (like llama-bench).")

    @OptionGroup var options: ModelCommand.ModelOptions
    @Option(help: "Tokens in the prompt-processing test (ppN).") var prompt = 512
    @Option(help: "Tokens in the generation test (tgN).") var generate = 128
    @Option(help: "Measured runs per test, after one warm-up run.") var repetitions = 5
    @Flag(help: "Skip the memory read-bandwidth estimate (it allocates 1 GiB).") var noBandwidth = false

    func run() async throws {
        let model = try options.load()
        let benchmark = ModelBenchmark(model: model, repetitions: repetitions)
        let table = BenchTable(model: model, path: options.model)
        table.printHeader()
        table.printRow(test: "pp\(prompt)", rates: benchmark.promptProcessing(tokens: prompt))
        table.printRow(test: "tg\(generate)", rates: benchmark.generation(tokens: generate))
        let generationRate = benchmark.lastMean
        let prefixed = benchmark.prefixedPrompt(prefix: 500, suffix: 100, scoredTokens: 5)
        // Read before the bandwidth test, whose buffer would otherwise dominate the peak.
        let peakRSS = ResourceUsage.peakResidentBytes()
        print("")
        print("peak RSS: \(BenchTable.mebibytes(peakRSS))")
        print(prefixed.report)
        let bytesPerToken = model.weightBytesPerToken
        print("weight bytes read per generated token (in the layouts products read; KV cache excluded): \(BenchTable.mebibytes(bytesPerToken))")
        guard !noBandwidth else { return }
        let bandwidth = MemoryBandwidth.measure(threads: model.parallel.threads)
        let bound = bandwidth / Double(bytesPerToken)
        print(String(format: "memory read bandwidth (%d threads, best of 3 sums over 1 GiB): %.2f GB/s", model.parallel.threads, bandwidth / 1e9))
        print(String(format: "generation bound = bandwidth / bytes per token: %.1f t/s; tg%d reaches %.0f %% of it",
                     bound, generate, 100 * generationRate / bound))
    }
}

/// Times the engine on random tokens, as llama-bench does (the cost does not depend on their values).
final class ModelBenchmark {
    let model: GemmaModel
    let repetitions: Int
    /// Mean tokens/s of the latest test.
    private(set) var lastMean = 0.0
    private var random = SystemRandomNumberGenerator()

    init(model: GemmaModel, repetitions: Int) {
        self.model = model
        self.repetitions = max(1, repetitions)
    }

    /// A prompt of `count` tokens into an empty cache, logits of the last token only: tokens/s per run.
    func promptProcessing(tokens count: Int) -> [Double] {
        measure(tokens: count) { session in
            try session.append(randomTokens(count))
            _ = try session.logits()
        }
    }

    /// `count` single-token steps from an empty cache, full logits after each (what sampling needs).
    func generation(tokens count: Int) -> [Double] {
        measure(tokens: count) { session in
            for token in randomTokens(count) {
                try session.append([token])
                _ = try session.logits()
            }
        }
    }

    /// A `prefix + suffix` token prompt scored by the logits of `scoredTokens` ids, cold (everything
    /// evaluated) and warm (the prefix's KV state restored, only the suffix evaluated); best of the runs.
    func prefixedPrompt(prefix: Int, suffix: Int, scoredTokens: Int) -> PrefixedPromptResult {
        let session = model.makeSession(contextLength: prefix + suffix)
        let prefixTokens = randomTokens(prefix), suffixTokens = randomTokens(suffix)
        let ids = Array(randomTokens(scoredTokens))
        var cold = [Double](), warm = [Double](), coldLogits = [Float](), warmLogits = [Float]()
        try! session.append(prefixTokens)
        let snapshot = session.snapshot()
        for _ in 0...repetitions {
            session.reset()
            cold.append(Self.seconds {
                try! session.append(prefixTokens + suffixTokens)
                coldLogits = try! session.logits(for: ids)
            })
            warm.append(Self.seconds {
                try! session.restore(snapshot)
                try! session.append(suffixTokens)
                warmLogits = try! session.logits(for: ids)
            })
        }
        return PrefixedPromptResult(prefix: prefix, suffix: suffix, scoredTokens: scoredTokens,
                                    cold: cold.dropFirst().min()!, warm: warm.dropFirst().min()!,
                                    logitsMatch: coldLogits == warmLogits)
    }

    private func measure(tokens: Int, _ body: (GemmaSession) throws -> Void) -> [Double] {
        let session = model.makeSession(contextLength: tokens)
        let rates = (0...repetitions).map { _ in
            session.reset()
            return Double(tokens) / Self.seconds { try! body(session) }
        }
        let measured = Array(rates.dropFirst())
        lastMean = measured.reduce(0, +) / Double(measured.count)
        return measured
    }

    private func randomTokens(_ count: Int) -> [TokenID] {
        (0..<count).map { _ in TokenID.random(in: 0..<TokenID(model.config.vocabularySize), using: &random) }
    }

    static func seconds(_ body: () -> Void) -> Double {
        let elapsed = ContinuousClock().measure(body)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// Cold versus prefix-cached scoring of one prompt.
struct PrefixedPromptResult {
    let prefix: Int, suffix: Int, scoredTokens: Int
    let cold: Double, warm: Double
    let logitsMatch: Bool

    var report: String {
        String(format: "%d-token prompt, %d-token shared prefix, logits of %d ids: cold %.1f ms, prefix cached %.1f ms (%.2f × faster, %@)",
               prefix + suffix, prefix, scoredTokens, cold * 1000, warm * 1000, cold / warm,
               logitsMatch ? "same logits" : "LOGITS DIFFER")
    }
}

/// llama-bench's markdown table: one row per test, mean ± sample standard deviation of tokens/s.
struct BenchTable {
    let model: GemmaModel
    let path: String

    func printHeader() {
        print("| model | size | params | backend | threads | test | t/s |")
        print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    }

    func printRow(test: String, rates: [Double]) {
        let mean = rates.reduce(0, +) / Double(rates.count)
        let variance = rates.count > 1 ? rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rates.count - 1) : 0
        // Sizes as llama-bench counts them: tensor elements and bytes, without the GGUF header.
        let parameters = model.file.tensors.reduce(0) { $0 + $1.elementCount }
        let tensorBytes = model.file.tensors.reduce(0) { $0 + $1.data.count }
        let name = "\((path as NSString).lastPathComponent) \(model.quantization ?? "")"
        print(String(format: "| %@ | %@ | %.2f M | CPU (%@) | %d | %@ | %.2f ± %.2f |",
                     name, Self.mebibytes(tensorBytes), Double(parameters) / 1e6, model.kernelPath,
                     model.parallel.threads, test, mean, variance.squareRoot()))
    }

    static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.2f MiB", Double(bytes) / 1_048_576)
    }
}

enum ResourceUsage {
    /// The process's peak resident set (getrusage's ru_maxrss: KiB on Linux, bytes on macOS).
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return usage.ru_maxrss
        #endif
    }
}
