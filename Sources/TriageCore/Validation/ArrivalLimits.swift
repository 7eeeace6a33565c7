/// Size limits for what an arrival may carry. Configurable because image sizes depend on the
/// cameras a site uses; the clinical ranges are fixed in `ArrivalValidator`.
public struct ArrivalLimits: Sendable, Hashable {
    public var maxImages: Int
    public var maxImageBytes: Int
    public var allowedImageContentTypes: Set<String>
    /// The service's departments, in configuration order.
    public var departments: [String]

    public init(maxImages: Int = 4, maxImageBytes: Int = 5 * 1024 * 1024,
                allowedImageContentTypes: Set<String> = ["image/jpeg", "image/png", "image/webp"],
                departments: [String] = [Department.defaultCode]) {
        self.maxImages = maxImages
        self.maxImageBytes = maxImageBytes
        self.allowedImageContentTypes = allowedImageContentTypes
        self.departments = departments
    }
}

/// Why an arrival was rejected: which field (as a JSON path) and what is allowed.
///
/// The message never repeats the submitted value, so it can be logged and returned to a client
/// without leaking patient text.
public struct ArrivalValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// JSON path of the offending field, e.g. `"vitals.hr"` or `"images[1].content_type"`.
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}
