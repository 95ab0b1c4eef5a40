import Foundation

/// What the agent concluded about one bottle passing the camera.
public enum Verdict: Hashable, Sendable, Codable {
    /// One valid code of this producer, a known product: the code is to be activated.
    case good(StampCode)
    /// No code was read in the bottle's window.
    case noRead
    /// A code was read but its payload is not a stamp code.
    case malformed(MalformedPayload)
    /// The code was already seen by this agent (remembered across restarts).
    case duplicate(StampCode)
    /// The code was activated on an earlier pass, then its bottle was physically rejected (or its case dissolved) and
    /// put back on the line: it passes once more, recorded and counted, but is not activated again.
    case reworked(StampCode)
    /// The code is not in the local pool of codes issued to this producer (clause 18).
    case foreign(StampCode)
    /// The PLC's recipe number maps to no configured product.
    case unknownProduct(recipe: Int)
    /// Two or more different codes were read in one bottle's window.
    case ambiguous([StampCode])
    /// No decision could be made before the bottle's reject deadline: it is rejected, never passed.
    case timeout

    /// The verdict's kind, without its details.
    public var kind: DecisionKind {
        switch self {
        case .good: .good
        case .noRead: .noRead
        case .malformed: .malformed
        case .duplicate: .duplicate
        case .reworked: .reworked
        case .foreign: .foreign
        case .unknownProduct: .unknownProduct
        case .ambiguous: .ambiguous
        case .timeout: .timeout
        }
    }

    /// The code the verdict concerns, if exactly one.
    public var code: StampCode? {
        switch self {
        case .good(let code), .duplicate(let code), .foreign(let code), .reworked(let code): code
        default: nil
        }
    }
}

/// The kinds of bottle decisions, with the reason code written to the PLC with a reject command.
public enum DecisionKind: String, CaseIterable, Hashable, Sendable, Codable {
    case good
    case noRead = "no-read"
    case malformed
    case duplicate
    case foreign
    case unknownProduct = "unknown-product"
    case ambiguous
    case timeout
    /// A reworked bottle passing once more (see ``Verdict/reworked(_:)``).
    case reworked

    /// Whether a bottle with this decision passes (`good`, and `reworked`, which is not activated again).
    public var passes: Bool { self == .good || self == .reworked }

    /// The reason code the PLC receives with a reject command (0 = no reject).
    public var plcReasonCode: Int {
        switch self {
        case .good: 0
        case .noRead: 1
        case .malformed: 2
        case .duplicate: 3
        case .foreign: 4
        case .unknownProduct: 5
        case .ambiguous: 6
        case .timeout: 7
        case .reworked: 0
        }
    }

    /// The reason the PLC receives with a reject command of this kind.
    public var rejectReason: RejectReason { RejectReason(code: plcReasonCode, name: rawValue) }
}

/// Why a bottle or a case is rejected, as the PLC receives it (`rejectReason` register) and people read it.
public struct RejectReason: Hashable, Sendable, CustomStringConvertible {
    /// The number written to the PLC (0 is never a reject).
    public var code: Int
    /// The reason's name: a ``DecisionKind``'s raw value for bottles, a case reason's for cases.
    public var name: String

    public init(code: Int, name: String) {
        self.code = code
        self.name = name
    }

    public var description: String { name }

    public static let noRead = DecisionKind.noRead.rejectReason
    public static let malformed = DecisionKind.malformed.rejectReason
    public static let duplicate = DecisionKind.duplicate.rejectReason
    public static let foreign = DecisionKind.foreign.rejectReason
    public static let unknownProduct = DecisionKind.unknownProduct.rejectReason
    public static let ambiguous = DecisionKind.ambiguous.rejectReason
    public static let timeout = DecisionKind.timeout.rejectReason
}

/// The decision for one bottle: which line, which bottle, when, and the verdict.
public struct BottleDecision: Hashable, Sendable, Codable {
    /// The filling line's configured id.
    public var lineID: String
    /// The bottle's sequence number on the line (from the PLC trigger counter, widened so it never wraps).
    public var bottleSequence: UInt64
    /// When the decision was made (UTC).
    public var decidedAt: Date
    /// The product being filled, if the recipe is known.
    public var product: Product?
    /// What was decided.
    public var verdict: Verdict

    public init(lineID: String, bottleSequence: UInt64, decidedAt: Date, product: Product?, verdict: Verdict) {
        self.lineID = lineID
        self.bottleSequence = bottleSequence
        self.decidedAt = decidedAt
        self.product = product
        self.verdict = verdict
    }

    /// The activation this decision yields: only a good bottle with a known product has one.
    public var activation: ActivationRecord? {
        guard case .good(let code) = verdict, let product else { return nil }
        return ActivationRecord(code: code, productCode: product.dsnCode, activatedAt: decidedAt,
                                lineID: lineID, bottleSequence: bottleSequence)
    }
}

/// One code to be reported to the registrar as activated (clause 19: Issued → Activated, the product Produced).
public struct ActivationRecord: Hashable, Sendable, Codable {
    /// The activated code.
    public var code: StampCode
    /// The product's ДСН code.
    public var productCode: String
    /// The moment of activation (UTC; shown in Astana time).
    public var activatedAt: Date
    /// The line that filled the bottle.
    public var lineID: String
    /// The bottle's sequence number on that line.
    public var bottleSequence: UInt64

    public init(code: StampCode, productCode: String, activatedAt: Date, lineID: String, bottleSequence: UInt64) {
        self.code = code
        self.productCode = productCode
        self.activatedAt = activatedAt
        self.lineID = lineID
        self.bottleSequence = bottleSequence
    }
}
