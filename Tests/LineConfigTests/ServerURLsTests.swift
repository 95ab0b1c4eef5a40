import ConfigKit
import Foundation
import LineConfig
import Testing

/// `server.url` / `server.urls` / `server.failback`: one registrar address or several, decoded from the example
/// configuration with its `server.url` line replaced as an engineer would write it.
@Suite("Registrar addresses in the agent configuration")
struct ServerURLsTests {
    static let example = repositoryRoot.appendingPathComponent("Config/agent.example.yaml")
    static let urlLine = "  url: https://registrar.example.kz    # base URL (the API lives under /v1)\n"

    /// The example with its `server.url` line replaced by `lines` (each indented under `server:`).
    func yaml(_ lines: String) throws -> String {
        let text = try String(contentsOf: Self.example, encoding: .utf8)
        try #require(text.contains(Self.urlLine), "Config/agent.example.yaml no longer has the server.url line this test replaces")
        return text.replacingOccurrences(of: Self.urlLine, with: lines)
    }

    func decode(_ lines: String) throws -> AgentConfiguration {
        try ConfigLoader.decode(AgentConfiguration.self, yaml: try yaml(lines), file: "agent.yaml",
                                baseDirectory: Self.example.deletingLastPathComponent())
    }

    /// The problems, as `file:line key.path: message` (the configuration must be refused).
    func problems(_ lines: String) throws -> [String] {
        do {
            _ = try decode(lines)
            Issue.record("the configuration was accepted")
            return []
        } catch let error as ConfigError {
            return error.issues.map(\.description)
        }
    }

    @Test("server.url alone still works: one address, failback at its default")
    func singleURL() throws {
        let server = try decode(Self.urlLine).server
        #expect(server.urls == ["https://registrar.example.kz"])
        #expect(server.url == "https://registrar.example.kz")
        #expect(server.failback.duration == .seconds(300))
    }

    @Test("server.urls lists several addresses, the preferred first; failback is read")
    func severalURLs() throws {
        let server = try decode("""
              urls:
                - https://registrar-a.example.kz
                - https://registrar-b.example.kz/
              failback: 90s

            """).server
        #expect(server.urls == ["https://registrar-a.example.kz", "https://registrar-b.example.kz/"])
        #expect(server.url == "https://registrar-a.example.kz")
        #expect(server.failback.duration == .seconds(90))
    }

    @Test("server.url and server.urls together are refused, naming both keys")
    func bothKeys() throws {
        let found = try problems("""
              url: https://registrar.example.kz
              urls: [https://registrar-a.example.kz, https://registrar-b.example.kz]

            """)
        #expect(found.count == 1)
        #expect(found.first?.contains("server.urls: server.url and server.urls are both given; keep one") == true, "\(found)")
    }

    @Test("neither key: the error says which keys to give")
    func noAddress() throws {
        let found = try problems("")
        #expect(found.count == 1)
        #expect(found.first?.contains("server.url: no registrar address: give server.url (one URL) or server.urls (a list") == true,
                "\(found)")
    }

    @Test("each bad address is named by its index; an empty list, a repeat and a bad failback are refused")
    func badItems() throws {
        let found = try problems("""
              urls: [https://registrar-a.example.kz, "ftp://registrar-b.example.kz", "https://", https://REGISTRAR-A.example.kz/]
              failback: 0s

            """)
        #expect(found.contains { $0.hasSuffix("server.urls[1]: expected an http:// or https:// URL, got \"ftp://registrar-b.example.kz\"") },
                "\(found)")
        #expect(found.contains { $0.hasSuffix("server.urls[2]: the URL has no host: \"https://\"") }, "\(found)")
        #expect(found.contains { $0.contains("server.urls: server.urls[3] repeats server.urls[0]") }, "\(found)")
        #expect(found.contains { $0.contains("server.failback: expected a duration from 1s to 24h, got 0") }, "\(found)")
        #expect(found.count == 4, "\(found)")
        // Every problem names the file and a line
        for problem in found { #expect(problem.hasPrefix("agent.yaml:"), "\(problem)") }

        let empty = try problems("  urls: []\n")
        #expect(empty.count == 1 && empty[0].hasSuffix("server.urls: the list is empty: give at least one registrar URL"), "\(empty)")
    }

    @Test("server.url keeps its old checks")
    func badSingleURL() throws {
        let found = try problems("  url: registrar.example.kz\n")
        #expect(found.count == 1 && found[0].hasSuffix("server.url: expected an http:// or https:// URL, got \"registrar.example.kz\""),
                "\(found)")
    }
}
