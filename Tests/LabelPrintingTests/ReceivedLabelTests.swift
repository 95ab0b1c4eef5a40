import LineCore
import Testing

@testable import LabelPrinting

/// Reading back what a printer received: the fields of a format, the code its symbol carries, and the stream split
/// into formats and status requests.
@Suite("Received labels")
struct ReceivedLabelTests {
    static let sscc = UnitCode(trusted: "048700010000001230")

    @Test("Both symbologies carry the SSCC with AI (00), FNC1 first", arguments: LabelSymbology.allCases)
    func ssccBack(symbology: LabelSymbology) {
        let zpl = ZPL().render(UnitLabel(code: Self.sscc, lines: ["Arman LLP", "Qazaq 0,5 × 12"], symbology: symbology))
        let label = ReceivedLabel(zpl: zpl)
        #expect(label.gs1ElementString == "00" + Self.sscc.rawValue)
        #expect(label.unitCode == Self.sscc)
        #expect(label.texts == ["Arman LLP", "Qazaq 0,5 × 12", "(00) 048700010000001230"])
        #expect(label.barcode?.barcode == (symbology == .dataMatrix ? "BX" : "BC"))
    }

    @Test("A plant's own code comes back from a plain symbol, and is not GS1", arguments: LabelSymbology.allCases)
    func otherCodeBack(symbology: LabelSymbology) throws {
        let code = try UnitCode(other: "CASE_0042-A")
        let label = ReceivedLabel(zpl: ZPL().render(UnitLabel(code: code, lines: [], symbology: symbology)))
        #expect(label.gs1ElementString == nil)
        #expect(label.unitCode == code)
    }

    @Test("Hand-written ZPL: a ^FH indicator of its own, Code 128 with >;>8, a DataMatrix with the ~ firmware default")
    func handWritten() {
        let label = ReceivedLabel(zpl: "^XA^FO10,10^FH\\^FDA\\5EB^FS^BY3^BCN,100,Y,N,N^FD>;>800048700010000001230^FS^XZ")
        #expect(label.texts == ["A^B"])
        #expect(label.gs1ElementString == "00048700010000001230")
        #expect(ReceivedLabel(zpl: "^XA^BXN,6,200,,,,#^FD#100048700010000001230^FS^XZ").unitCode == Self.sscc)
    }

    @Test("The stream: formats when ^XZ arrives, ~HS where it arrives, noise between formats dropped")
    func stream() {
        var bytes = Array("junk\n^XA^FDone^FS^XZ\n~HS^XA^FDtwo".utf8)
        #expect(ZPLStream.next(&bytes) == .format("^XA^FDone^FS^XZ"))
        #expect(ZPLStream.next(&bytes) == .hostStatus)
        #expect(ZPLStream.next(&bytes) == nil, "the second format is not complete")
        bytes += Array("~HS^FS^XZ".utf8)
        #expect(ZPLStream.next(&bytes) == .hostStatus, "a control command inside a format is acted on at once")
        #expect(ZPLStream.next(&bytes) == .format("^XA^FDtwo^FS^XZ"))
        #expect(ZPLStream.next(&bytes) == nil)
        #expect(bytes.isEmpty)
        var split = Array("~H".utf8)
        #expect(ZPLStream.next(&split) == nil)
        split += Array("S".utf8)
        #expect(ZPLStream.next(&split) == .hostStatus)
    }
}
