import ArgumentParser
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

// What every QazLine executable shares on its command line: the `--log-level` values and their error, the logging
// set-up, and printing to standard error.

/// `--log-level trace|debug|info|notice|warning|error|critical`: parsed and refused the same way by every executable
/// (ArgumentParser names the option and lists the accepted values).
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `--log-format text|json`: how a service writes its log lines.
public enum LogFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// swift-log's text lines (timestamp, level, label, message, metadata).
    case text
    /// One JSON object per line (``JSONLogHandler``), for journald's and log shippers' structured fields.
    case json
}

/// Logging set-up for an executable: one stream handler at `level`.
public enum CommandLogging {
    /// Where the log lines go: a command's standard error, or a service's standard output (journald).
    public enum Stream: Sendable { case standardError, standardOutput }

    /// Bootstraps swift-log once for the process.
    public static func bootstrap(level: Logger.Level, to stream: Stream = .standardError, format: LogFormat = .text) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = stream == .standardError ? StreamLogHandler.standardError(label: label) : StreamLogHandler.standardOutput(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label, output: stream == .standardError ? .standardError : .standardOutput)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// A `LogHandler` writing one JSON object per line:
/// `{"time":"2026-12-04T09:15:02.127Z","level":"info","label":"qazserver","message":"…","metadata":{"k":"v"},"source":"QazServer"}`
/// — `time` in UTC (ISO 8601 with milliseconds), metadata values as strings (nested values in their text form), and
/// `error` when the log call carried one. Each line is written with one `write(2)`, so lines of concurrent tasks never
/// interleave.
public struct JSONLogHandler: LogHandler {
    /// Where the lines go.
    public struct Output: Sendable {
        let write: @Sendable ([UInt8]) -> Void
        /// A file descriptor (standard output or error).
        public static func fileDescriptor(_ fd: Int32) -> Output {
            Output { bytes in
                bytes.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if written < 0 { if errno == EINTR { continue } else { return } }
                        offset += written
                    }
                }
            }
        }
        public static let standardOutput = fileDescriptor(STDOUT_FILENO)
        public static let standardError = fileDescriptor(STDERR_FILENO)
        /// Lines handed to a closure (tests).
        public static func custom(_ write: @escaping @Sendable ([UInt8]) -> Void) -> Output { Output(write: write) }
    }

    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let output: Output
    private let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - label: the logger's label.
    ///   - output: where the lines go.
    ///   - metadataProvider: contextual metadata (default: the logging system's).
    ///   - clock: the time of a line (tests give a fixed one).
    public init(label: String, output: Output = .standardOutput, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let given = event.metadata { merged.merge(given) { _, new in new } }
        var line = "{\"time\":\"" + Self.timestamp(clock()) + "\",\"level\":\"" + event.level.rawValue + "\",\"label\":"
        Self.appendString(label, to: &line)
        line += ",\"message\":"
        Self.appendString(event.message.description, to: &line)
        line += ",\"metadata\":{"
        for (index, key) in merged.keys.sorted().enumerated() {
            if index > 0 { line += "," }
            Self.appendString(key, to: &line)
            line += ":"
            Self.appendString(Self.text(of: merged[key]!), to: &line)
        }
        line += "},\"source\":"
        Self.appendString(event.source, to: &line)
        if let error = event.error {
            line += ",\"error\":"
            Self.appendString(String(describing: error), to: &line)
        }
        line += "}\n"
        output.write(Array(line.utf8))
    }

    /// A metadata value as one string: strings as they are, everything else in its text form.
    static func text(of value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array, .dictionary: value.description
        }
    }

    /// `2026-12-04T09:15:02.127Z`: UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        var milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let ms = Int(((milliseconds % 1000) + 1000) % 1000)
        milliseconds -= Int64(ms)
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms), 3))Z"
    }

    /// Appends `string` as a JSON string literal (quotes, backslashes and control characters escaped).
    static func appendString(_ string: String, to line: inout String) {
        line += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}

/// write(2), named apart from ``JSONLogHandler/Output``'s property.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #else
    Darwin.write(fd, buffer, count)
    #endif
}

/// Standard error as a `TextOutputStream`: `print("…", to: &stderr)`.
public struct StandardError: TextOutputStream {
    public init() {}
    public mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
