import Foundation

/// A decoded image: `height` rows of `width` RGB pixels, three bytes each.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "RGB pixels of \(width) × \(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// What llama.cpp's mtmd does to an image before the Gemma 3 encoder sees it: a letterbox into the
/// encoder's square (aspect kept, Pillow's antialiased bilinear resample, centred on black), then each
/// channel scaled to 0…1 and normalized with the tower's mean and std, as planes.
public enum ImagePreprocessing {
    /// The image fitted into a `side` × `side` square: scaled by min(side/w, side/h) (in Float, each new
    /// side rounded up and capped at `side`), centred with integer offsets, the rest black.
    public static func letterbox(_ image: RGBImage, side: Int) -> RGBImage {
        let target = Float(side)
        let scale = min(target / Float(image.width), target / Float(image.height))
        let newWidth = min(Int((Float(image.width) * scale).rounded(.up)), side)
        let newHeight = min(Int((Float(image.height) * scale).rounded(.up)), side)
        let resized = (newWidth, newHeight) == (image.width, image.height)
            ? image : resample(image, width: newWidth, height: newHeight)
        let (left, top) = ((side - newWidth) / 2, (side - newHeight) / 2)
        var canvas = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<newHeight {
            let from = y * newWidth * 3, to = ((top + y) * side + left) * 3
            canvas.replaceSubrange(to..<to + newWidth * 3, with: resized.pixels[from..<from + newWidth * 3])
        }
        return RGBImage(width: side, height: side, pixels: canvas)
    }

    /// R, G and B planes of (value/255 − mean)/std.
    public static func normalizedPlanes(_ image: RGBImage, mean: [Float], std: [Float]) -> [Float] {
        let count = image.width * image.height
        var planes = [Float](repeating: 0, count: 3 * count)
        for pixel in 0..<count {
            for channel in 0..<3 {
                planes[channel * count + pixel] = (Float(image.pixels[pixel * 3 + channel]) / 255 - mean[channel]) / std[channel]
            }
        }
        return planes
    }

    // MARK: Pillow's resample (Resample.c), bilinear, 8 bits per channel

    /// Fixed-point fraction bits of the filter weights: 32 − 8 − 2, so a sum of weighted bytes fits an Int32.
    static let precisionBits = 22

    /// Horizontal pass, then vertical; a side already at its size is not resampled.
    static func resample(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var result = image
        if width != image.width {
            result = pass(result, outputLength: width, horizontal: true)
        }
        if height != image.height {
            result = pass(result, outputLength: height, horizontal: false)
        }
        return result
    }

    /// For each output index, the first input index and the fixed-point weights of the inputs it reads:
    /// the triangle filter widened by the downscale factor (antialiasing), normalized to sum 1.
    static func coefficients(inputLength: Int, outputLength: Int) -> [(first: Int, weights: [Int32])] {
        let scale = Double(inputLength) / Double(outputLength)
        let filterScale = max(scale, 1)
        let support = filterScale  // the bilinear (triangle) filter's support is 1
        let inverseScale = 1 / filterScale
        return (0..<outputLength).map { output in
            let center = (Double(output) + 0.5) * scale
            let first = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), inputLength)
            var weights = (first..<end).map { input in max(0, 1 - abs((Double(input) - center + 0.5) * inverseScale)) }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            let one = Double(1 << precisionBits)
            return (first, weights.map { Int32($0 < 0 ? -0.5 + $0 * one : 0.5 + $0 * one) })
        }
    }

    /// One axis resampled: each output byte is the rounded, clamped fixed-point sum of its inputs.
    private static func pass(_ image: RGBImage, outputLength: Int, horizontal: Bool) -> RGBImage {
        let (width, height) = horizontal ? (outputLength, image.height) : (image.width, outputLength)
        let table = coefficients(inputLength: horizontal ? image.width : image.height, outputLength: outputLength)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (first, weights) = table[horizontal ? x : y]
                for channel in 0..<3 {
                    var sum: Int32 = 1 << (precisionBits - 1)
                    for (offset, weight) in weights.enumerated() {
                        let (sx, sy) = horizontal ? (first + offset, y) : (x, first + offset)
                        sum &+= Int32(image.pixels[(sy * image.width + sx) * 3 + channel]) &* weight
                    }
                    pixels[(y * width + x) * 3 + channel] = UInt8(clamping: sum >> Int32(precisionBits))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
