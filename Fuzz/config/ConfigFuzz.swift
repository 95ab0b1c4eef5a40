// libFuzzer target: strict YAML loading of the agent configuration and of a camera calibration
// (`ConfigLoader.decode`, the text entry point `ConfigLoader.load` reads files through). See docs/fuzzing.md.
import ConfigKit
import Foundation
import LineConfig
import LineCore

/// Relative paths in the inputs (`../Calibration/line1-top.yaml`) resolve against this folder: scripts/fuzz.sh sets
/// `QAZ_FUZZ_CONFIG_DIR` to the repository's `Config/`, so the example seed validates completely.
private let baseDirectory = ProcessInfo.processInfo.environment["QAZ_FUZZ_CONFIG_DIR"].map { URL(fileURLWithPath: $0, isDirectory: true) }

@_cdecl("LLVMFuzzerTestOneInput")
public func configFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // `load(contentsOf:)` refuses non-UTF-8 files before decoding; the decoder itself only ever sees valid text.
    guard let yaml = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    do {
        let agent = try ConfigLoader.decode(AgentConfiguration.self, yaml: yaml, file: "agent.yaml", baseDirectory: baseDirectory)
        // A configuration that validates has payload rules that compile and can parse.
        guard let rules = try? agent.payload.rules() else { fatalError("validated payload rules do not compile") }
        _ = rules.parse("https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R")
    } catch {
        check(error, file: "agent.yaml")
    }
    do {
        _ = try ConfigLoader.decode(CalibrationConfiguration.self, yaml: yaml, file: "camera.yaml", baseDirectory: baseDirectory)
    } catch {
        check(error, file: "camera.yaml")
    }
    return 0
}

/// Every refusal names the file and says what is wrong (never an empty error).
private func check(_ error: ConfigError, file: String) {
    precondition(!error.issues.isEmpty, "ConfigError without issues")
    for issue in error.issues {
        precondition(issue.file == file, "issue names \(issue.file), not \(file)")
        precondition(!issue.message.isEmpty, "issue without a message at \(issue.path)")
    }
}
