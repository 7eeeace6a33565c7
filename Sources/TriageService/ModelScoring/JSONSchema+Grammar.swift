import GemmaEngine

extension JSONSchema {
    /// The schema as a GBNF grammar, llama.cpp's format for constrained output (llama-server and
    /// `llama_cpp.server` take it as a completion's `grammar`), so a model server keeps to the shape the
    /// embedded decoder enforces. GBNF counts characters, not bytes: what comes back is still checked,
    /// byte by byte, with `JSONConstraint`.
    var grammar: String { "root ::= " + grammarExpression }

    private var grammarExpression: String {
        switch self {
        case .string(let maxBytes):
            // A letter or a non-ASCII character first, then no quote, backslash or control character.
            return #""\"" ([A-Za-z] | [^\x00-\x7F]) [^"\\\x00-\x1F\x7F]{0,"# + "\(maxBytes - 1)" + #"} "\"""#
        case .array(let item, let maxItems):
            guard maxItems > 0 else { return #""[]""# }
            let one = "(" + item.grammarExpression + ")"
            return #""[" ("# + one + #" ("," "# + one + "){0,\(maxItems - 1)})? \"]\""
        case .object(let fields):
            let members = fields.enumerated().map { index, field in
                "\"" + (index == 0 ? "{" : ",") + "\\\"" + field.key + "\\\":\" (" + field.value.grammarExpression + ")"
            }
            return fields.isEmpty ? #""{" "}""# : members.joined(separator: " ") + #" "}""#
        }
    }
}
