/// Gemma 3's chat format: turns wrapped in `<start_of_turn>ROLE\n … <end_of_turn>\n`, roles
/// `user` and `model`. There is no system role: system text goes first in the first user turn,
/// separated by a blank line (as Gemma's own chat template does).
public enum ChatTemplate {
    public enum Role: Sendable { case user, model }

    public struct Message: Sendable, Equatable {
        public var role: Role
        public var text: String
        public init(_ role: Role, _ text: String) {
            self.role = role
            self.text = text
        }
    }

    /// The prompt text, ending with an open model turn for the reply. Encode it with
    /// `addBOS: true, parseSpecial: true`.
    public static func prompt(system: String? = nil, messages: [Message]) -> String {
        var text = ""
        for (index, message) in messages.enumerated() {
            let role = message.role == .user ? "user" : "model"
            var body = message.text
            if index == 0, message.role == .user, let system, !system.isEmpty {
                body = system + "\n\n" + body
            }
            text += "<start_of_turn>\(role)\n\(body)<end_of_turn>\n"
        }
        return text + "<start_of_turn>model\n"
    }
}
