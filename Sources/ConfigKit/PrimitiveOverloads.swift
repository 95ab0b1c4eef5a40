// Generated: the primitive overloads every Codable container must have, forwarding to the generic path.

extension KeyedNodeContainer {
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type as Bool.Type, genericKey: key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type as String.Type, genericKey: key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type as Double.Type, genericKey: key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type as Float.Type, genericKey: key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type as Int.Type, genericKey: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type as Int8.Type, genericKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type as Int16.Type, genericKey: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type as Int32.Type, genericKey: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type as Int64.Type, genericKey: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type as UInt.Type, genericKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type as UInt8.Type, genericKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type as UInt16.Type, genericKey: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type as UInt32.Type, genericKey: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type as UInt64.Type, genericKey: key) }
    private func decode<T: Decodable>(_ type: T.Type, genericKey key: Key) throws -> T { try decode(T.self, forKey: key) as T }
}

extension UnkeyedNodeContainer {
    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decodeValue(Bool.self) }
    mutating func decode(_ type: String.Type) throws -> String { try next().decodeValue(String.self) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decodeValue(Double.self) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().decodeValue(Float.self) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decodeValue(Int.self) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decodeValue(Int8.self) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decodeValue(Int16.self) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decodeValue(Int32.self) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decodeValue(Int64.self) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decodeValue(UInt.self) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decodeValue(UInt8.self) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decodeValue(UInt16.self) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decodeValue(UInt32.self) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decodeValue(UInt64.self) }
}

extension SingleNodeContainer {
    func decode(_ type: Bool.Type) throws -> Bool { try NodeDecoder(node: node, path: path, session: session).decodeValue(Bool.self) }
    func decode(_ type: String.Type) throws -> String { try NodeDecoder(node: node, path: path, session: session).decodeValue(String.self) }
    func decode(_ type: Double.Type) throws -> Double { try NodeDecoder(node: node, path: path, session: session).decodeValue(Double.self) }
    func decode(_ type: Float.Type) throws -> Float { try NodeDecoder(node: node, path: path, session: session).decodeValue(Float.self) }
    func decode(_ type: Int.Type) throws -> Int { try NodeDecoder(node: node, path: path, session: session).decodeValue(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try NodeDecoder(node: node, path: path, session: session).decodeValue(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try NodeDecoder(node: node, path: path, session: session).decodeValue(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try NodeDecoder(node: node, path: path, session: session).decodeValue(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try NodeDecoder(node: node, path: path, session: session).decodeValue(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try NodeDecoder(node: node, path: path, session: session).decodeValue(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try NodeDecoder(node: node, path: path, session: session).decodeValue(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try NodeDecoder(node: node, path: path, session: session).decodeValue(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try NodeDecoder(node: node, path: path, session: session).decodeValue(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try NodeDecoder(node: node, path: path, session: session).decodeValue(UInt64.self) }
}
