import CGemmaKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Gemma 3 model loaded from a GGUF file: configuration, tokenizer and memory-mapped weights.
///
/// Immutable and shareable across tasks; all mutable inference state lives in `GemmaSession`.
public final class GemmaModel: Sendable {
    /// Where the project keeps the embedded default model (see scripts/fetch-model.sh).
    public static let defaultPath = ".local/models/gemma-3-270m-q4_k_m.gguf"

    public let file: GGUFFile
    public let config: GemmaConfig
    public let tokenizer: Tokenizer
    public let parallel: Parallel
    /// The instruction sets the kernels use (the requested ones, capped by the CPU).
    let isa: gk_isa
    let weights: GemmaWeights

    /// Loads and validates the model; `threads` defaults to all cores. Q4_0/Q5_0/Q8_0
    /// matrices are interleaved for VNNI products here when the CPU has them.
    public init(path: String, threads: Int? = nil, instructionSet: InstructionSet = .best) throws(GemmaModelError) {
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw .file(error)
        }
        tokenizer = try Tokenizer(metadata: file.metadata)
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.shape.count == 2 else {
            throw .missingTensor("token_embd.weight")
        }
        config = try GemmaConfig(metadata: file.metadata, vocabularySize: embedding.shape[1])
        guard tokenizer.vocabularySize == config.vocabularySize else {
            throw .inconsistentShape("\(tokenizer.vocabularySize) tokenizer pieces, \(config.vocabularySize) embedding rows")
        }
        parallel = Parallel(threads: threads ?? Self.coreCount)
        isa = gk_usable_isa(instructionSet == .portable ? GK_ISA_PORTABLE : GK_ISA_AVX512_VNNI)
        weights = try GemmaWeights(file: file, config: config, isa: isa, parallel: parallel)
    }

    public static var coreCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// A fresh inference session with an empty KV cache holding at most `contextLength`
    /// positions (default: the model's trained context length).
    public func makeSession(contextLength: Int? = nil) -> GemmaSession {
        GemmaSession(model: self, contextLength: min(contextLength ?? config.contextLength, config.contextLength))
    }

    /// Text to token ids (see `Tokenizer.encode`).
    public func encode(_ text: String, addBOS: Bool = true, parseSpecial: Bool = false) -> [TokenID] {
        tokenizer.encode(text, addBOS: addBOS, parseSpecial: parseSpecial)
    }

    /// Token ids to text (see `Tokenizer.decode`).
    public func decode(_ tokens: [TokenID], special: Bool = false) -> String {
        tokenizer.decode(tokens, special: special)
    }
}

/// Which kernels a model's products may use.
public enum InstructionSet: Sendable {
    /// The widest this CPU supports (AVX-512 VNNI, AVX-512, AVX2 + FMA, or portable C).
    case best
    /// Plain C that runs on any CPU; tests use it to keep that path correct.
    case portable
}

extension GemmaModel {
    /// The kernel path in use: "avx512-vnni", "avx512", "avx2" or "portable".
    public var kernelPath: String { String(cString: gk_isa_name(isa)) }

    /// Weight bytes one generated token reads, in the layouts the products read (interleaved
    /// copies are larger than Q4_0/Q5_0/Q4_K/Q6_K originals): the memory-bandwidth cost of a token.
    public var weightBytesPerToken: Int { weights.bytesPerGeneratedToken }
}
