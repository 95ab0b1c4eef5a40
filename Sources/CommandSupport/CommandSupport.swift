import ArgumentParser
import Foundation
import Logging

// What every QazLine executable shares on its command line: the `--log-level` values and their error, the logging
// set-up, and printing to standard error.

/// `--log-level trace|debug|info|notice|warning|error|critical`: parsed and refused the same way by every executable
/// (ArgumentParser names the option and lists the accepted values).
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Logging set-up for an executable: one stream handler at `level`.
public enum CommandLogging {
    /// Where the log lines go: a command's standard error, or a service's standard output (journald).
    public enum Stream: Sendable { case standardError, standardOutput }

    /// Bootstraps swift-log once for the process.
    public static func bootstrap(level: Logger.Level, to stream: Stream = .standardError) {
        LoggingSystem.bootstrap { label in
            var handler = stream == .standardError ? StreamLogHandler.standardError(label: label) : StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Standard error as a `TextOutputStream`: `print("…", to: &stderr)`.
public struct StandardError: TextOutputStream {
    public init() {}
    public mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
