import Foundation
import Testing
@testable import LineCore

@Suite("Stamps, taxpayer ids and products")
struct DomainTests {
    @Test("IIN/BIN check digits", arguments: [("980515400019", true), ("123456789013", true), ("980515400018", false),
                                               ("98051540001", false), ("98051540001X", false), ("", false)])
    func taxpayerIDs(_ text: String, _ valid: Bool) {
        #expect((TaxpayerID(text) != nil) == valid)
    }

    @Test("the check digit falls back to the second weights when the first sum gives 10")
    func secondWeights() {
        // Find eleven digits whose first weighted sum is 10 and check the fallback is used.
        var digits = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        digits[9] = 1 // weight 10 → sum 10
        #expect(zip(digits, 1...11).reduce(0) { $0 + $1.0 * $1.1 } % 11 == 10)
        let expected = zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]).reduce(0) { $0 + $1.0 * $1.1 } % 11
        #expect(TaxpayerID.checkDigit(digits) == expected)
    }

    @Test("stamp numbers are nine digits")
    func stampNumbers() {
        #expect(StampNumber(text: "000000001")?.value == 1)
        #expect(StampNumber(text: "12345678") == nil)
        #expect(StampNumber(text: "1234567890") == nil)
        #expect(StampNumber(text: "12345678a") == nil)
        #expect(StampNumber(42)?.description == "000000042")
        #expect(StampNumber(1_000_000_000) == nil)
    }

    @Test("stamp series and ranges")
    func seriesAndRanges() throws {
        let series = try #require(StampSeries("АВ"))
        #expect(StampSeries("ab") == nil)
        #expect(StampSeries("") == nil)
        #expect(StampSeries("ABCDEFGHI") == nil)
        let range = try #require(StampRange(series: series, first: StampNumber(10)!, last: StampNumber(19)!))
        #expect(range.count == 10)
        #expect(range.contains(StampID(series: series, number: StampNumber(15)!)))
        #expect(!range.contains(StampID(series: StampSeries("AB")!, number: StampNumber(15)!)))
        #expect(StampRange(series: series, first: StampNumber(20)!, last: StampNumber(19)!) == nil)
    }

    @Test("only a good verdict with a product yields an activation; reason codes are distinct")
    func decisions() {
        let product = Product(dsnCode: "KZ-1", name: "V", type: "vodka", capacityMl: 500, strength: 40)
        let code = StampCode(trusted: "7KQ2M9X4TZ8WB3N5JH6R")
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let good = BottleDecision(lineID: "l1", bottleSequence: 7, decidedAt: date, product: product, verdict: .good(code))
        #expect(good.activation == ActivationRecord(code: code, productCode: "KZ-1", activatedAt: date, lineID: "l1", bottleSequence: 7))
        for verdict in [Verdict.noRead, .duplicate(code), .foreign(code), .timeout, .malformed(.empty), .unknownProduct(recipe: 9)] {
            #expect(BottleDecision(lineID: "l1", bottleSequence: 8, decidedAt: date, product: product, verdict: verdict).activation == nil)
            #expect(!verdict.kind.passes)
        }
        let rejecting = DecisionKind.allCases.filter { !$0.passes }
        #expect(Set(rejecting.map(\.plcReasonCode)).count == rejecting.count)
        #expect(!rejecting.map(\.plcReasonCode).contains(0))
        #expect(DecisionKind.good.plcReasonCode == 0 && DecisionKind.reworked.plcReasonCode == 0)
        let reworked = BottleDecision(lineID: "l1", bottleSequence: 9, decidedAt: date, product: product, verdict: .reworked(code))
        #expect(reworked.activation == nil && reworked.verdict.kind.passes && reworked.verdict.code == code)
    }

    @Test("decisions round-trip through JSON")
    func decisionCoding() throws {
        let decision = BottleDecision(lineID: "l1", bottleSequence: 1, decidedAt: Date(timeIntervalSince1970: 5), product: nil,
                                      verdict: .malformed(.hostNotAllowed("x")))
        let data = try JSONEncoder().encode(decision)
        #expect(try JSONDecoder().decode(BottleDecision.self, from: data) == decision)
    }
}
