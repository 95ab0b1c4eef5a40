import ConfigKit
import Foundation
import LineConfig
import QazServer
import Testing

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Loads whichever configuration a fixture folder holds and returns its problems, one per line.
func problems(in folder: URL) throws -> String {
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
    guard let file = files.first, files.count == 1 else {
        Issue.record("\(folder.lastPathComponent): expected exactly one .yaml file, found \(files)")
        return ""
    }
    let url = folder.appendingPathComponent(file)
    do {
        switch file {
        case "agent.yaml": _ = try AgentPlan.load(contentsOf: url)
        case "calibration.yaml": _ = try ConfigLoader.load(CalibrationConfiguration.self, contentsOf: url)
        case "server.yaml": _ = try ConfigLoader.load(ServerConfiguration.self, contentsOf: url)
        default: Issue.record("unknown fixture file \(file)")
        }
        return ""
    } catch {
        // Absolute paths in messages depend on where the repository is checked out.
        return error.issues.map(\.description).joined(separator: "\n").replacingOccurrences(of: repositoryRoot.path, with: "<repo>") + "\n"
    }
}

@Suite("Configuration fixtures: Tests/Fixtures/config/<case>/{agent|calibration|server}.yaml + expected.txt")
struct FixtureTests {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/config")
    static let cases = ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []).sorted()

    @Test("there are at least 12 broken-configuration cases")
    func enoughCases() {
        #expect(Self.cases.count >= 12)
    }

    /// Set `UPDATE_FIXTURES=1` to write `expected.txt` from the current output (then review the diff).
    @Test("each broken configuration is refused with exactly the expected errors", arguments: cases)
    func brokenConfiguration(_ name: String) throws {
        let folder = Self.fixtures.appendingPathComponent(name)
        let actual = try problems(in: folder)
        let expectedURL = folder.appendingPathComponent("expected.txt")
        if ProcessInfo.processInfo.environment["UPDATE_FIXTURES"] == "1" {
            try actual.write(to: expectedURL, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        #expect(!actual.isEmpty, "\(name): the configuration was accepted")
        #expect(actual == expected)
        // Every error names a file, a line and (except for whole-file errors) a key path.
        for line in actual.split(separator: "\n") {
            #expect(line.range(of: #"^[\w.-]+\.yaml:\d+[ :]"#, options: .regularExpression) != nil, "no file:line in \(line)")
        }
    }
}

@Suite("Shipped configuration files")
struct ShippedFilesTests {
    @Test("every agent configuration in Config/ loads with its calibrations")
    func agentConfigurations() throws {
        let folder = repositoryRoot.appendingPathComponent("Config")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("agent") && $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files {
            let plan = try AgentPlan.load(contentsOf: folder.appendingPathComponent(file))
            #expect(plan.calibrations.count == plan.configuration.lines.flatMap(\.cameras).count)
        }
    }

    @Test("every server configuration in Config/ validates")
    func serverConfigurations() throws {
        let folder = repositoryRoot.appendingPathComponent("Config")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("server") && $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files {
            _ = try ConfigLoader.load(ServerConfiguration.self, contentsOf: folder.appendingPathComponent(file))
        }
    }

    @Test("every calibration file in Calibration/ validates and is named after its camera")
    func calibrations() throws {
        let folder = repositoryRoot.appendingPathComponent("Calibration")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files {
            let calibration = try ConfigLoader.load(CalibrationConfiguration.self, contentsOf: folder.appendingPathComponent(file))
            #expect(calibration.camera + ".yaml" == file)
        }
    }

    @Test("every key of the example agent configuration has a comment")
    func commentedKeys() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Config/agent.example.yaml"), encoding: .utf8)
        var uncommented: [String] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), trimmed.contains(":") else { continue }
            let previous = index > 0 ? lines[index - 1].trimmingCharacters(in: .whitespaces) : ""
            // A key is explained by a trailing comment, or by a comment line just above it.
            if !line.contains(" #") && !previous.hasPrefix("#") && !trimmed.hasPrefix("- recipe") { uncommented.append(String(line)) }
        }
        // Repeated product entries after the first are explained by the first one's comments.
        let allowed = Set(["dsnCode", "name", "type", "capacityMl", "strength"])
        let unexplained = uncommented.filter { line in !allowed.contains(line.trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init) ?? "") }
        #expect(unexplained.isEmpty, "keys without a comment: \(unexplained)")
    }
}
