import Foundation
import Hummingbird

/// A posted `application/x-www-form-urlencoded` form, read with a size limit.
public struct FormBody: Sendable {
    /// The largest form a console accepts.
    public static let maxBytes = 16 * 1024

    public private(set) var fields: [String: String] = [:]

    public init(fields: [String: String]) { self.fields = fields }

    /// Parses `a=1&b=two+words` (the last of repeated names wins).
    public init(parsing text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            fields[name] = value
        }
    }

    /// Reads the request's form body.
    /// - Throws: ``ConsoleError/badForm(_:)`` for a body that is too large, not a form, or not UTF-8.
    public static func read(_ request: Request) async throws(ConsoleError) -> FormBody {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            throw .badForm("expected a form (application/x-www-form-urlencoded), got \(type)")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: maxBytes) } catch {
            throw .badForm("the form is larger than \(maxBytes) bytes")
        }
        guard let text = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes),
              text.utf8.elementsEqual(buffer.readableBytesView) else {
            throw .badForm("the form is not UTF-8")
        }
        return FormBody(parsing: text)
    }

    public subscript(_ name: String) -> String? { fields[name] }

    /// A field trimmed of surrounding spaces; nil when absent or empty.
    public func text(_ name: String) -> String? {
        guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

/// What a console refuses, with what was wrong.
public enum ConsoleError: Error, Equatable, CustomStringConvertible {
    case badForm(String)
    case invalidField(name: String, problem: String)
    case forbidden(String)
    case csrf

    public var description: String {
        switch self {
        case .badForm(let detail): "bad form: \(detail)"
        case .invalidField(let name, let problem): "\(name): \(problem)"
        case .forbidden(let detail): detail
        case .csrf: "the form's security token is missing or does not match this session: reload the page and try again"
        }
    }
}
