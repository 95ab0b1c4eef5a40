import Foundation
import LineCore
import Testing

/// Case and pallet codes: GS1 SSCC-18 (made, checked and parsed in every form a scanner or camera delivers) and a
/// plant's own codes.
@Suite("Unit codes and SSCCs")
struct UnitCodeTests {
    // Published examples, checked against the GS1 mod-10 rule — never against our own output alone:
    // - GS1's own example SSCC (General Specifications; EPC Tag Data Standard `urn:epc:id:sscc:0614141.1234567890`):
    //   (00) 1 0614141 234567890 8 — extension digit 1, company prefix 0614141, serial reference 234567890.
    // - The examples of the `biip` GS1 parser's documentation: 376130321109103420 and 157035381410375177.
    static let gs1Example = "106141412345678908"
    static let published = ["106141412345678908", "376130321109103420", "157035381410375177"]

    // MARK: Check digits

    @Test("the check digit of published SSCCs", arguments: published)
    func publishedCheckDigits(_ sscc: String) {
        #expect(SSCC.checkDigit(of: sscc.dropLast()) == Int(String(sscc.last!))!)
        #expect(SSCC.isValid(sscc))
    }

    @Test("GS1's example is made from its parts")
    func gs1ExampleFromParts() throws {
        let made = try SSCC.make(extensionDigit: 1, companyPrefix: "0614141", serial: 234_567_890)
        #expect(made.rawValue == Self.gs1Example)
        #expect(made.isSSCC)
        #expect(made.humanReadable == "(00)106141412345678908")
        #expect(SSCC.checkDigit(of: "10614141234567890") == 8)
    }

    @Test("any single wrong digit fails the check")
    func singleDigitErrors() {
        let digits = Array(Self.gs1Example)
        for position in digits.indices {
            for replacement in "0123456789" where replacement != digits[position] {
                var changed = digits
                changed[position] = replacement
                #expect(!SSCC.isValid(String(changed)), "\(String(changed)) must fail")
            }
        }
    }

    @Test("isValid wants exactly 18 ASCII digits")
    func validShape() {
        #expect(!SSCC.isValid(String(Self.gs1Example.dropLast())))
        #expect(!SSCC.isValid(Self.gs1Example + "0"))
        #expect(!SSCC.isValid("10614141234567890A"))
        #expect(!SSCC.isValid("١٠٦١٤١٤١٢٣٤٥٦٧٨٩٠٨"), "Arabic-Indic digits are not GS1 digits")
        #expect(!SSCC.isValid(""))
    }

    // MARK: Parsing

    @Test("the forms a scanner or camera delivers all parse to the 18 digits",
          arguments: [
              "106141412345678908",            // the bare data
              "(00)106141412345678908",        // the human-readable element string
              "00106141412345678908",          // the GS1 element string (AI 00 + 18 digits)
              "]d2" + "00106141412345678908",  // GS1 DataMatrix symbology identifier
              "]C1" + "00106141412345678908",  // GS1-128 symbology identifier
              "\u{1D}00106141412345678908",    // FNC1 as transmitted (GS)
              "]d2\u{1D}00106141412345678908", // both
              "]C1(00)106141412345678908",
          ])
    func parsingForms(_ text: String) throws {
        let code = try UnitCode(parsing: text)
        #expect(code.rawValue == Self.gs1Example)
        #expect(code.isSSCC)
        #expect(code == UnitCode(trusted: Self.gs1Example))
    }

    @Test("a wrong check digit names the code and the digit it should be")
    func badCheckDigit() {
        for text in ["106141412345678907", "(00)106141412345678907", "00106141412345678907"] {
            #expect(throws: UnitCodeError.checkDigit(code: "106141412345678907", expected: 8)) { try UnitCode(parsing: text) }
        }
        let error = UnitCodeError.checkDigit(code: "106141412345678907", expected: 8)
        #expect(error.description == "SSCC 106141412345678907 fails its check digit (the last digit should be 8)")
    }

    @Test("nearly 18 digits, or digits after (00) that are not 18: an SSCC length error")
    func ssccLength() {
        #expect(throws: UnitCodeError.ssccLength("10614141234567890")) { try UnitCode(parsing: "10614141234567890") }
        #expect(throws: UnitCodeError.ssccLength("1061414123456789081")) { try UnitCode(parsing: "1061414123456789081") }
        #expect(throws: UnitCodeError.ssccLength("123456")) { try UnitCode(parsing: "(00)123456") }
        #expect(UnitCodeError.ssccLength("123456").description == "an SSCC has 18 digits, not 6 (123456)")
    }

    @Test("a plant's own codes are kept verbatim", arguments: ["CASE-0042", "L1/2026-11-02/000017", "abc.DEF_9:x", "1234"])
    func otherPatterns(_ text: String) throws {
        let code = try UnitCode(parsing: text)
        #expect(code.rawValue == text)
        #expect(!code.isSSCC)
        #expect(code.humanReadable == text)
        #expect(code.description == text)
    }

    @Test("other codes are 4 to 64 characters")
    func lengthErrors() throws {
        #expect(throws: UnitCodeError.length(3)) { try UnitCode(parsing: "ABC") }
        #expect(throws: UnitCodeError.length(65)) { try UnitCode(parsing: String(repeating: "A", count: 65)) }
        #expect(throws: UnitCodeError.length(0)) { try UnitCode(parsing: "") }
        #expect(try UnitCode(parsing: String(repeating: "A", count: 64)).rawValue.count == 64)
        #expect(UnitCodeError.length(3).description == "a unit code has 4 to 64 characters, not 3")
    }

    @Test("other codes use only A–Z a–z 0–9 . _ - / :", arguments: ["CASE 42", "CASE#42", "CASE\u{0}42", "КОРОБ-42", "CASE-42\n"])
    func characterErrors(_ text: String) {
        #expect(throws: UnitCodeError.characters(text)) { try UnitCode(parsing: text) }
        #expect(UnitCodeError.characters(text).description.contains("characters outside A–Z"))
    }

    @Test("decoding refuses what parsing refuses; encoding writes the raw code")
    func codable() throws {
        let decoded = try JSONDecoder().decode([UnitCode].self, from: Data(#"["(00)106141412345678908","CASE-0042"]"#.utf8))
        #expect(decoded.map(\.rawValue) == [Self.gs1Example, "CASE-0042"])
        #expect(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self) == #"["106141412345678908","CASE-0042"]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(UnitCode.self, from: Data(#""106141412345678907""#.utf8)) }
    }

    // MARK: Making SSCCs

    @Test("made SSCCs: the serial fills the digits left after the prefix, zero-padded, with a valid check digit")
    func make() throws {
        let seven = try SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: 123)
        #expect(seven.rawValue.hasPrefix("0" + "4870001" + "000000123"))
        #expect(seven.rawValue.count == 18 && seven.isSSCC)
        let ten = try SSCC.make(extensionDigit: 9, companyPrefix: "4870001234", serial: 0)
        #expect(ten.rawValue.hasPrefix("9" + "4870001234" + "000000"))
        #expect(ten.isSSCC)
        // What is made parses back to itself.
        #expect(try UnitCode(parsing: "(00)" + seven.rawValue) == seven)
    }

    @Test("capacity: 10^(16 − prefix length) serials per extension digit and prefix; the last one fits, the next does not")
    func capacity() throws {
        #expect(SSCC.capacity(companyPrefixLength: 7) == 1_000_000_000)
        #expect(SSCC.capacity(companyPrefixLength: 10) == 1_000_000)
        let last = try SSCC.make(extensionDigit: 0, companyPrefix: "4870001234", serial: 999_999)
        #expect(last.rawValue.hasPrefix("04870001234999999"))
        #expect(throws: SSCCError.serialOutOfRange(1_000_000, digits: 6)) {
            try SSCC.make(extensionDigit: 0, companyPrefix: "4870001234", serial: 1_000_000)
        }
        #expect(throws: SSCCError.serialOutOfRange(-1, digits: 9)) { try SSCC.make(extensionDigit: 0, companyPrefix: "4870001", serial: -1) }
        #expect(SSCCError.serialOutOfRange(1_000_000, digits: 6).description
            == "serial reference 1000000 does not fit the 6 digits left after the company prefix")
    }

    @Test("a bad extension digit or company prefix is refused, naming it")
    func makeErrors() {
        #expect(throws: SSCCError.extensionDigit(10)) { try SSCC.make(extensionDigit: 10, companyPrefix: "4870001", serial: 1) }
        #expect(throws: SSCCError.extensionDigit(-1)) { try SSCC.make(extensionDigit: -1, companyPrefix: "4870001", serial: 1) }
        #expect(throws: SSCCError.companyPrefix("487000")) { try SSCC.make(extensionDigit: 0, companyPrefix: "487000", serial: 1) }
        #expect(throws: SSCCError.companyPrefix("48700012345")) { try SSCC.make(extensionDigit: 0, companyPrefix: "48700012345", serial: 1) }
        #expect(throws: SSCCError.companyPrefix("487000A")) { try SSCC.make(extensionDigit: 0, companyPrefix: "487000A", serial: 1) }
        #expect(SSCCError.extensionDigit(10).description == "the SSCC extension digit is 0–9, not 10")
        #expect(SSCCError.companyPrefix("487000").description == "a GS1 company prefix is 7–10 digits, not \"487000\"")
    }
}
