import Foundation

/// Splits a SQL file into statements, because PostgresNIO sends every query through the extended
/// protocol, which takes one statement at a time.
///
/// Semicolons inside quoted strings ('…'), quoted identifiers ("…"), dollar-quoted bodies ($$…$$,
/// $tag$…$tag$) and comments (-- and /* */) do not end a statement.
public enum SQLScript {
    public static func statements(_ script: String) -> [String] {
        let characters = Array(script)
        var statements: [String] = []
        var current = ""
        var index = 0

        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { statements.append(trimmed) }
            current = ""
        }

        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "-" where next == "-":
                index = skip(characters, from: index, through: "\n")
            case "/" where next == "*":
                index = skip(characters, from: index + 2, through: "*/")
            case "'", "\"":
                let end = skip(characters, from: index + 1, through: String(character))
                current += String(characters[index..<end])
                index = end
            case "$":
                if let tag = dollarTag(characters, at: index) {
                    let end = skip(characters, from: index + tag.count, through: tag)
                    current += String(characters[index..<end])
                    index = end
                } else {
                    current.append(character)
                    index += 1
                }
            case ";":
                flush()
                index += 1
            default:
                current.append(character)
                index += 1
            }
        }
        flush()
        return statements
    }

    /// The index just past the next occurrence of `terminator` at or after `start` (or the end).
    /// A doubled quote inside a quoted string ('it''s') is found as two terminators in a row, which
    /// re-enters the string at the next character and so reads on correctly.
    private static func skip(_ characters: [Character], from start: Int, through terminator: String) -> Int {
        let pattern = Array(terminator)
        var index = start
        while index + pattern.count <= characters.count {
            if Array(characters[index..<index + pattern.count]) == pattern { return index + pattern.count }
            index += 1
        }
        return characters.count
    }

    /// `$$` or `$tag$` starting at `index`, if there is one.
    private static func dollarTag(_ characters: [Character], at index: Int) -> String? {
        var end = index + 1
        while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" {
            end += 1
        }
        guard end < characters.count, characters[end] == "$" else { return nil }
        // `$1` is a parameter, not a tag.
        if end > index + 1, characters[index + 1].isNumber { return nil }
        return String(characters[index...end])
    }
}
