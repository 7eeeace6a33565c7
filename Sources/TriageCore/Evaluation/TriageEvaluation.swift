/// Agreement between proposed and expected ESI levels over a case set.
///
/// Under-triage (proposed less urgent than expected) is reported apart from over-triage because it is the
/// dangerous error.
public struct TriageEvaluation: Codable, Sendable, Hashable {
    public struct Row: Codable, Sendable, Hashable {
        public var id: String
        public var expected: ESILevel
        public var proposed: ESILevel

        public init(id: String, expected: ESILevel, proposed: ESILevel) {
            self.id = id
            self.expected = expected
            self.proposed = proposed
        }

        /// "exact", "under" or "over".
        public var outcome: String {
            if proposed == expected { return "exact" }
            return proposed.isMoreUrgent(than: expected) ? "over" : "under"
        }
    }

    public var count: Int
    public var accuracy: Double
    public var underTriageRate: Double
    public var overTriageRate: Double
    /// `confusionMatrix[expected - 1][proposed - 1]` counts cases.
    public var confusionMatrix: [[Int]]
    public var rows: [Row]

    public init(rows: [Row]) {
        self.rows = rows
        count = rows.count
        var matrix = Array(repeating: Array(repeating: 0, count: 5), count: 5)
        for row in rows { matrix[row.expected.rawValue - 1][row.proposed.rawValue - 1] += 1 }
        confusionMatrix = matrix
        func rate(_ outcome: String) -> Double {
            rows.isEmpty ? 0 : Double(rows.filter { $0.outcome == outcome }.count) / Double(rows.count)
        }
        accuracy = rate("exact")
        underTriageRate = rate("under")
        overTriageRate = rate("over")
    }

    /// Runs the rules over `cases`.
    public init(cases: [VignetteCase], rules: TriageRules = TriageRules()) {
        self.init(rows: cases.map {
            Row(id: $0.id, expected: $0.expectedLevel, proposed: rules.assess($0.presentation).result.level)
        })
    }

    private enum CodingKeys: String, CodingKey {
        case count, accuracy, rows
        case underTriageRate = "under_triage_rate"
        case overTriageRate = "over_triage_rate"
        case confusionMatrix = "confusion_matrix"
    }

    /// Summary, confusion matrix and per-case rows as an aligned plain-text table.
    public func textReport() -> String {
        var lines = [
            "cases \(count)   accuracy \(Self.percent(accuracy))   under-triage \(Self.percent(underTriageRate))"
                + "   over-triage \(Self.percent(overTriageRate))",
            "",
            "expected \\ proposed   ESI 1  ESI 2  ESI 3  ESI 4  ESI 5",
        ]
        for (index, counts) in confusionMatrix.enumerated() {
            lines.append(Self.pad("ESI \(index + 1)", 20) + counts.map { Self.pad("\($0)", 7, left: true) }.joined())
        }
        let idWidth = max(4, rows.map(\.id.count).max() ?? 0)
        lines += ["", Self.pad("case", idWidth) + "  expected  proposed  outcome"]
        for row in rows {
            lines.append(Self.pad(row.id, idWidth) + "  " + Self.pad("\(row.expected)", 8) + "  "
                         + Self.pad("\(row.proposed)", 8) + "  " + row.outcome)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func percent(_ rate: Double) -> String {
        let tenths = (rate * 1000).rounded() / 10
        return "\(tenths)%"
    }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? padding + text : text + padding
    }
}
