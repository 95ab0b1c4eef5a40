import Foundation
import Yams

/// A configuration type that checks its values after decoding (ranges, references, combinations of keys).
public protocol ValidatableConfig {
    /// Records every problem found; the validator knows the key path of whatever is being checked.
    func validate(_ validator: inout ConfigValidator)
}

/// Collects semantic problems by key path while a configuration validates itself.
public struct ConfigValidator {
    /// The directory the configuration file is in: relative paths in the file are relative to it.
    public let baseDirectory: URL?
    /// The path of the value being validated now.
    public private(set) var path: ConfigPath
    /// Problems found so far (path, message).
    public private(set) var problems: [(path: ConfigPath, message: String)] = []

    public init(baseDirectory: URL?, path: ConfigPath = ConfigPath()) {
        self.baseDirectory = baseDirectory
        self.path = path
    }

    /// Records a problem with the current value.
    public mutating func error(_ message: String) { problems.append((path, message)) }

    /// Records a problem with the key `key` of the current mapping.
    public mutating func error(at key: String, _ message: String) { problems.append((path.appending(key), message)) }

    /// Records `message` at `key` unless `condition` holds.
    public mutating func check(_ condition: Bool, at key: String, _ message: @autoclosure () -> String) {
        if !condition { error(at: key, message()) }
    }

    /// Checks that `value` at `key` lies in `range`.
    public mutating func checkRange<T: Comparable>(_ value: T, _ range: ClosedRange<T>, at key: String, what: String = "a value") {
        check(range.contains(value), at: key, "expected \(what) \(range.lowerBound)-\(range.upperBound), got \(value)")
    }

    /// Checks that a file named in the configuration exists.
    @discardableResult
    public mutating func checkFileExists(_ path: String, at key: String, what: String) -> Bool {
        let url = resolve(path)
        let exists = FileManager.default.fileExists(atPath: url.path)
        check(exists, at: key, "\(what) \"\(path)\" does not exist (resolved to \(url.path))")
        return exists
    }

    /// Validates the value under `key` with the path extended.
    public mutating func nested(_ key: String, _ body: (inout ConfigValidator) -> Void) {
        let saved = path
        path = path.appending(key)
        body(&self)
        path = saved
    }

    /// Validates each item of the list under `key`, with `[index]` in the path.
    public mutating func each<T>(_ key: String, _ items: [T], _ body: (inout ConfigValidator, T) -> Void) {
        nested(key) { validator in
            for (index, item) in items.enumerated() {
                let saved = validator.path
                validator.path = validator.path.appending(index: index)
                body(&validator, item)
                validator.path = saved
            }
        }
    }

    /// Validates a nested configuration value under `key`.
    public mutating func validate(_ key: String, _ value: some ValidatableConfig) {
        nested(key) { value.validate(&$0) }
    }

    /// Resolves a path written in the file against the file's directory.
    public func resolve(_ path: String) -> URL {
        ConfigLoader.resolve(path, relativeTo: baseDirectory)
    }
}

/// Reads a YAML configuration file into a Codable type, strictly: unknown keys, wrong types, missing keys and
/// failed validations are all reported at once, each with file, line and key path.
public enum ConfigLoader {
    /// Loads and validates the file at `url`.
    public static func load<T: Decodable>(_ type: T.Type, contentsOf url: URL) throws(ConfigError) -> T {
        let name = url.lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "\(error.localizedDescription)"
            throw ConfigError(issues: [ConfigIssue(file: url.path, line: nil, path: ConfigPath(),
                                                   message: "cannot read the file: \(reason)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(issues: [ConfigIssue(file: name, line: nil, path: ConfigPath(), message: "the file is not UTF-8 text")])
        }
        return try decode(type, yaml: text, file: name, baseDirectory: url.deletingLastPathComponent())
    }

    /// Decodes and validates YAML text; `file` names it in errors.
    public static func decode<T: Decodable>(
        _ type: T.Type, yaml: String, file: String, baseDirectory: URL? = nil
    ) throws(ConfigError) -> T {
        func fail(_ line: Int?, _ message: String) -> ConfigError {
            ConfigError(issues: [ConfigIssue(file: file, line: line, path: ConfigPath(), message: message)])
        }
        if yaml.utf8.count > 4 << 20 { throw fail(nil, "the file is larger than 4 MiB; this is not a configuration file") }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { throw fail(nil, "the file is empty") }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            throw fail(context.mark.line, "key \(keys) appears more than once in one mapping")
        } catch let error as YamlError {
            let (line, problem) = describe(error)
            throw fail(line, "not valid YAML: \(problem)")
        } catch {
            throw fail(nil, "not valid YAML: \(error)")
        }
        guard case .mapping = root else {
            throw fail(root.mark?.line, "expected a mapping (key: value lines) at the top level, got \(root.kindDescription)")
        }

        let index = NodeIndex(root: root)
        let session = DecodingSession()
        var value: T?
        var aborted: (ConfigPath, String)?
        do {
            value = try NodeDecoder(node: root, path: ConfigPath(), session: session).decodeValue(T.self)
        } catch let error as DecodingError {
            aborted = describe(error)
        } catch {
            aborted = (ConfigPath(), "\(error)")
        }
        var problems = session.issues
        if let aborted { problems.append(aborted) }
        problems += index.unknownKeys(requested: session.requestedKeys)
        problems += index.duplicateKeys
        if let value, let validatable = value as? any ValidatableConfig {
            var validator = ConfigValidator(baseDirectory: baseDirectory)
            validatable.validate(&validator)
            // Values that failed to decode were replaced by placeholders: what validation says about them is noise.
            let replaced = problems.map(\.path)
            problems += validator.problems.filter { problem in !replaced.contains { $0.isPrefix(of: problem.path) } }
        }
        guard problems.isEmpty, let value else {
            let issues = problems.map { ConfigIssue(file: file, line: index.line(for: $0.path), path: $0.path, message: $0.message) }
            throw ConfigError(issues: issues.sorted { ($0.line ?? 0, $0.path.description) < ($1.line ?? 0, $1.path.description) }.uniqued())
        }
        return value
    }

    /// Resolves `path` against `base` unless it is absolute.
    public static func resolve(_ path: String, relativeTo base: URL?) -> URL {
        if path.hasPrefix("/") || base == nil { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL
    }

    private static func describe(_ error: YamlError) -> (Int?, String) {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return (mark.line, problem)
        case .reader(let problem, _, _, _):
            return (nil, problem)
        default:
            return (nil, "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> (ConfigPath, String) {
        let (codingPath, message): ([any CodingKey], String) = switch error {
        case .dataCorrupted(let context): (context.codingPath, context.debugDescription)
        case .keyNotFound(let key, let context): (context.codingPath + [key], "required key is missing")
        case .typeMismatch(_, let context): (context.codingPath, context.debugDescription)
        case .valueNotFound(_, let context): (context.codingPath, context.debugDescription)
        @unknown default: ([], "\(error)")
        }
        let path = ConfigPath(codingPath.map { key in key.intValue.map { .index($0) } ?? .key(key.stringValue) })
        return (path, message)
    }
}

/// Lines of every key and item in a document, and the document's own unknown and duplicate keys.
struct NodeIndex {
    private var lines: [ConfigPath: Int] = [:]
    private var mappings: [(path: ConfigPath, keys: [(name: String, line: Int?)])] = []
    private(set) var duplicateKeys: [(path: ConfigPath, message: String)] = []

    init(root: Node) {
        lines[ConfigPath()] = root.mark?.line ?? 1
        walk(root, path: ConfigPath())
    }

    private mutating func walk(_ node: Node, path: ConfigPath) {
        switch node {
        case .mapping(let mapping):
            var keys: [(String, Int?)] = []
            var seen: Set<String> = []
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    duplicateKeys.append((path, "a key must be a plain word, not \(key.kindDescription)"))
                    continue
                }
                let child = path.appending(name)
                if !seen.insert(name).inserted {
                    duplicateKeys.append((child, "key appears more than once in this mapping"))
                    continue
                }
                keys.append((name, key.mark?.line))
                lines[child] = key.mark?.line
                walk(value, path: child)
            }
            mappings.append((path, keys))
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() {
                let child = path.appending(index: index)
                lines[child] = item.mark?.line
                walk(item, path: child)
            }
        default:
            break
        }
    }

    /// The line of `path`, or of its nearest ancestor present in the file.
    func line(for path: ConfigPath) -> Int? {
        var current = path
        while true {
            if let line = lines[current] { return line }
            if current.isRoot { return nil }
            current = current.parent
        }
    }

    /// Keys present in a decoded mapping that its type never asked for.
    func unknownKeys(requested: [ConfigPath: Set<String>]) -> [(path: ConfigPath, message: String)] {
        var found: [(ConfigPath, String)] = []
        for mapping in mappings {
            guard let asked = requested[mapping.path] else { continue }
            for key in mapping.keys where !asked.contains(key.name) {
                var message = "unknown key \"\(key.name)\""
                if let guess = suggestion(for: key.name, among: asked.subtracting(mapping.keys.map(\.name))) {
                    message += " (did you mean \"\(guess)\"?)"
                } else if !asked.isEmpty {
                    message += "; this mapping takes: \(asked.sorted().joined(separator: ", "))"
                }
                found.append((mapping.path.appending(key.name), message))
            }
        }
        return found
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
