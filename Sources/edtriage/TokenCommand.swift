import ArgumentParser
import TriageService

/// Mints a development bearer token signed with the configured HS256 secret.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Mint a development JWT for a role (needs the HS256 secret).")

    @OptionGroup var options: ConfigurationOptions
    @Option(help: "dashboard, nurse, physician or admin.") var role: Role
    @Option(help: "The token's subject, recorded as the actor in the audit log.") var subject: String?

    func run() async throws {
        let configuration = try await options.load()
        print(try await mintToken(configuration: configuration, role: role, actorID: subject ?? "dev-\(role.rawValue)"))
    }
}

extension Role: ExpressibleByArgument {}
