import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import TriageService
import TriageStore

/// `--config FILE`, shared by every command that talks to the database or the service.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file; EDTRIAGE_* environment variables override it.")
    var config: String = ServiceConfiguration.defaultFilePath

    /// The loaded configuration, with logging bootstrapped at its level (stderr, so stdout stays data).
    func load() async throws -> ServiceConfiguration {
        let configuration = try await ServiceConfiguration.load(file: config)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        return configuration
    }
}

/// Runs `body` with a store over a running client connected as the service role, then shuts the client down.
func withStore<Result: Sendable>(
    _ configuration: ServiceConfiguration, logger: Logger,
    _ body: @Sendable (PostgresTriageStore) async throws -> Result
) async throws -> Result {
    try await PostgresClient.withRunning(
        configuration.database.serviceClientConfiguration,
        logger: logger
    ) { client in
        try await body(PostgresTriageStore(client: client, configuration: configuration.storeConfiguration, logger: logger))
    }
}

/// Writes `message` to stderr: diagnostics never mix with a command's output.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
