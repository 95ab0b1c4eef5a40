import LineCore
import Testing

@testable import LabelPrinting

/// What the agent sends a printer for one label: golden formats for both symbologies, escaping, sizes.
@Suite("ZPL rendering")
struct ZPLTests {
    static let sscc = UnitCode(trusted: "048700010000001230")
    static let lines = ["ТОО «Арман» / Arman LLP", "Водка «Qazaq» 0,5 л × 12", "Line 1 · 2025-05-13 14:02 (Astana)"]

    @Test("A GS1 DataMatrix case label on 100×150 mm at 203 dpi")
    func dataMatrixGolden() {
        let zpl = ZPL().render(UnitLabel(code: Self.sscc, lines: Self.lines))
        #expect(zpl == """
            ^XA
            ^CI28
            ^PW800
            ^LL1200
            ^FO40,40^A0N,40,40^FH^FDТОО «Арман» / Arman LLP^FS
            ^FO40,96^A0N,40,40^FH^FDВодка «Qazaq» 0,5 л × 12^FS
            ^FO40,152^A0N,40,40^FH^FDLine 1 · 2025-05-13 14:02 (Astana)^FS
            ^FO40,232^BXN,6,200,,,,_^FD_100048700010000001230^FS
            ^FO40,344^A0N,32,32^FH^FD(00) 048700010000001230^FS
            ^XZ

            """)
    }

    @Test("A GS1-128 case label: mode D, AI (00) in the data, the symbol centred with its text under it")
    func gs1_128Golden() {
        let zpl = ZPL(settings: .init(symbology: .gs1_128)).render(UnitLabel(code: Self.sscc, lines: Self.lines))
        #expect(zpl == """
            ^XA
            ^CI28
            ^PW800
            ^LL1200
            ^FO40,40^A0N,40,40^FH^FDТОО «Арман» / Arman LLP^FS
            ^FO40,96^A0N,40,40^FH^FDВодка «Qazaq» 0,5 л × 12^FS
            ^FO40,152^A0N,40,40^FH^FDLine 1 · 2025-05-13 14:02 (Astana)^FS
            ^FO88,232^BY4^BCN,256,N,N,N,D^FD(00)048700010000001230^FS
            ^FO88,504^A0N,32,32^FH^FD(00) 048700010000001230^FS
            ^XZ

            """)
    }

    @Test("The label's own symbology overrides the printer's")
    func labelSymbologyOverrides() {
        let zpl = ZPL().render(UnitLabel(code: Self.sscc, lines: [], symbology: .gs1_128))
        #expect(zpl.contains("^BCN,256,N,N,N,D^FD(00)048700010000001230^FS"))
        #expect(!zpl.contains("^BX"))
    }

    @Test("^ and ~ in a product name cannot end the field or inject commands")
    func injectionEscaped() {
        let evil = "Vodka^FS^XZ^XA^FO0,0^GB800,1200,800^FS~JR_1\r\n"
        let zpl = ZPL().render(UnitLabel(code: Self.sscc, lines: [evil]))
        #expect(zpl.contains("^FH^FDVodka_5EFS_5EXZ_5EXA_5EFO0,0_5EGB800,1200,800_5EFS_7EJR_5F1_0D_0A^FS"))
        // One format, one of each framing command, and no control command at all.
        #expect(zpl.components("^XA") == 1 && zpl.components("^XZ") == 1)
        #expect(!zpl.contains("~") && !zpl.contains("^GB"))
        // What a printer reads back is the text as given.
        #expect(ReceivedLabel(zpl: zpl).texts.first == evil)
    }

    @Test("Field escaping", arguments: [
        ("plain", "plain"), ("a^b", "a_5Eb"), ("a~b", "a_7Eb"), ("a_b", "a_5Fb"), ("tab\there", "tab_09here"),
        ("del\u{7F}", "del_7F"), ("Қазақ", "Қазақ"),
    ])
    func fieldEscaping(text: String, escaped: String) {
        #expect(ZPL.escapeFieldData(text) == escaped)
    }

    @Test("Sizes scale with the density", arguments: [
        (ZPL.Density.dpi203, "^PW800\n^LL1200", "^BXN,6,200", "^BY4^BCN,256"),
        (ZPL.Density.dpi300, "^PW1200\n^LL1800", "^BXN,9,200", "^BY6^BCN,384"),
        (ZPL.Density.dpi600, "^PW2400\n^LL3600", "^BXN,18,200", "^BY12^BCN,768"),
    ])
    func density(density: ZPL.Density, size: String, matrix: String, bars: String) {
        let label = UnitLabel(code: Self.sscc, lines: ["x"])
        #expect(ZPL(settings: .init(density: density)).render(label).contains(size))
        #expect(ZPL(settings: .init(density: density)).render(label).contains(matrix))
        #expect(ZPL(settings: .init(density: density, symbology: .gs1_128)).render(label).contains(bars))
    }

    @Test("A label size from the settings")
    func labelSize() {
        let zpl = ZPL(settings: .init(widthMillimetres: 58, heightMillimetres: 40, density: .dpi300)).render(UnitLabel(code: Self.sscc, lines: []))
        #expect(zpl.contains("^PW696\n^LL480\n"))
    }

    @Test("A plant's own code (not an SSCC): plain DataMatrix with _ doubled, plain Code 128, printed as is")
    func otherCode() throws {
        let code = try UnitCode(other: "CASE_0042-A")
        let matrix = ZPL().render(UnitLabel(code: code, lines: []))
        #expect(matrix.contains("^BXN,6,200,,,,_^FDCASE__0042-A^FS"))
        #expect(matrix.contains("^FH^FDCASE_5F0042-A^FS"))  // the human-readable line
        let bars = ZPL(settings: .init(symbology: .gs1_128)).render(UnitLabel(code: code, lines: []))
        #expect(bars.contains("^BY4^BCN,256,N,N,N,A^FDCASE_0042-A^FS"))
    }

    @Test("A font stored on the printer for Cyrillic and Kazakh text")
    func font() throws {
        let settings = ZPL.Settings(font: "E:TT0003M_.FNT")
        try settings.validate()
        let zpl = ZPL(settings: settings).render(UnitLabel(code: Self.sscc, lines: ["Қазақ"]))
        #expect(zpl.contains("^FO40,40^A@N,40,40,E:TT0003M_.FNT^FH^FDҚазақ^FS"))
    }

    @Test("Settings that cannot work are refused, naming the setting", arguments: [
        (ZPL.Settings(widthMillimetres: 0), "widthMillimetres must be 25–400, not 0"),
        (ZPL.Settings(heightMillimetres: 5000), "heightMillimetres must be 25–1000, not 5000"),
        (ZPL.Settings(font: "E:X.FNT^XZ"), #"font must be a printer path such as E:TT0003M_.FNT, not "E:X.FNT^XZ""#),
        (ZPL.Settings(font: "arial"), #"font must be a printer path such as E:TT0003M_.FNT, not "arial""#),
    ])
    func invalidSettings(settings: ZPL.Settings, message: String) {
        #expect(throws: PrinterError.invalidSettings(message)) { try settings.validate() }
        #expect(PrinterError.invalidSettings(message).description == "label settings: " + message)
    }

    @Test("DataMatrix size estimate (ASCII encodation)", arguments: [
        ("1234", 10), ("ABC", 10), ("ABCDEF", 14), ("CASE_0042-A", 16), (String(repeating: "A", count: 64), 36),
    ])
    func dataMatrixSide(text: String, side: Int) {
        #expect(ZPL.dataMatrixSide(for: text) == side)
    }
}

extension String {
    func components(_ separator: String) -> Int {
        var count = 0
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}
