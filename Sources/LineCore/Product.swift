/// An alcohol product as the stamp application describes it (App. 3): its ДСН code, or else name, type, capacity
/// and strength. Activations name the product by its ДСН code.
public struct Product: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The product's ДСН code (personal identification number-code of the alcohol product).
    public var dsnCode: String
    /// The product name as registered.
    public var name: String
    /// The product type, e.g. `vodka`, `cognac`, `wine`.
    public var type: String
    /// Capacity of the consumer container in millilitres.
    public var capacityMl: Int
    /// Strength in percent by volume (0–100).
    public var strength: Double

    public init(dsnCode: String, name: String, type: String, capacityMl: Int, strength: Double) {
        self.dsnCode = dsnCode
        self.name = name
        self.type = type
        self.capacityMl = capacityMl
        self.strength = strength
    }

    /// Whether a text can be a ДСН code: 1–32 ASCII letters, digits or `-` (the format is not published; this is
    /// what our configuration and API accept).
    public static func isValidDSNCode(_ text: String) -> Bool {
        (1...32).contains(text.utf8.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    public var description: String { "\(dsnCode) \(name) \(capacityMl) ml \(strength)%" }
}
