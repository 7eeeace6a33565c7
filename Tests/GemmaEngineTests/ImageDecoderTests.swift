import ComputeThreadTesting
import Foundation
import Testing

@testable import GemmaEngine

/// JPEG, PNG and WebP decoding (libjpeg-turbo, libpng, libwebp): the fixtures' pixels as llama.cpp's own
/// decoder read them, EXIF orientation, and a clear error for every bad file, hostile sizes refused from
/// the header before anything is decoded.
@Suite("Image decoder", .onComputeThread)
struct ImageDecoderTests {
    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: TestResources.fixtures.appendingPathComponent("vision/\(name)")))
    }

    /// What decoding `bytes` throws, if anything.
    static func error(decoding bytes: [UInt8], maximumPixels: Int = 1 << 24) -> ImageDecodingError? {
        do {
            _ = try ImageDecoder.decode(bytes, maximumPixels: maximumPixels)
            return nil
        } catch {
            return error
        }
    }

    /// PNG and lossless WebP give exactly the pixels llama.cpp's decoder (stb_image) gave; JPEG decoders may
    /// differ by a level or two in the IDCT (stb_image is not libjpeg-turbo).
    @Test(arguments: [("square-40x40.png", 0), ("wide-60x30.png", 0), ("large-300x200.png", 0),
                      ("square-40x40.webp", 0), ("tall-30x45.jpg", 2)])
    func decodesTheFixturesAsLlamaCppsDecoderDid(file: String, tolerance: Int) throws {
        let image = try ImageDecoder.decode(try Self.bytes(file), maximumPixels: 1 << 24)
        let reference = try VisionModelTests.rgb(file.replacingOccurrences(of: ".webp", with: ".png"), letterboxed: false)
        #expect((image.width, image.height) == (reference.width, reference.height))
        let worst = zip(image.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.max() ?? .max
        #expect(worst <= tolerance, "\(file): largest difference \(worst)")
    }

    @Test func aHostileSizeIsRefusedFromTheHeaderAlone() throws {
        // A PNG signature and an IHDR claiming 50,000 × 50,000 pixels, and nothing else: decoding it would fail
        // as truncated; the size check comes first.
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
        png += [0x00, 0x00, 0xC3, 0x50, 0x00, 0x00, 0xC3, 0x50, 8, 2, 0, 0, 0, 0, 0, 0, 0]
        #expect(Self.error(decoding: png, maximumPixels: 50_000_000) == .tooLarge(width: 50_000, height: 50_000, limit: 50_000_000))
        #expect(Self.error(decoding: try Self.bytes("square-40x40.png"), maximumPixels: 1_000)
            == .tooLarge(width: 40, height: 40, limit: 1_000))
    }

    @Test(arguments: ["square-40x40.png", "tall-30x45.jpg", "square-40x40.webp"])
    func truncatedFilesAreCorrupt(file: String) throws {
        let whole = try Self.bytes(file)
        let error = Self.error(decoding: Array(whole.prefix(whole.count * 2 / 3)))
        guard case .corrupt(let reason) = error else {
            Issue.record("\(file) cut short: \(String(describing: error))")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test func otherFilesAreUnsupported() {
        #expect(Self.error(decoding: Array("GIF89a, not one of ours".utf8))
            == .unsupportedFormat("not a JPEG, PNG or WebP image"))
        #expect(Self.error(decoding: []) == .unsupportedFormat("not a JPEG, PNG or WebP image"))
    }

    /// The JPEG fixture with an EXIF APP1 segment inserted after SOI: orientation 6 (turn clockwise) makes
    /// the 30 × 45 image 45 × 30, each pixel where the turn puts it.
    @Test func exifOrientationIsApplied() throws {
        let jpeg = try Self.bytes("tall-30x45.jpg")
        let stored = try ImageDecoder.decode(jpeg, maximumPixels: 1 << 20)
        for littleEndian in [true, false] {
            let tiff: [UInt8] = littleEndian
                ? [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]
                : [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]
            let payload = Array("Exif\0\0".utf8) + tiff
            let segment: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
            let rotated = try ImageDecoder.decode(Array(jpeg.prefix(2)) + segment + Array(jpeg.dropFirst(2)),
                                                  maximumPixels: 1 << 20)
            #expect((rotated.width, rotated.height) == (45, 30))
            // Turned clockwise: the stored bottom-left pixel is now the top-left one.
            let bottomLeft = (44 * 30) * 3
            #expect(Array(rotated.pixels[0..<3]) == Array(stored.pixels[bottomLeft..<bottomLeft + 3]))
            #expect(rotated == ExifOrientation.rotatedClockwise.upright(stored))
        }
    }

    @Test func everyOrientationTurnsBackToTheStoredImage() {
        let stored = RGBImage(width: 3, height: 2, pixels: (0..<18).map(UInt8.init))
        // Applying an orientation's turn, then its inverse, returns the stored pixels.
        let inverse: [ExifOrientation: ExifOrientation] = [
            .upright: .upright, .mirrored: .mirrored, .upsideDown: .upsideDown, .mirroredUpsideDown: .mirroredUpsideDown,
            .transposed: .transposed, .rotatedClockwise: .rotatedCounterClockwise, .transverse: .transverse,
            .rotatedCounterClockwise: .rotatedClockwise,
        ]
        for (orientation, undo) in inverse {
            #expect(undo.upright(orientation.upright(stored)) == stored, "\(orientation)")
        }
    }
}
