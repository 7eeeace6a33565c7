import ArgumentParser
import Foundation
import Logging
import TriageCore
import TriageService
import TriageStore

/// Puts NDJSON arrivals on the queue with the same decoding and validation as `POST /v1/arrivals`.
/// Each line stands alone: a rejected line writes nothing and is reported by number and field only.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "Enqueue NDJSON arrivals from FILE, or from standard input with -.")

    @OptionGroup var options: ConfigurationOptions
    @Argument(help: "NDJSON file, one arrival per line; - reads standard input.") var file: String

    func run() async throws {
        let configuration = try await options.load()
        let data = try file == "-" ? FileHandle.standardInput.readToEnd() ?? Data() : Data(contentsOf: URL(fileURLWithPath: file))
        let validator = ArrivalValidator(limits: configuration.triage.arrivalLimits)
        let context = AuditContext(actor: "edtriage-ingest", role: "ingest", requestID: UUID().uuidString)
        let tally = try await withStore(configuration, logger: Logger(label: "edtriage.ingest")) { store in
            try await store.registerDepartments(configuration.triage.departments)
            var tally = IngestTally()
            for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
            where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
                do {
                    var submission = try ArrivalSubmission.decodeJSON(Data(line))
                    let flags = try validator.validate(&submission)
                    let result = try await store.enqueue(submission, flags: flags, context: context)
                    result.isDuplicate ? (tally.duplicates += 1) : (tally.accepted += 1)
                } catch let error as ArrivalValidationError {
                    tally.reject(line: index + 1, reason: error.description)
                } catch let error as DecodingError {
                    tally.reject(line: index + 1, reason: error.fieldDescription)
                } catch let error as QueueError {
                    tally.reject(line: index + 1, reason: error.description)
                }
            }
            return tally
        }
        print("accepted \(tally.accepted), duplicates \(tally.duplicates), rejected \(tally.rejected.count)")
        tally.rejected.forEach { printError("line \($0.line): \($0.reason)") }
        if !tally.rejected.isEmpty { throw ExitCode(2) }
    }
}

private struct IngestTally: Sendable {
    var accepted = 0
    var duplicates = 0
    var rejected: [(line: Int, reason: String)] = []

    mutating func reject(line: Int, reason: String) { rejected.append((line, reason)) }
}

extension ArrivalSubmission {
    /// Decodes one arrival as the API does (RFC 3339 dates).
    static func decodeJSON(_ data: Data) throws -> ArrivalSubmission {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = RFC3339.decodingStrategy
        return try decoder.decode(ArrivalSubmission.self, from: data)
    }
}

extension DecodingError {
    /// Names the field and the problem without echoing the value, which may be patient text.
    var fieldDescription: String {
        switch self {
        case .keyNotFound(let key, let context):
            "\((context.codingPath + [key]).dottedPath): required field missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "\(context.codingPath.dottedPath): wrong type"
        case .dataCorrupted(let context):
            context.codingPath.isEmpty ? "malformed JSON" : "\(context.codingPath.dottedPath): \(context.debugDescription)"
        @unknown default:
            "malformed arrival"
        }
    }
}

extension [any CodingKey] {
    var dottedPath: String { map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
}
