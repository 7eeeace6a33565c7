import ArgumentParser
import Logging
import TriageService

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending SQL migrations (refuses when an applied file has changed).")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try await options.load()
        let applied = try await migrateDatabase(configuration: configuration, logger: Logger(label: "edtriage.migrate"))
        print(applied.isEmpty ? "schema is current" : applied.map { "applied \($0.fileName)" }.joined(separator: "\n"))
    }
}
