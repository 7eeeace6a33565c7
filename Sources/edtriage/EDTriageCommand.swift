import ArgumentParser

@main
struct EDTriageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edtriage",
        abstract: "Emergency-department triage: arrival queue, ESI scoring, prioritized worklist.",
        subcommands: [
            ServeCommand.self, WorkerCommand.self, MigrateCommand.self, IngestCommand.self,
            WorklistCommand.self, ScoreCommand.self, EvalCommand.self, VerifyAuditCommand.self,
            TokenCommand.self, BenchCommand.self, ModelCommand.self,
        ]
    )
}
