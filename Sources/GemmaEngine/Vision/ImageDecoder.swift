import CImageCodecs

/// Why an image could not be read. The reason names the defect, never the image's content.
public enum ImageDecodingError: Error, Equatable, CustomStringConvertible {
    case unsupportedFormat(String)
    /// Refused from the header alone, before any pixel was decoded (a decompression bomb stops here).
    case tooLarge(width: Int, height: Int, limit: Int)
    case corrupt(String)

    public var description: String {
        switch self {
        case .unsupportedFormat(let reason): "unsupported image: \(reason)"
        case .tooLarge(let width, let height, let limit):
            "image of \(width) × \(height) pixels exceeds the limit of \(limit) pixels"
        case .corrupt(let reason): "image is truncated or corrupt: \(reason)"
        }
    }
}

/// JPEG, PNG and WebP files to RGB pixels (libjpeg-turbo, libpng, libwebp), upright: a JPEG's EXIF
/// orientation is applied, as a phone's photo is meant to be seen.
public enum ImageDecoder {
    public static func decode(_ bytes: [UInt8], maximumPixels: Int) throws(ImageDecodingError) -> RGBImage {
        var reason = [CChar](repeating: 0, count: 256)
        var (width, height): (Int32, Int32) = (0, 0)
        let probed = ic_probe(bytes, bytes.count, &width, &height, &reason, reason.count)
        try check(probed, reason)
        guard Int(width) * Int(height) <= maximumPixels else {
            throw .tooLarge(width: Int(width), height: Int(height), limit: maximumPixels)
        }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
        let decoded = ic_decode(bytes, bytes.count, &pixels, width, height, &reason, reason.count)
        try check(decoded, reason)
        let image = RGBImage(width: Int(width), height: Int(height), pixels: pixels)
        guard ic_sniff(bytes, bytes.count) == IC_JPEG, let orientation = ExifOrientation.read(jpeg: bytes) else { return image }
        return orientation.upright(image)
    }

    private static func check(_ status: ic_status, _ reason: [CChar]) throws(ImageDecodingError) {
        let text = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case IC_OK: return
        case IC_UNSUPPORTED: throw .unsupportedFormat(text)
        default: throw .corrupt(text)
        }
    }
}

/// The EXIF orientation tag (0x0112) of a JPEG's APP1 segment: how the stored pixels must be turned to
/// stand upright (EXIF 2.32, CIPA DC-008, 4.6.4 A).
public enum ExifOrientation: Int, Sendable {
    case upright = 1, mirrored, upsideDown, mirroredUpsideDown, transposed, rotatedClockwise, transverse,
         rotatedCounterClockwise

    /// The orientation, or nil when the file has none (or it cannot be read: the image is then used as stored).
    static func read(jpeg bytes: [UInt8]) -> ExifOrientation? {
        var offset = 2  // after SOI
        while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1]
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            if marker == 0xDA || length < 2 { return nil }  // start of scan: no more metadata
            let segment = offset + 4, end = offset + 2 + length
            guard end <= bytes.count else { return nil }
            if marker == 0xE1, end - segment >= 6, Array(bytes[segment..<segment + 6]) == Array("Exif\0\0".utf8) {
                return tiffOrientation(Array(bytes[segment + 6..<end]))
            }
            offset = end
        }
        return nil
    }

    /// Orientation from a TIFF structure's first IFD, every offset bounds-checked.
    static func tiffOrientation(_ tiff: [UInt8]) -> ExifOrientation? {
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func integer(_ at: Int, _ size: Int) -> Int? {
            guard at >= 0, at + size <= tiff.count else { return nil }
            let bytes = tiff[at..<at + size]
            return (little ? bytes.reversed() : Array(bytes)).reduce(0) { $0 << 8 | Int($1) }
        }
        guard let ifd = integer(4, 4), let count = integer(ifd, 2) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = integer(at, 2) else { return nil }
            if tag == 0x0112, let type = integer(at + 2, 2), type == 3, let value = integer(at + 8, 2) {
                return ExifOrientation(rawValue: value)
            }
        }
        return nil
    }

    /// The stored pixels turned so that the image stands as the camera saw it.
    func upright(_ image: RGBImage) -> RGBImage {
        let (w, h) = (image.width, image.height)
        let swapsSides = rawValue >= 5
        let (outWidth, outHeight) = swapsSides ? (h, w) : (w, h)
        var pixels = [UInt8](repeating: 0, count: image.pixels.count)
        for y in 0..<outHeight {
            for x in 0..<outWidth {
                let (sx, sy): (Int, Int) = switch self {
                case .upright: (x, y)
                case .mirrored: (w - 1 - x, y)
                case .upsideDown: (w - 1 - x, h - 1 - y)
                case .mirroredUpsideDown: (x, h - 1 - y)
                case .transposed: (y, x)
                case .rotatedClockwise: (y, h - 1 - x)
                case .transverse: (w - 1 - y, h - 1 - x)
                case .rotatedCounterClockwise: (w - 1 - y, x)
                }
                let to = (y * outWidth + x) * 3, from = (sy * w + sx) * 3
                pixels[to..<to + 3] = image.pixels[from..<from + 3]
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: pixels)
    }
}
