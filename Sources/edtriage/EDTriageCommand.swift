import ArgumentParser

/// Root command. The lead's merged version replaces this file; model logic lives in ModelCommand.swift.
@main
struct EDTriageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edtriage",
        abstract: "Emergency-department triage service.",
        subcommands: [ModelCommand.self]
    )
}
