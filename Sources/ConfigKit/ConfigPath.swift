/// Where a value sits in a configuration file: `lines[0].plc.port`.
public struct ConfigPath: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// One step of a path.
    public enum Component: Hashable, Sendable {
        /// A mapping key.
        case key(String)
        /// A sequence index (0-based).
        case index(Int)
    }

    public private(set) var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// Parses the dotted form (`lines[0].plc.port`); used by tests and fixtures.
    public init(stringLiteral value: String) {
        var components: [Component] = []
        for part in value.split(separator: ".") {
            var rest = part[...]
            if let bracket = rest.firstIndex(of: "[") {
                if bracket > rest.startIndex { components.append(.key(String(rest[..<bracket]))) }
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]"),
                      let index = Int(rest[rest.index(after: rest.startIndex)..<close]) {
                    components.append(.index(index))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                components.append(.key(String(rest)))
            }
        }
        self.components = components
    }

    /// This path with a key appended.
    public func appending(_ key: String) -> ConfigPath { ConfigPath(components + [.key(key)]) }
    /// This path with an index appended.
    public func appending(index: Int) -> ConfigPath { ConfigPath(components + [.index(index)]) }
    /// The path one step up (the root's parent is the root).
    public var parent: ConfigPath { ConfigPath(Array(components.dropLast())) }
    /// Whether `other` is this path or lies below it.
    public func isPrefix(of other: ConfigPath) -> Bool {
        other.components.count >= components.count && Array(other.components.prefix(components.count)) == components
    }

    /// Whether this is the document root.
    public var isRoot: Bool { components.isEmpty }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}

/// One thing wrong with a configuration file: which file, which line, which key, and what.
public struct ConfigIssue: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file's name as the user gave it (its last path component).
    public var file: String
    /// The 1-based line the problem is on (the key's line, or the nearest enclosing key's for a missing one).
    public var line: Int?
    /// The key path of the offending value.
    public var path: ConfigPath
    /// What is wrong, and where it helps, what is expected.
    public var message: String

    public init(file: String, line: Int?, path: ConfigPath, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    /// `agent.yaml:14 lines[0].plc.port: expected an integer 1-65535, got "50x2"`
    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isRoot ? "\(location): \(message)" : "\(location) \(path): \(message)"
    }
}

/// Every problem found in one configuration file. Thrown by ``ConfigLoader``; never empty.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var issues: [ConfigIssue]
    public init(issues: [ConfigIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
