import ConfigKit
import LineConfig
import LineCore
import Testing
@testable import Aggregation

// MARK: Fixtures

/// A stamp code: `QZA` + 18 digits (what the line's default payload rules accept).
func code(_ number: Int) -> StampCode {
    let digits = String(number)
    return StampCode(trusted: "QZA" + String(repeating: "0", count: max(0, 18 - digits.count)) + digits)
}

/// The payload on a cap, as the stamp's QR carries it (the URL form).
func cap(_ number: Int) -> [UInt8]? { Array("https://qr.example.kz/c/\(code(number))".utf8) }

/// Case codes configured as an engineer writes them (decoded and validated through ConfigKit).
func caseCodes(_ yaml: String = "source: label\ncompanyPrefix: \"4870001\"") throws -> CaseCodeConfiguration {
    try ConfigLoader.decode(CaseCodeConfiguration.self, yaml: yaml, file: "caseCode.yaml")
}

/// A valid SSCC of our company prefix.
func sscc(_ serial: Int64) throws -> UnitCode { try SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: serial) }

/// Every code passed here and in no case.
func passed(_ numbers: some Sequence<Int>) -> [StampCode: CaseCodeFacts] {
    Dictionary(numbers.map { (code($0), CaseCodeFacts(passedHere: true, inCase: nil)) }, uniquingKeysWith: { first, _ in first })
}

/// Caps carrying these codes (a `nil` in a list of caps is a cap without a readable code).
func caps(_ numbers: ClosedRange<Int>) -> [Int?] { numbers.map { $0 } }

/// A full case of 12 caps, codes 1…12.
let full = Array(1...12)

@Suite("Case rules: what makes a case good")
struct CaseRulesTests {
    let rules: CaseRules
    let label: UnitCode

    init() throws {
        rules = CaseRules(bottlesPerCase: 12, caseCode: try caseCodes())
        label = try sscc(123)
    }

    func observe(_ numbers: [Int?], strays: Int = 0, labels: [String] = []) -> CaseObservation {
        CaseObservation(payloads: numbers.map { $0.flatMap(cap) }, rules: .default, strayCodes: strays, labels: labels)
    }

    func judge(_ numbers: [Int?], strays: Int = 0, facts: [StampCode: CaseCodeFacts]? = nil, inUse: Bool = false) -> CaseVerdict {
        rules.decide(observe(numbers, strays: strays), code: .code(label, inUse: inUse), facts: facts ?? passed(numbers.compactMap { $0 }))
    }

    // MARK: The good case

    @Test("12 caps of codes passed here and in no case, with a valid label: good, nothing held")
    func goodCase() {
        let verdict = judge(caps(1...12))
        #expect(verdict.isGood)
        #expect(verdict.primary == nil)
        #expect(verdict.reasons.isEmpty && verdict.details.isEmpty)
        #expect(verdict.codes == full.map(code))
        #expect(verdict.caseCode == label)
        #expect(verdict.held.isEmpty, "a packed case holds its codes as members, not as a rejected case's hold")
        #expect(verdict.heldIfRejected == full.map(code))
    }

    @Test("a case whose code is still to be printed is judged on its contents only")
    func toBePrinted() {
        let verdict = rules.decide(observe(caps(1...12)), code: .toBePrinted, facts: passed(full))
        #expect(verdict.isGood)
        #expect(verdict.caseCode == nil)
    }

    // MARK: Each reject reason

    @Test("11 caps: missing bottle, with the count in the detail")
    func missingBottle() {
        let verdict = judge(caps(1...11))
        #expect(verdict.reasons == [.missingBottle])
        #expect(verdict.details == ["11 of 12 bottles in the case"])
        #expect(verdict.held == (1...11).map(code), "the codes passed here stay with the rejected case until it is dissolved")
    }

    @Test("13 caps: extra items (two cases in view, or a bottle on top)")
    func thirteenCaps() {
        let verdict = judge(caps(1...13))
        #expect(verdict.reasons == [.extraItems])
        #expect(verdict.details == ["13 caps where a case holds 12"])
    }

    @Test("codes outside the case's caps: extra items")
    func strayCodes() {
        let verdict = judge(caps(1...12), strays: 2)
        #expect(verdict.reasons == [.extraItems])
        #expect(verdict.details == ["2 code(s) outside the case's caps"])
    }

    @Test("a cap without a readable code: unreadable cap; the readable codes are held")
    func unreadableCap() {
        let verdict = judge(caps(1...11) + [nil])
        #expect(verdict.reasons == [.unreadableCap])
        #expect(verdict.details == ["1 cap(s) without a readable code"])
        #expect(verdict.codes == (1...11).map(code))
        #expect(verdict.held == (1...11).map(code))
    }

    @Test("a cap whose QR is not a stamp code: unknown code, with the payload's fault")
    func malformedCap() {
        var observation = observe(caps(1...11))
        observation.caps.append(.malformed(.hostNotAllowed("evil.example.com")))
        let verdict = rules.decide(observation, code: .code(label, inUse: false), facts: passed(1...11))
        #expect(verdict.reasons == [.unknownCode])
        #expect(verdict.details.count == 1)
        #expect(verdict.details[0].contains("evil.example.com") && verdict.details[0].contains("not a stamp code"), "\(verdict.details)")
        // The same through the payload rules, as the case camera reads caps.
        let parsed = CaseObservation(payloads: (1...11).map(cap) + [Array("https://evil.example.com/c/\(code(12))".utf8)], rules: .default)
        #expect(parsed.caps.last == .malformed(.hostNotAllowed("evil.example.com")))
        #expect(rules.decide(parsed, code: .code(label, inUse: false), facts: passed(1...11)).reasons == [.unknownCode])
    }

    @Test("a code this agent never passed (a rejected bottle's, a foreign one): unknown code, and it is not held")
    func unknownCode() {
        var facts = passed(full)
        facts[code(5)] = CaseCodeFacts(passedHere: false, inCase: nil)
        facts[code(6)] = nil  // no facts at all: treated as never passed
        let verdict = judge(caps(1...12), facts: facts)
        #expect(verdict.reasons == [.unknownCode])
        #expect(verdict.details == ["\(code(5)) was not passed on this agent's line", "\(code(6)) was not passed on this agent's line"])
        #expect(verdict.held == full.filter { $0 != 5 && $0 != 6 }.map(code))
    }

    @Test("a code in another case: already in case, naming that case; the other case keeps it")
    func alreadyInCase() throws {
        let other = try sscc(7)
        var facts = passed(full)
        facts[code(3)] = CaseCodeFacts(passedHere: true, inCase: other)
        let verdict = judge(caps(1...12), facts: facts)
        #expect(verdict.reasons == [.alreadyInCase])
        #expect(verdict.details == ["\(code(3)) is in case \(other)"])
        #expect(!verdict.held.contains(code(3)))
        #expect(verdict.held.count == 11)
    }

    @Test("the same code on two caps: duplicate code, counted; the code is listed and held once")
    func duplicateCode() {
        let verdict = judge(caps(1...11) + [4])
        #expect(verdict.reasons == [.duplicateCode])
        #expect(verdict.details == ["\(code(4)) appears 2 times"])
        #expect(verdict.codes == (1...11).map(code))
        #expect(verdict.held == (1...11).map(code))
    }

    @Test("no label read: no case code")
    func noLabel() {
        let labels = rules.labelCode([])
        #expect(labels == .failure(.none))
        let verdict = rules.decide(observe(caps(1...12)), code: nil, labelProblem: .none, facts: passed(full))
        #expect(verdict.reasons == [.noCaseCode])
        #expect(verdict.details == ["no case label read"])
        // Without a problem given, a missing code reads as no label.
        #expect(rules.decide(observe(caps(1...12)), code: nil, facts: passed(full)).reasons == [.noCaseCode])
    }

    @Test("a label of 18 digits with a wrong check digit: invalid case code, saying which digit it should be")
    func invalidCheckDigitLabel() throws {
        let good = try sscc(123).rawValue
        let last = Int(String(good.last!))!
        let bad = String(good.dropLast()) + String((last + 1) % 10)
        let problem = rules.labelCode(["(00)" + bad])
        guard case .failure(.invalid(let text, let why)) = problem else {
            Issue.record("expected an invalid label, got \(problem)")
            return
        }
        #expect(text == "(00)" + bad)
        #expect(why == "SSCC \(bad) fails its check digit (the last digit should be \(last))")
        let verdict = rules.decide(observe(caps(1...12)), code: nil, labelProblem: .invalid(text: text, why), facts: passed(full))
        #expect(verdict.reasons == [.invalidCaseCode])
        #expect(verdict.details[0].contains("fails its check digit"))
    }

    @Test("a label of a plant's own form: refused without a pattern, accepted when it matches the configured pattern")
    func patternLabel() throws {
        // Without a pattern only SSCCs are accepted.
        #expect(rules.labelCode(["CASE-0042"]) == .failure(.notAccepted("CASE-0042")))
        let refused = rules.decide(observe(caps(1...12)), code: nil, labelProblem: .notAccepted("CASE-0042"), facts: passed(full))
        #expect(refused.reasons == [.invalidCaseCode])
        #expect(refused.details == ["label CASE-0042 is neither an SSCC nor matches the configured pattern"])

        // With a pattern: a matching label is the case code; one that does not match is still refused.
        let patterned = CaseRules(bottlesPerCase: 12, caseCode: try caseCodes("""
            source: label
            companyPrefix: "4870001"
            pattern: "CASE-[0-9]{4}"
            """))
        let accepted = try UnitCode(parsing: "CASE-0042")
        #expect(patterned.labelCode(["CASE-0042"]) == .success(accepted))
        #expect(patterned.labelCode(["CASE-42"]) == .failure(.notAccepted("CASE-42")), "the whole code must match")
        #expect(patterned.labelCode([try sscc(9).rawValue]) == .success(try sscc(9)), "an SSCC is always accepted")
        let verdict = patterned.decide(observe(caps(1...12)), code: .code(accepted, inUse: false), facts: passed(full))
        #expect(verdict.isGood)
        #expect(verdict.caseCode == accepted)
    }

    @Test("two different labels in view: extra items (two cases); the same label read twice is one")
    func twoLabels() throws {
        let a = try sscc(1), b = try sscc(2)
        #expect(rules.labelCode([a.rawValue, "(00)" + a.rawValue]) == .success(a))
        let problem = rules.labelCode([a.rawValue, b.rawValue])
        #expect(problem == .failure(.several([a.rawValue, b.rawValue])))
        let verdict = rules.decide(observe(caps(1...12)), code: nil, labelProblem: .several([a.rawValue, b.rawValue]), facts: passed(full))
        #expect(verdict.reasons == [.extraItems])
        #expect(verdict.details == ["2 case labels in view (\(a), \(b))"])
    }

    @Test("a label already on a packed case: case code in use; the contents are held")
    func caseCodeInUse() {
        let verdict = judge(caps(1...12), inUse: true)
        #expect(verdict.reasons == [.caseCodeInUse])
        #expect(verdict.details == ["case code \(label) is already on a packed case"])
        #expect(verdict.caseCode == label)
        #expect(verdict.held == full.map(code))
    }

    @Test("labels that are not unit codes at all: invalid case code")
    func garbageLabel() {
        #expect(rules.labelCode(["ab"]) == .failure(.invalid(text: "ab", "a unit code has 4 to 64 characters, not 2")))
        if case .failure(.invalid(_, let why)) = rules.labelCode(["case 1"]) {
            #expect(why.contains("characters outside"))
        } else {
            Issue.record("a label with a space must be invalid")
        }
    }

    // MARK: Several reasons

    @Test("several faults: every reason in PLC code order, the first is the one sent to the PLC")
    func primaryReasonOrder() {
        // 11 caps, one of them unreadable, one code twice, a stray code and no label.
        var observation = observe(caps(1...8) + [8, nil, 9], strays: 1)
        observation.labels = []
        let verdict = rules.decide(observation, code: nil, facts: passed(1...9))
        #expect(verdict.reasons == [.missingBottle, .unreadableCap, .duplicateCode, .extraItems, .noCaseCode])
        #expect(verdict.primary == .missingBottle)
        #expect(verdict.details.count == 5)
        #expect(verdict.reasons == verdict.reasons.sorted())

        // Without the missing bottle, the next in code order leads.
        let second = rules.decide(observe(caps(1...11) + [nil]), code: .code(label, inUse: true), facts: passed(1...11))
        #expect(second.reasons == [.unreadableCap, .caseCodeInUse])
        #expect(second.primary == .unreadableCap)
    }

    // MARK: Rejected after the fact

    @Test("a good case rejected later (printer, record, deadline) holds what it would have held")
    func rejectAfterTheFact() {
        for reason in [CaseRejectReason.printerFailed, .notRecorded, .late, .caseCodeInUse, .alreadyInCase] {
            var verdict = rules.decide(observe(caps(1...12)), code: .toBePrinted, facts: passed(full))
            #expect(verdict.isGood)
            verdict.reject(reason, "found later")
            #expect(verdict.reasons == [reason])
            #expect(verdict.primary == reason)
            #expect(verdict.details == ["found later"])
            #expect(verdict.held == full.map(code), "\(reason): the codes are held")
        }
    }

    @Test("a later reason joins the others in code order, once; a case without a frame holds nothing")
    func rejectAddsInOrder() {
        var verdict = judge(caps(1...11))
        verdict.reject(.printerFailed, "printer out of paper")
        verdict.reject(.printerFailed, "printer still out of paper")
        #expect(verdict.reasons == [.missingBottle, .printerFailed])
        #expect(verdict.primary == .missingBottle)
        #expect(verdict.details.count == 3)
        #expect(verdict.held == (1...11).map(code), "what the first rejection held stays")

        var empty = CaseVerdict()
        empty.reject(.noFrame, "no frame by the deadline")
        #expect(empty.reasons == [.noFrame])
        #expect(empty.held.isEmpty)
        #expect(!empty.isGood)
    }

    // MARK: PLC codes

    @Test("every case reject reason has its own non-zero PLC code, and the reject reason sent carries it")
    func plcCodes() {
        let codes = CaseRejectReason.allCases.map(\.plcCode)
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { $0 > 0 })
        #expect(codes == Array(1...CaseRejectReason.allCases.count), "the numbers the station's PLC program is written against")
        for reason in CaseRejectReason.allCases {
            #expect(reason.rejectReason == RejectReason(code: reason.plcCode, name: reason.rawValue))
        }
        #expect(CaseRejectReason.missingBottle.plcCode == 1)
        #expect(CaseRejectReason.late.plcCode == CaseRejectReason.allCases.count)
    }
}
