import ArgumentParser
import Foundation
import GemmaEngine
import TriageService

/// `edtriage model …`: inspect the local model, tokenize text and generate continuations.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect and run the local Gemma model.",
        subcommands: [Info.self, Tokenize.self, Generate.self]
    )

    /// Options every model subcommand takes.
    struct ModelOptions: ParsableArguments {
        @Option(help: "Path of the GGUF model file (for info, also an mmproj vision file).")
        var model: String = GemmaModel.defaultPath

        @Option(help: "Worker threads (default: all cores).")
        var threads: Int?

        func load() throws -> GemmaModel {
            do {
                return try GemmaModel(path: model, threads: threads)
            } catch {
                throw ModelLoadFailure(reason: error.description)
            }
        }

        /// The file as a vision tower (mmproj) when it is one, else nil.
        func loadVisionTower() throws -> GemmaVisionModel? {
            do {
                guard try GGUFFile(path: model).metadata["general.architecture"]?.string == "clip" else { return nil }
                return try GemmaVisionModel(path: model, threads: threads)
            } catch let error as GGUFError {
                throw ModelLoadFailure(reason: error.description)
            } catch {
                throw ModelLoadFailure(reason: "\(error)")
            }
        }
    }

    /// A model that cannot be loaded: reported with the remedy, without the usage text.
    struct ModelLoadFailure: Error, CustomStringConvertible {
        let reason: String
        var description: String { "\(reason)\n(run scripts/fetch-model.sh to get the default model)" }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print metadata, tensor types and sizes.")

        @OptionGroup var options: ModelOptions

        @Option(help: "An mmproj vision tower to check against the text model: whether the model can read images.")
        var mmproj: String?

        func run() async throws {
            // The whole file is validated before anything is printed: a corrupt one gets only the error.
            let file: GGUFFile
            var summary: String
            if let tower = try options.loadVisionTower() {
                file = tower.file
                summary = Self.summary(tower)
            } else {
                let model = try options.load()
                file = model.file
                summary = "kernels: \(model.kernelPath), threads: \(model.parallel.threads)"
                if let mmproj {
                    let (tower, reason) = EmbeddedTriageModel.loadVision(mmproj, pairedWith: model.config,
                                                                         threads: model.parallel.threads)
                    summary += "\nvision: " + (tower.map { "available: " + Self.summary($0) } ?? "unavailable: \(reason ?? "")")
                }
            }
            print("file: \(options.model) (\(file.fileSize) bytes, GGUF v\(file.version), alignment \(file.alignment))")
            print("metadata:")
            for key in file.metadataKeys {
                print("  \(key) = \(Self.summary(file.metadata[key]!))")
            }
            print("tensors: \(file.tensors.count)")
            var bytesByType: [String: (count: Int, bytes: Int)] = [:]
            for tensor in file.tensors {
                print("  \(tensor.name) \(tensor.type) \(tensor.shape) \(tensor.data.count) bytes")
                let entry = bytesByType[tensor.type.description] ?? (0, 0)
                bytesByType[tensor.type.description] = (entry.count + 1, entry.bytes + tensor.data.count)
            }
            print("by type:")
            for (type, entry) in bytesByType.sorted(by: { $0.key < $1.key }) {
                print("  \(type): \(entry.count) tensors, \(entry.bytes) bytes")
            }
            print(summary)
        }

        /// What the vision tower makes of an image, and which text models it pairs with.
        static func summary(_ tower: GemmaVisionModel) -> String {
            let c = tower.config
            return """
                vision tower (gemma3 projector): \(c.imageSize) px images, \(c.patchSize) px patches \
                (\(c.patchesPerSide) × \(c.patchesPerSide)), \(c.blockCount) blocks of width \(c.width), \
                \(c.headCount) heads, MLP \(c.feedForwardLength); pooled \(c.poolingSide) × \(c.poolingSide) to \
                \(c.tokensPerImage) tokens per image, projected to \(c.projectionDimension) \
                (pairs with a text model of embedding length \(c.projectionDimension))\
                \(tower.feedForwardNamesSwapped ? "; MLP up/down names swapped (older converter), read by shape" : ""); \
                products \(productDescription(tower))
                """
        }

        /// How the tower's float products run, and why.
        static func productDescription(_ tower: GemmaVisionModel) -> String {
            tower.productsInBFloat16
                ? "in bfloat16 (the weights are bfloat16 values and the CPU multiplies bfloat16 pairs)"
                : "in float"
        }

        /// A value as text; long arrays are abbreviated to their length and first elements.
        static func summary(_ value: GGUFValue) -> String {
            switch value {
            case .string(let text): return text.debugDescription
            case .array(let elements) where elements.count > 8:
                return "[\(elements.prefix(4).map(summary).joined(separator: ", ")), …] (\(elements.count) elements)"
            case .array(let elements): return "[\(elements.map(summary).joined(separator: ", "))]"
            case .bool(let flag): return String(flag)
            default: return value.int.map(String.init) ?? value.double.map { String($0) } ?? "?"
            }
        }
    }

    struct Tokenize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the token ids and pieces of TEXT.")

        @OptionGroup var options: ModelOptions

        @Flag(help: "Match control tokens such as <start_of_turn> in the text.")
        var parseSpecial = false

        @Argument(help: "The text to tokenize.")
        var text: String

        func run() async throws {
            let model = try options.load()
            let ids = model.encode(text, parseSpecial: parseSpecial)
            for id in ids {
                print("\(id)\t\(model.tokenizer.pieces[Int(id)].debugDescription)")
            }
            print("\(ids.count) tokens")
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Continue a prompt (greedy unless --temperature is set).")

        @OptionGroup var options: ModelOptions

        @Option(help: "The prompt text (control tokens such as <start_of_turn> are recognised).")
        var prompt: String

        @Option(name: .short, help: "Number of tokens to generate.")
        var n: Int = 32

        @Option(help: "Sampling temperature; 0 picks the most likely token.")
        var temperature: Float = 0

        @Option(help: "Keep only the K most likely tokens when sampling (0 = all).")
        var topK: Int = 0

        @Option(help: "Nucleus sampling threshold.")
        var topP: Float = 1

        @Option(help: "Seed of the sampler.")
        var seed: UInt64 = 0

        @Flag(help: "Wrap the prompt in Gemma's chat template as one user turn.")
        var chat = false

        @Option(help: "The vision tower (mmproj GGUF) that reads --image files.")
        var mmproj: String?

        @Option(help: "An image (JPEG, PNG or WebP) for the prompt, repeatable; each \(Self.imageMarker) in the prompt marks where one goes (default: all before the text).")
        var image: [String] = []

        @Option(help: "Largest image accepted, in pixels (checked before decoding).")
        var maxImagePixels = 50_000_000

        /// Where an image goes in the prompt.
        static let imageMarker = "<image>"

        func run() async throws {
            guard n > 0 else { throw ValidationError("-n must be positive") }
            let model = try options.load()
            let images = try softTokens(pairedWith: model)
            var text = prompt
            let markers = text.components(separatedBy: Self.imageMarker).count - 1
            if markers == 0 { text = String(repeating: Self.imageMarker, count: images.count) + text }
            guard markers == 0 || markers == images.count else {
                throw ValidationError("the prompt has \(markers) \(Self.imageMarker) markers for \(images.count) images")
            }
            if chat { text = ChatTemplate.prompt(messages: [.init(.user, text)]) }
            let session = model.makeSession()
            let clock = ContinuousClock()
            let prefillTime = try clock.measure {
                // Each image: <start_of_image>, its soft tokens, <end_of_image>, as Gemma 3 was trained.
                for (index, part) in text.components(separatedBy: Self.imageMarker).enumerated() {
                    let closing = index > 0 ? "<end_of_image>" : "", opening = index < images.count ? "<start_of_image>" : ""
                    try session.append(model.encode(closing + part + opening, addBOS: index == 0, parseSpecial: true))
                    if index < images.count { try session.append(softTokens: images[index].rows, count: images[index].count) }
                }
            }
            let promptTokens = session.tokens
            var generator = Generator(session: session, sampler: Sampler(temperature: temperature, topK: topK, topP: topP, seed: seed))
            var printer = StreamingPrinter(tokenizer: model.tokenizer)
            var generated: [TokenID] = []
            let generationTime = try clock.measure {
                generated = try generator.generate(maximumTokens: n) { printer.print($0) }
            }
            printer.finish()
            let standardError = FileHandle.standardError
            standardError.write(Data(("\n" + Self.rate("prompt", promptTokens.count, prefillTime)
                + Self.rate("generation", generated.count, generationTime)).utf8))
        }

        /// Each --image read, made upright and encoded by the --mmproj tower.
        private func softTokens(pairedWith model: GemmaModel) throws -> [(rows: [Float], count: Int)] {
            guard !image.isEmpty else { return [] }
            guard let mmproj else { throw ValidationError("--image needs --mmproj, the vision tower that reads it") }
            let tower: GemmaVisionModel
            do {
                tower = try GemmaVisionModel(path: mmproj, threads: options.threads)
                try tower.checkPairs(with: model.config)
            } catch {
                throw ModelLoadFailure(reason: error.description)
            }
            return try image.map { path in
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("cannot read image \(path)")
                }
                do {
                    let decoded = try ImageDecoder.decode([UInt8](bytes), maximumPixels: maxImagePixels)
                    return (tower.encode(decoded), tower.config.tokensPerImage)
                } catch {
                    throw ValidationError("\(path): \(error)")
                }
            }
        }

        static func rate(_ label: String, _ tokens: Int, _ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
            return "\(label): \(tokens) tokens in \(String(format: "%.3f", seconds)) s (\(String(format: "%.1f", Double(tokens) / seconds)) tokens/s)\n"
        }
    }
}

/// Writes generated text as it arrives, holding back bytes of an incomplete UTF-8 character.
struct StreamingPrinter {
    let tokenizer: Tokenizer
    private var pending: [UInt8] = []

    init(tokenizer: Tokenizer) { self.tokenizer = tokenizer }

    mutating func print(_ token: TokenID) {
        pending += tokenizer.bytes(of: token)
        let complete = Self.completePrefixLength(pending)
        FileHandle.standardOutput.write(Data(pending[..<complete]))
        pending.removeFirst(complete)
    }

    mutating func finish() {
        FileHandle.standardOutput.write(Data(pending))
        pending = []
    }

    /// Length of the longest prefix that does not end inside a multi-byte UTF-8 character.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var index = bytes.count - 1
        var continuation = 0
        while index >= 0, bytes[index] & 0xC0 == 0x80, continuation < 3 {
            index -= 1
            continuation += 1
        }
        guard index >= 0 else { return bytes.count }
        let lead = bytes[index]
        let expected = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        return expected > continuation + 1 ? index : bytes.count
    }
}
