import LineConfig
import LineCore

/// Why a case is rejected at the packing station, with the number the station's PLC receives.
public enum CaseRejectReason: String, CaseIterable, Sendable, Codable, Comparable {
    /// Fewer caps than a full case holds.
    case missingBottle = "missing-bottle"
    /// A cap whose code cannot be read.
    case unreadableCap = "unreadable-cap"
    /// A code this agent did not pass on the line (a cap from a rejected bottle, a foreign or malformed code).
    case unknownCode = "unknown-code"
    /// A code already in another case (packed, or held by a rejected case not yet dissolved).
    case alreadyInCase = "already-in-case"
    /// The same code twice in the case.
    case duplicateCode = "duplicate-code"
    /// More caps than a case holds, codes outside the case's caps, or two case labels: two cases in one frame.
    case extraItems = "extra-items"
    /// No case code: no label read.
    case noCaseCode = "no-case-code"
    /// The label's code fails its SSCC check digit or the configured pattern.
    case invalidCaseCode = "invalid-case-code"
    /// The label's code belongs to a case already packed (a duplicated label).
    case caseCodeInUse = "case-code-in-use"
    /// The label printer failed (off, garbage answer, out of paper): the case has no printed code.
    case printerFailed = "printer-failed"
    /// No frame of the case arrived by its deadline.
    case noFrame = "no-frame"
    /// The case could not be recorded (the outbox is unwritable): never passed unrecorded.
    case notRecorded = "not-recorded"
    /// The decision (reading, printing, recording) was not ready by the case's deadline.
    case late

    /// The number written to the station PLC's `rejectReason`.
    public var plcCode: Int { Self.allCases.firstIndex(of: self)! + 1 }

    /// The reason as the PLC monitor sends it.
    public var rejectReason: RejectReason { RejectReason(code: plcCode, name: rawValue) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.plcCode < rhs.plcCode }
}

/// What the case camera saw of one cap.
public enum CapReading: Sendable, Hashable {
    /// A cap whose QR read as a stamp code.
    case code(StampCode)
    /// A cap whose QR read, but not as a stamp code.
    case malformed(MalformedPayload)
    /// A cap with no readable code.
    case unreadable
}

/// Everything the case station saw of one case: its caps (in the frame's row-major order), codes read outside any cap,
/// and the texts of the labels in view.
public struct CaseObservation: Sendable, Hashable {
    public var caps: [CapReading]
    /// QR codes not on any cap found (a bottle lying across, or a second case in view).
    public var strayCodes: Int
    /// Decoded label texts (DataMatrix, GS1-128…), as the decoder gave them.
    public var labels: [String]

    public init(caps: [CapReading], strayCodes: Int = 0, labels: [String] = []) {
        self.caps = caps
        self.strayCodes = strayCodes
        self.labels = labels
    }

    /// Reads caps from raw payloads (nil: a cap without a code) with the producer's payload rules.
    public init(payloads: [[UInt8]?], rules: PayloadRules, strayCodes: Int = 0, labels: [String] = []) {
        caps = payloads.map { payload in
            guard let payload else { return .unreadable }
            switch rules.parse(payload) {
            case .success(let code): return .code(code)
            case .failure(let why): return .malformed(why)
            }
        }
        self.strayCodes = strayCodes
        self.labels = labels
    }

    /// The distinct valid codes, in cap order.
    public var codes: [StampCode] {
        var seen = Set<StampCode>()
        return caps.compactMap { if case .code(let code) = $0, seen.insert(code).inserted { code } else { nil } }
    }
}

/// What storage knows of a code in a case, looked up before the case is decided.
public struct CaseCodeFacts: Sendable, Hashable {
    /// Decided good (or reworked) by this agent: activated or queued for activation.
    public var passedHere: Bool
    /// The case (packed, or rejected and not dissolved) the code is in now.
    public var inCase: UnitCode?

    public init(passedHere: Bool, inCase: UnitCode?) {
        self.passedHere = passedHere
        self.inCase = inCase
    }
}

/// The case's code as far as the rules know it.
public enum CaseCodeReading: Sendable, Hashable {
    /// The code to use (read from the label, or assigned and printed), and whether a packed case already has it.
    case code(UnitCode, inUse: Bool)
    /// The case code comes from the printer after the contents are judged (``CaseRules/decide(_:caseCode:facts:)``
    /// judges the contents only).
    case toBePrinted
}

/// The verdict on one case.
public struct CaseVerdict: Sendable, Hashable {
    /// Every reason found, in the PLC code order (empty: the case is good).
    public var reasons: [CaseRejectReason]
    /// What each reason is about, for people (the codes concerned).
    public var details: [String]
    /// The valid codes in cap order (each once).
    public var codes: [StampCode]
    /// For a rejected case: the codes it holds until it is dissolved (passed here and in no other case).
    public var held: [StampCode]
    /// The case code read from the label (nil when none, invalid, or still to be printed).
    public var caseCode: UnitCode?
    /// The codes a rejection found later would hold (passed here and in no other case).
    public var heldIfRejected: [StampCode] = []

    public init(reasons: [CaseRejectReason] = [], details: [String] = [], codes: [StampCode] = [], held: [StampCode] = [],
                caseCode: UnitCode? = nil, heldIfRejected: [StampCode] = []) {
        self.reasons = reasons
        self.details = details
        self.codes = codes
        self.held = held
        self.caseCode = caseCode
        self.heldIfRejected = heldIfRejected
    }

    public var isGood: Bool { reasons.isEmpty }
    /// The reason sent to the PLC: the first in code order.
    public var primary: CaseRejectReason? { reasons.first }

    /// Adds a reason found after the contents were judged (the printer failed, the record failed).
    public mutating func reject(_ reason: CaseRejectReason, _ detail: String) {
        if !reasons.contains(reason) { reasons.append(reason); reasons.sort() }
        details.append(detail)
        if held.isEmpty, reason == .printerFailed || reason == .notRecorded || reason == .late || reason == .caseCodeInUse
            || reason == .alreadyInCase { held = heldIfRejected }
    }
}

/// The rules of a good case, as a value with no I/O: exactly the configured count of caps, every code passed by this
/// agent on the line (activated or queued for activation), none in another case, none twice, nothing else in view,
/// and a valid case code not already in use. The runtime looks up each code's ``CaseCodeFacts`` first.
public struct CaseRules: Sendable {
    public let bottlesPerCase: Int
    public let caseCode: CaseCodeConfiguration

    public init(bottlesPerCase: Int, caseCode: CaseCodeConfiguration) {
        self.bottlesPerCase = bottlesPerCase
        self.caseCode = caseCode
    }

    /// The case code from the labels in view (for `caseCode.source == .label`).
    /// - Returns: the code, or the reason there is none usable.
    public func labelCode(_ labels: [String]) -> Result<UnitCode, CaseLabelProblem> {
        var parsed: [UnitCode] = []
        for text in labels {
            do {
                let code = try UnitCode(parsing: text)
                guard caseCode.accepts(code) else { return .failure(.notAccepted(code.rawValue)) }
                if !parsed.contains(code) { parsed.append(code) }
            } catch {
                return .failure(.invalid(text: text, error.description))
            }
        }
        switch parsed.count {
        case 0: return .failure(.none)
        case 1: return .success(parsed[0])
        default: return .failure(.several(parsed.map(\.rawValue)))
        }
    }

    /// Judges one case.
    /// - Parameters:
    ///   - observation: what the camera saw.
    ///   - code: the case code (or that it is still to be printed); nil when reading the label failed (`labelProblem`).
    ///   - labelProblem: why the label gave no code.
    ///   - facts: what storage knows of each of `observation.codes`.
    public func decide(_ observation: CaseObservation, code: CaseCodeReading?, labelProblem: CaseLabelProblem? = nil,
                       facts: [StampCode: CaseCodeFacts]) -> CaseVerdict {
        var reasons = Set<CaseRejectReason>()
        var details: [String] = []
        func add(_ reason: CaseRejectReason, _ detail: String) {
            reasons.insert(reason)
            details.append(detail)
        }
        let caps = observation.caps.count
        if caps < bottlesPerCase { add(.missingBottle, "\(caps) of \(bottlesPerCase) bottles in the case") }
        if caps > bottlesPerCase { add(.extraItems, "\(caps) caps where a case holds \(bottlesPerCase)") }
        if observation.strayCodes > 0 { add(.extraItems, "\(observation.strayCodes) code(s) outside the case's caps") }
        var counts: [StampCode: Int] = [:]
        var unreadable = 0
        for cap in observation.caps {
            switch cap {
            case .code(let code): counts[code, default: 0] += 1
            case .malformed(let why): add(.unknownCode, "a cap reads \(why), not a stamp code")
            case .unreadable: unreadable += 1
            }
        }
        if unreadable > 0 { add(.unreadableCap, "\(unreadable) cap(s) without a readable code") }
        let codes = observation.codes
        var held: [StampCode] = []
        for code in codes {
            if let count = counts[code], count > 1 { add(.duplicateCode, "\(code) appears \(count) times") }
            let fact = facts[code] ?? CaseCodeFacts(passedHere: false, inCase: nil)
            if !fact.passedHere {
                add(.unknownCode, "\(code) was not passed on this agent's line")
            } else if let other = fact.inCase {
                add(.alreadyInCase, "\(code) is in case \(other)")
            } else {
                held.append(code)
            }
        }
        var caseCode: UnitCode?
        switch code {
        case .code(let unit, let inUse)?:
            caseCode = unit
            if inUse { add(.caseCodeInUse, "case code \(unit) is already on a packed case") }
        case .toBePrinted?:
            break
        case nil:
            switch labelProblem ?? .none {
            case .none: add(.noCaseCode, "no case label read")
            case .invalid(let text, let why): add(.invalidCaseCode, "label \(text.debugDescription): \(why)")
            case .notAccepted(let text): add(.invalidCaseCode, "label \(text) is neither an SSCC nor matches the configured pattern")
            case .several(let texts): add(.extraItems, "\(texts.count) case labels in view (\(texts.joined(separator: ", ")))")
            }
        }
        let sorted = reasons.sorted()
        return CaseVerdict(reasons: sorted, details: details, codes: codes, held: sorted.isEmpty ? [] : held, caseCode: caseCode,
                           heldIfRejected: held)
    }
}

/// Why the labels in view give no case code.
public enum CaseLabelProblem: Error, Sendable, Hashable {
    case none
    case invalid(text: String, String)
    case notAccepted(String)
    case several([String])
}
