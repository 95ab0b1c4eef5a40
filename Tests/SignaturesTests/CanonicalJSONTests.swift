import Foundation
import Signatures
import Testing

/// RFC 8785 (JCS) vectors and the refusals of non-I-JSON input.
struct CanonicalJSONTests {
    private func canonical(_ text: String) throws -> String {
        String(decoding: try CanonicalJSON.canonicalize(Data(text.utf8)), as: UTF8.self)
    }

    private func refusal(_ text: String) -> SignatureError? {
        do {
            _ = try CanonicalJSON.canonicalize(Data(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func rfc8785Section322Example() throws {
        // RFC 8785 §3.2.2: the sample input and its canonical form.
        let input = #"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(try canonical(input) == expected)
    }

    @Test func rfc8785Section323SortsByUTF16CodeUnits() throws {
        // RFC 8785 §3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33, unlike code-point order.
        let input = #"""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\","
            + "\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(try canonical(input) == expected)
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript form.
    static let appendixB: [(UInt64, String)] = [
        (0x0000_0000_0000_0000, "0"), (0x8000_0000_0000_0000, "0"), (0x0000_0000_0000_0001, "5e-324"),
        (0x8000_0000_0000_0001, "-5e-324"), (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
        (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"), (0x4340_0000_0000_0000, "9007199254740992"),
        (0xc340_0000_0000_0000, "-9007199254740992"), (0x4430_0000_0000_0000, "295147905179352830000"),
        (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"), (0x44b5_2d02_c7e1_4af6, "1e+23"),
        (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"), (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"),
        (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"), (0x444b_1ae4_d6e2_ef50, "1e+21"),
        (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"), (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
        (0x41b3_de43_5555_5553, "333333333.3333332"), (0x41b3_de43_5555_5554, "333333333.33333325"),
        (0x41b3_de43_5555_5555, "333333333.3333333"), (0x41b3_de43_5555_5556, "333333333.3333334"),
        (0x41b3_de43_5555_5557, "333333333.33333343"), (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
        (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
    ]

    @Test func appendixBNumbers() throws {
        for (bits, expected) in Self.appendixB {
            let value = Double(bitPattern: bits)
            #expect(CanonicalJSON.numberText(value) == expected, "bits \(String(bits, radix: 16))")
            // And through the parser: the expected text reads back and stays as it is.
            #expect(try canonical("[\(expected)]") == "[\(expected)]")
        }
    }

    @Test(arguments: [
        ("1e21", "1e+21"), ("1E30", "1e+30"), ("0.000001", "0.000001"), ("0.0000001", "1e-7"), ("-0", "0"), ("-0.0", "0"),
        ("4.50", "4.5"), ("2e-3", "0.002"), ("1.0", "1"), ("100", "100"), ("1e2", "100"), ("-1.5E-7", "-1.5e-7"),
        ("123456789012", "123456789012"), ("0.1", "0.1"), ("1e-324", "0"), ("12345678901234567890", "12345678901234567000"),
    ])
    func numbers(input: String, expected: String) throws {
        #expect(try canonical(input) == expected)
    }

    @Test func stringsAreEscapedPerJCS() throws {
        #expect(try canonical(#""\u0000\u0008\u0009\u000a\u000c\u000d\u001f""#) == #""\u0000\b\t\n\f\r\u001f""#)
        // "/", DEL, U+2028 and non-ASCII stay as they are (raw UTF-8); escaped letters are unescaped.
        #expect(try canonical(#""\/\u007f\u2028\u0041ЖСН \ud83d\ude00""#) == "\"/\u{7F}\u{2028}AЖСН 😀\"")
        #expect(try canonical(#""quote \" backslash \\""#) == #""quote \" backslash \\""#)
    }

    @Test func whitespaceAndOrderDoNotMatter() throws {
        let pretty = "{\n  \"b\" : [ 1 , 2 ],\r\n\t\"a\" : { \"y\" : null, \"x\" : true }\n}\n"
        let compact = #"{"a":{"x":true,"y":null},"b":[1,2]}"#
        #expect(try canonical(pretty) == compact)
        #expect(try canonical(compact) == compact)
        #expect(try canonical(" \"top-level string\" ") == "\"top-level string\"")
        #expect(try canonical("{}") == "{}")
        #expect(try canonical("[]") == "[]")
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#, #"{"a":1,"\u0061":2}"#, #"{"x":{"k":1,"k":1}}"#,
    ])
    func duplicateKeysAreRefused(input: String) {
        let error = refusal(input)
        #expect(error?.code == "document_not_canonical")
        #expect("\(error.map { "\($0)" } ?? "")".contains("duplicate key"))
    }

    @Test(arguments: [
        "", " ", "{", "{\"a\":1,}", "[1,]", "{'a':1}", "{\"a\" 1}", "NaN", "Infinity", "-", "01", "1.", ".5", "1e", "+1",
        "tru", "nul", "\"unterminated", "\"tab\there\"", "\"bad \\x escape\"", "{} x", "[1] [2]", "{\"a\":1}}",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "1e400", "-1e400", "\u{FEFF}{}",
    ])
    func invalidJSONIsRefused(input: String) {
        #expect(refusal(input)?.code == "document_not_canonical", "\(input.debugDescription)")
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]  // '"', a broken two-byte sequence, '"'
        #expect(throws: SignatureError.self) { try CanonicalJSON.canonicalize(Data(bytes)) }
        let surrogateInUTF8: [UInt8] = [0x22, 0xED, 0xA0, 0x80, 0x22]  // U+D800 encoded as UTF-8: not valid UTF-8
        #expect(throws: SignatureError.self) { try CanonicalJSON.canonicalize(Data(surrogateInUTF8)) }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: CanonicalJSON.maximumDepth + 1) + String(repeating: "]", count: CanonicalJSON.maximumDepth + 1)
        #expect(refusal(deep)?.code == "document_not_canonical")
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try canonical(fine) == fine)
    }

    struct Sample: Encodable {
        var zeta = "last"
        var alpha = 1.0
        var mid: [Int] = [3, 2, 1]
        var nested = ["b": "2", "a": "1"]
    }

    @Test func encodeCanonicalisesJSONEncoderOutput() throws {
        let bytes = try CanonicalJSON.encode(Sample())
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"alpha":1,"mid":[3,2,1],"nested":{"a":"1","b":"2"},"zeta":"last"}"#)
        #expect(throws: SignatureError.self) { try CanonicalJSON.encode(["x": Double.infinity]) }
    }
}
