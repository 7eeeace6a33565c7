/// Loopback ports for services the tests start.
public enum TestPorts {
    /// A random port below Linux's ephemeral range (32768–60999), so it never collides with the client side
    /// of a connection some other test opened.
    public static func random() -> Int { Int.random(in: 20_000..<32_768) }
}
