import Testing

/// Retries `condition` (errors count as false) until it holds, recording an issue after `timeout`.
/// Generous by default: the test machine is a loaded two-core box.
func eventually(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("condition not met within \(timeout)")
}
