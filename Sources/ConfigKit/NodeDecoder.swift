import Yams

/// State shared by every decoder of one document: the problems found and the keys each mapping was asked for.
final class DecodingSession {
    var issues: [(path: ConfigPath, message: String)] = []
    /// Keys the decoded types asked for, per mapping path (present or not): the complement is unknown keys.
    var requestedKeys: [ConfigPath: Set<String>] = [:]
    /// > 0 while decoding a placeholder for a missing or wrongly typed value: its own problems are not news.
    var suppressed = 0

    func record(_ path: ConfigPath, _ message: String) {
        if suppressed == 0 { issues.append((path, message)) }
    }

    func withSuppressed<T>(_ body: () throws -> T) rethrows -> T {
        suppressed += 1
        defer { suppressed -= 1 }
        return try body()
    }
}

/// A `Decoder` over a Yams node tree that keeps going after a bad value so that one run reports every problem,
/// and that records which keys were asked for so that unknown keys can be reported.
struct NodeDecoder: Decoder {
    let node: Node?
    let path: ConfigPath
    let session: DecodingSession

    var codingPath: [any CodingKey] { path.components.map(PathKey.init) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch node {
        case .mapping(let mapping)?:
            return KeyedDecodingContainer(KeyedNodeContainer<Key>(mapping: mapping, path: path, session: session))
        case nil:
            return KeyedDecodingContainer(KeyedNodeContainer<Key>(mapping: nil, path: path, session: session))
        case let other?:
            if !other.isNull { session.record(path, "expected a mapping (key: value lines), got \(other.kindDescription)") }
            else { session.record(path, "expected a mapping (key: value lines), got nothing") }
            return KeyedDecodingContainer(KeyedNodeContainer<Key>(mapping: nil, path: path, session: session, placeholder: true))
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch node {
        case .sequence(let sequence)?:
            return UnkeyedNodeContainer(items: Array(sequence), path: path, session: session)
        case nil:
            return UnkeyedNodeContainer(items: [], path: path, session: session)
        case let other?:
            session.record(path, "expected a list (lines starting with \"- \"), got \(other.kindDescription)")
            return UnkeyedNodeContainer(items: [], path: path, session: session)
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleNodeContainer(node: node, path: path, session: session)
    }

    /// Decodes a value of any type at this node: leaves are read here, everything else through `T.init(from:)`.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if let scalarType = T.self as? any ConfigScalar.Type {
            return try decodeConfigScalar(scalarType) as! T
        }
        switch T.self {
        case is String.Type: return try decodeLeaf("a string") { $0 } as! T
        case is Bool.Type:
            return try decodeLeaf("true or false") { ["true": true, "false": false][$0.lowercased()] } as! T
        case is Int.Type: return try decodeInteger(Int.self) as! T
        case is Int64.Type: return try decodeInteger(Int64.self) as! T
        case is Int32.Type: return try decodeInteger(Int32.self) as! T
        case is Int16.Type: return try decodeInteger(Int16.self) as! T
        case is Int8.Type: return try decodeInteger(Int8.self) as! T
        case is UInt.Type: return try decodeInteger(UInt.self) as! T
        case is UInt64.Type: return try decodeInteger(UInt64.self) as! T
        case is UInt32.Type: return try decodeInteger(UInt32.self) as! T
        case is UInt16.Type: return try decodeInteger(UInt16.self) as! T
        case is UInt8.Type: return try decodeInteger(UInt8.self) as! T
        case is Double.Type:
            return try decodeLeaf("a number") { Double($0).flatMap { $0.isFinite ? $0 : nil } } as! T
        case is Float.Type:
            return try decodeLeaf("a number") { Float($0).flatMap { $0.isFinite ? $0 : nil } } as! T
        default:
            if node == nil { return try session.withSuppressed { try T(from: self) } }
            return try T(from: self)
        }
    }

    private func decodeInteger<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let range = I.self == Int.self || I.self == Int64.self ? "" : " \(I.min)-\(I.max)"
        return try decodeLeaf("an integer\(range)") { text in
            text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") } ? I(text) : nil
        }
    }

    private func decodeConfigScalar(_ type: any ConfigScalar.Type) throws -> any ConfigScalar {
        func open<S: ConfigScalar>(_ type: S.Type) throws -> S {
            try decodeLeaf(S.expectation, placeholder: S.placeholder) { text in
                if let value = S(configScalar: text) { return value }
                if let enumType = S.self as? any ConfigEnum.Type {
                    let words = enumType.allCaseNames
                    if let guess = suggestion(for: text, among: words) {
                        session.record(path, "expected \(S.expectation), got \"\(text.prefix(64))\" (did you mean \"\(guess)\"?)")
                        throw AlreadyRecorded()
                    }
                }
                return nil
            }
        }
        return try open(type)
    }

    private struct AlreadyRecorded: Error {}

    private func decodeLeaf<T>(_ expectation: String, placeholder: T? = nil, _ parse: (String) throws -> T?) throws -> T {
        let fallback: T? = placeholder ?? (T.self == String.self ? "" as? T : (T.self == Bool.self ? false as? T : nil))
        func give(_ message: String?) throws -> T {
            if let message { session.record(path, message) }
            if let fallback { return fallback }
            if let zero = (T.self as? any Numeric.Type)?.zeroValue as? T { return zero }
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "no placeholder"))
        }
        switch node {
        case nil:
            return try give(nil)
        case .scalar(let scalar)?:
            if Node.scalar(scalar).isNull { return try give("expected \(expectation), got nothing") }
            do {
                if let value = try parse(scalar.string) { return value }
            } catch is AlreadyRecorded {
                return try give(nil)
            }
            return try give("expected \(expectation), got \"\(scalar.string.prefix(64))\"")
        case let other?:
            return try give("expected \(expectation), got \(other.kindDescription)")
        }
    }
}

extension ConfigEnum {
    static var allCaseNames: [String] { allCases.map(\.rawValue) }
}

extension Numeric {
    static var zeroValue: Self { .zero }
}

struct PathKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(_ component: ConfigPath.Component) {
        switch component {
        case .key(let key): stringValue = key; intValue = nil
        case .index(let index): stringValue = "\(index)"; intValue = index
        }
    }
    init?(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init?(intValue: Int) { stringValue = "\(intValue)"; self.intValue = intValue }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let entries: [String: Node]
    let path: ConfigPath
    let session: DecodingSession
    /// A stand-in for a value of the wrong shape (already reported): its missing keys are not news.
    let placeholder: Bool

    init(mapping: Node.Mapping?, path: ConfigPath, session: DecodingSession, placeholder: Bool = false) {
        self.placeholder = placeholder
        var entries: [String: Node] = [:]
        for (key, value) in mapping ?? [:] {
            if let name = key.scalar?.string, entries[name] == nil { entries[name] = value }
        }
        self.entries = entries
        self.path = path
        self.session = session
        // A real mapping (even an empty one) gets a key set, so its unknown keys can be found later.
        if mapping != nil, !placeholder, session.requestedKeys[path] == nil { session.requestedKeys[path] = [] }
    }

    var codingPath: [any CodingKey] { path.components.map(PathKey.init) }

    var allKeys: [Key] {
        session.requestedKeys[path, default: []].formUnion(entries.keys)
        return entries.keys.compactMap { Key(stringValue: $0) }
    }

    private func note(_ key: Key) { session.requestedKeys[path, default: []].insert(key.stringValue) }

    func contains(_ key: Key) -> Bool {
        note(key)
        return entries[key.stringValue] != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        note(key)
        return entries[key.stringValue]?.isNull ?? true
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        note(key)
        let childPath = path.appending(key.stringValue)
        guard let child = entries[key.stringValue] else {
            if !placeholder { session.record(childPath, "required key is missing") }
            return try session.withSuppressed {
                try NodeDecoder(node: nil, path: childPath, session: session).decodeValue(T.self)
            }
        }
        return try NodeDecoder(node: child, path: childPath, session: session).decodeValue(T.self)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        note(key)
        guard let child = entries[key.stringValue], !child.isNull else { return nil }
        return try NodeDecoder(node: child, path: path.appending(key.stringValue), session: session).decodeValue(T.self)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        note(key)
        return try NodeDecoder(node: entries[key.stringValue], path: path.appending(key.stringValue), session: session)
            .container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        note(key)
        return try NodeDecoder(node: entries[key.stringValue], path: path.appending(key.stringValue), session: session)
            .unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { NodeDecoder(node: nil, path: path, session: session) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        note(key)
        return NodeDecoder(node: entries[key.stringValue], path: path.appending(key.stringValue), session: session)
    }
}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let items: [Node]
    let path: ConfigPath
    let session: DecodingSession
    var currentIndex = 0

    init(items: [Node], path: ConfigPath, session: DecodingSession) {
        self.items = items
        self.path = path
        self.session = session
    }

    var codingPath: [any CodingKey] { path.components.map(PathKey.init) }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() throws -> NodeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "list has no more items"))
        }
        defer { currentIndex += 1 }
        return NodeDecoder(node: items[currentIndex], path: path.appending(index: currentIndex), session: session)
    }

    mutating func decodeNil() throws -> Bool {
        if !isAtEnd, items[currentIndex].isNull { currentIndex += 1; return true }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(T.self) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

struct SingleNodeContainer: SingleValueDecodingContainer {
    let node: Node?
    let path: ConfigPath
    let session: DecodingSession

    var codingPath: [any CodingKey] { path.components.map(PathKey.init) }

    func decodeNil() -> Bool { node?.isNull ?? true }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try NodeDecoder(node: node, path: path, session: session).decodeValue(T.self)
    }
}

extension Node {
    /// A plain `~`, `null` or empty scalar.
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    var kindDescription: String {
        switch self {
        case .scalar(let scalar): isNull ? "nothing" : "\"\(scalar.string.prefix(64))\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
