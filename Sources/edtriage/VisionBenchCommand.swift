import ArgumentParser
import Foundation
import GemmaEngine

/// `edtriage bench vision`: seconds per image through the vision tower (mmproj), so that
/// bench/compare-vision-llama-cpp.sh can put it beside llama.cpp's `mtmd_encode_chunk` on the same file.
struct VisionBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vision", abstract: "Image encode time of the vision tower (mmproj), and its float throughput.")

    @Option(help: "The vision tower (mmproj GGUF).")
    var mmproj = "Tests/GemmaEngineTests/Fixtures/vision/tiny-mmproj-f16.gguf"
    @Option(help: "An image (JPEG, PNG or WebP); default: a synthetic photo-sized gradient.") var image: String?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Measured encodes, after one warm-up encode.") var repetitions = 2

    func run() async throws {
        let tower: GemmaVisionModel
        do {
            tower = try GemmaVisionModel(path: mmproj, threads: threads)
        } catch {
            throw ValidationError("cannot load \(mmproj): \(error.description)")
        }
        let decoded = try image.map { path in
            guard let bytes = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            return try ImageDecoder.decode([UInt8](bytes), maximumPixels: 100_000_000)
        } ?? Self.gradient(width: 1_280, height: 960)
        let config = tower.config
        var pixels: [Float] = []
        let preprocessing = ModelBenchmark.seconds {
            let square = ImagePreprocessing.letterbox(decoded, side: config.imageSize)
            pixels = ImagePreprocessing.normalizedPlanes(square, mean: config.imageMean, std: config.imageStd)
        }
        let seconds = (0...max(1, repetitions)).map { _ in ModelBenchmark.seconds { _ = tower.encode(normalizedPixels: pixels) } }
            .dropFirst()
        let mean = seconds.reduce(0, +) / Double(seconds.count)
        let flops = Self.flopsPerImage(config)
        print("tower: \(mmproj): \(config.imageSize) px, patch \(config.patchSize), \(config.blockCount) blocks, width "
              + "\(config.width), MLP \(config.feedForwardLength), \(config.headCount) heads, projection \(config.projectionDimension)")
        print("threads: \(tower.parallel.threads), image \(decoded.width) × \(decoded.height)")
        print("products: " + ModelCommand.Info.productDescription(tower))
        print(String(format: "letterbox + normalize: %.1f ms", preprocessing * 1_000))
        print("encode seconds per image: " + seconds.map { String(format: "%.3f", $0) }.joined(separator: " ")
              + String(format: " (mean %.3f)", mean))
        print(String(format: "float work per image: %.2f TFLOP; achieved %.1f GFLOP/s", flops / 1e12, flops / mean / 1e9))
        let peak = FloatThroughput.measure(threads: tower.parallel.threads)
        print(String(format: "machine peak (float multiply-add chains measured on %d threads): %.0f GFLOP/s; the encoder runs at %.1f %% of it",
                     tower.parallel.threads, peak / 1e9, 100 * flops / mean / peak)
              + (tower.productsInBFloat16 ? " (bfloat16 pairs double the peak of the weight products)" : ""))
        print("peak RSS: \(BenchTable.mebibytes(ResourceUsage.peakResidentBytes()))")
    }

    /// Multiply-adds × 2 of one encode: patch convolution, per block Q/K/V/O, QKᵀ and PV, the MLP, and the
    /// projection of the pooled tokens (norms, softmax and GELU are a rounding error beside them).
    static func flopsPerImage(_ c: VisionConfig) -> Double {
        let (patches, width) = (Double(c.patchCount), Double(c.width))
        let convolution = 2 * patches * width * Double(3 * c.patchSize * c.patchSize)
        let block = 2 * patches * width * width * 4 + 2 * patches * patches * width * 2
            + 2 * patches * width * Double(c.feedForwardLength) * 2
        let projection = 2 * Double(c.tokensPerImage) * width * Double(c.projectionDimension)
        return convolution + Double(c.blockCount) * block + projection
    }

    /// A smooth colour gradient, like a photo's worth of pixels to letterbox.
    static func gradient(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8(x * 255 / width)
                pixels[i + 1] = UInt8(y * 255 / height)
                pixels[i + 2] = UInt8((x + y) * 255 / (width + height))
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
