import ArgumentParser
import CommandSupport
import Foundation
import Logging
import Synchronization
import Testing

@Suite("JSON log lines for journald: one object per line, UTC with milliseconds, metadata as strings")
struct JSONLogHandlerTests {
    /// Collects what the handler writes.
    final class Lines: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        var output: JSONLogHandler.Output { .custom { written in self.bytes.withLock { $0 += written } } }
        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
        /// Each line parsed as a JSON object.
        func objects() throws -> [[String: Any]] {
            try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            }
        }
    }

    static let fixed = Date(timeIntervalSince1970: 1_796_387_702.127_9)  // 2026-12-04T12:35:02.127Z

    @Test("a line holds time, level, label, message, metadata and source, in that order; levels below the handler's are dropped")
    func fields() throws {
        let lines = Lines()
        var handler = JSONLogHandler(label: "qazserver", output: lines.output, metadataProvider: nil, clock: { Self.fixed })
        handler.logLevel = .info
        var logger = Logger(label: "qazserver", factory: { _ in handler })
        logger[metadataKey: "listen.port"] = "8080"
        logger.debug("not written")
        logger.info("registrar listening", metadata: ["listen.host": "127.0.0.1", "batch.items": .stringConvertible(42)])
        #expect(lines.text == #"{"time":"2026-12-04T12:35:02.127Z","level":"info","label":"qazserver","message":"registrar listening","metadata":{"batch.items":"42","listen.host":"127.0.0.1","listen.port":"8080"},"source":"CommandSupportTests"}"# + "\n")
    }

    @Test("quotes, backslashes, newlines, control characters and non-ASCII text survive as valid JSON")
    func escaping() throws {
        let lines = Lines()
        let logger = Logger(label: "qazline.agent", factory: { JSONLogHandler(label: $0, output: lines.output, metadataProvider: nil) })
        let message = "bottle \"7\" \\ rejected\nsecond line\t\u{01}end — Өтелген"
        logger.error("\(message)", metadata: ["camera.id": "line1-top\r\n", "codes": ["a", "b"], "nested": ["k": "v"]])
        let objects = try lines.objects()
        #expect(objects.count == 1)
        let object = try #require(objects.first)
        #expect(object["message"] as? String == message)
        #expect(object["level"] as? String == "error")
        #expect(object["label"] as? String == "qazline.agent")
        let metadata = try #require(object["metadata"] as? [String: String])
        #expect(metadata["camera.id"] == "line1-top\r\n")
        #expect(metadata["codes"] == #"["a", "b"]"#)
        #expect(metadata["nested"] == #"["k": "v"]"#)
        #expect(lines.text.filter { $0 == "\n" }.count == 1)
    }

    @Test("time is UTC, ISO 8601 with three fraction digits", arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"), (1_796_387_702.999_9, "2026-12-04T12:35:02.999Z"), (951_782_400.5, "2000-02-29T00:00:00.500Z"),
    ])
    func timestamps(seconds: Double, expected: String) throws {
        let lines = Lines()
        let logger = Logger(label: "t", factory: { JSONLogHandler(label: $0, output: lines.output, metadataProvider: nil,
                                                                  clock: { Date(timeIntervalSince1970: seconds) }) })
        logger.notice("x")
        #expect(try lines.objects().first?["time"] as? String == expected)
    }

    @Test("the metadata provider's values and an error are included; lines of concurrent tasks never interleave")
    func providerErrorAndConcurrency() async throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "disk full" } }
        let lines = Lines()
        let provider = Logger.MetadataProvider { ["request.id": "r-1"] }
        let logger = Logger(label: "t", factory: { JSONLogHandler(label: $0, output: lines.output, metadataProvider: provider) })
        logger.warning("outbox write failed", error: Broken(), source: "Outbox")
        let first = try #require(try lines.objects().first)
        #expect(first["error"] as? String == "disk full")
        #expect(first["source"] as? String == "Outbox")
        #expect((first["metadata"] as? [String: String])?["request.id"] == "r-1")
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask { for n in 0..<200 { logger.info("task \(task) line \(n) \(String(repeating: "x", count: 300))") } }
            }
        }
        #expect(try lines.objects().count == 1 + 8 * 200)
    }

    @Test("--log-format accepts text and json and nothing else")
    func option() {
        #expect(LogFormat(argument: "json") == .json)
        #expect(LogFormat(argument: "text") == .text)
        #expect(LogFormat(argument: "JSON") == nil)
        #expect(LogFormat.allValueStrings == ["text", "json"])
    }
}
