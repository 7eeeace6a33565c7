/// Text as PostgreSQL stores it. It cannot hold NUL (in `text` or `jsonb`), and its `length()` counts Unicode
/// scalars, not the grapheme clusters Swift's `count` does: a letter followed by a thousand combining marks is
/// one Character but 1,001 scalars. Limits checked here therefore agree with the SQL `CHECK`s on every string,
/// and hostile text is refused as bad input instead of failing at the database.
public enum StoredText {
    public static func containsNUL(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.contains("\u{0}")
    }

    /// The length PostgreSQL's `length()` reports.
    public static func length(_ text: some StringProtocol) -> Int {
        text.unicodeScalars.count
    }
}
