import ArgumentParser
import Logging
import TriageService

/// Mints a development bearer token signed with the configured HS256 secret (only with
/// `auth.allow_dev_tokens`; each mint is audited).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a development JWT for a role (needs auth.allow_dev_tokens and the HS256 secret).")

    @OptionGroup var options: ConfigurationOptions
    @Option(help: "dashboard, nurse, physician, admin or intake.") var role: Role
    @Option(help: "The token's subject, recorded as the actor in the audit log.") var subject: String?
    @Option(name: .customLong("department"),
            help: "A department the token covers (repeat for several; * for all). Required when triage.departments names several.")
    var departments: [String] = []

    func run() async throws {
        let configuration = try await options.load()
        // Only errors: the token goes to stdout for scripts, and the audit connection's notices are noise.
        var logger = Logger(label: "edtriage.token")
        logger.logLevel = .error
        print(try await mintDevelopmentToken(configuration: configuration, role: role,
                                             actorID: subject ?? "dev-\(role.rawValue)",
                                             departments: departments.isEmpty ? nil : departments, logger: logger))
    }
}

extension Role: ExpressibleByArgument {}
