/// Whether the model read one of the arrival's images, so a nurse can tell a level that saw the wound
/// photo from one that did not.
public struct ImageAnalysis: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable {
        /// The model read the image with the note.
        case analysed
        /// The text score came first; the model reads the image next.
        case pending
        /// The model did not read it; `reason` says why.
        case notAnalysed = "not_analysed"
    }

    /// The image's place in the arrival's `images`, from 0.
    public var index: Int
    /// Hex SHA-256 of the image's bytes as received.
    public var sha256: String
    public var status: Status
    /// Why not analysed (no vision model, corrupt file, over a limit); no patient data.
    public var reason: String?

    public init(index: Int, sha256: String, status: Status, reason: String? = nil) {
        self.index = index
        self.sha256 = sha256
        self.status = status
        self.reason = reason
    }
}

extension ImageAnalysis {
    /// Every image with the same status and reason.
    public static func list(_ images: [ImageSubmission], status: Status, reason: String?) -> [ImageAnalysis] {
        images.enumerated().map { ImageAnalysis(index: $0.offset, sha256: $0.element.sha256, status: status, reason: reason) }
    }
}
