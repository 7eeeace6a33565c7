import Foundation
import Testing
import TriageService

/// The README's configuration and role tables are generated from the code; these tests keep them in step.
@Suite struct ReadmeTests {
    static let readme: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }()

    @Test func readmeShowsTheAccessTable() {
        #expect(Self.readme.contains(Endpoint.accessTableMarkdown()))
    }

    @Test func readmeShowsTheConfigurationTable() {
        #expect(Self.readme.contains(ServiceConfiguration.configurationTableMarkdown()))
    }
}
