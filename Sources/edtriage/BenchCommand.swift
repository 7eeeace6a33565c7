import ArgumentParser

/// Benchmarks (commands, not tests): figures in the README come from these.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks.", subcommands: [QueueBenchCommand.self, ModelBenchCommand.self, VisionBenchCommand.self])
}
