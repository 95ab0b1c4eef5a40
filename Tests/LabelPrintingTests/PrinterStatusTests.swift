import Testing

@testable import LabelPrinting

/// The `~HS` answer: its three framed strings, the flags that stop a label, and what is garbage.
@Suite("Host status (~HS)")
struct PrinterStatusTests {
    /// A Zebra's answer: 203 dpi, 1245-dot label, one format in the buffer, tear-off, thermal transfer.
    static let zebraReply = "\u{02}030,0,0,1245,001,0,0,0,000,0,0,0\u{03}\r\n\u{02}001,0,0,0,1,2,6,0,00000000,1,000\u{03}\r\n\u{02}1234,0\u{03}\r\n"

    func read(_ text: String) -> HostStatusReader.Outcome {
        var reader = HostStatusReader()
        return reader.append(Array(text.utf8)).0
    }

    @Test("A printer's answer is read field by field")
    func parsesZebraReply() throws {
        guard case let .complete(status) = read(Self.zebraReply) else { Issue.record("not read"); return }
        #expect(status.labelLengthDots == 1245 && status.formatsInBuffer == 1 && status.thermalTransfer)
        #expect(status.printMode == 2 && status.password == 1234 && status.isReady)
        #expect(status.problems(endpoint: "p:9100").isEmpty)
    }

    @Test("What a status renders is what it reads back")
    func roundTrip() {
        let statuses = [
            PrinterStatus.ready, PrinterStatus(paperOut: true, paused: true), PrinterStatus(headUp: true),
            PrinterStatus(labelLengthDots: 2400, formatsInBuffer: 12, bufferFull: true, corruptRAM: true, underTemperature: true,
                          overTemperature: true, ribbonOut: true, thermalTransfer: true, printMode: 4, labelsRemaining: 99_999_999,
                          graphicsStored: 7, password: 42, staticRAMInstalled: true),
        ]
        for status in statuses {
            #expect(read(status.hostStatusReply) == .complete(status))
        }
        #expect(PrinterStatus.ready.hostStatusReply
            == "\u{02}030,0,0,1200,000,0,0,0,000,0,0,0\u{03}\r\n\u{02}001,0,0,0,0,2,4,0,00000000,1,000\u{03}\r\n\u{02}1234,0\u{03}\r\n")
    }

    @Test("Each flag is a problem naming the printer, most serious first")
    func problems() {
        let everything = PrinterStatus(paperOut: true, paused: true, bufferFull: true, corruptRAM: true, underTemperature: true,
                                       overTemperature: true, headUp: true, ribbonOut: true)
        #expect(everything.problems(endpoint: "10.1.2.3:9100") == [
            .headOpen(endpoint: "10.1.2.3:9100"), .paperOut(endpoint: "10.1.2.3:9100"), .ribbonOut(endpoint: "10.1.2.3:9100"),
            .headTooHot(endpoint: "10.1.2.3:9100"), .configurationLost(endpoint: "10.1.2.3:9100"),
            .bufferFull(endpoint: "10.1.2.3:9100"), .paused(endpoint: "10.1.2.3:9100"),
        ])
        #expect(PrinterStatus(underTemperature: true).isReady, "an under-temperature head still prints")
        #expect(PrinterError.paperOut(endpoint: "10.1.2.3:9100").description
            == "label printer 10.1.2.3:9100: paper out (load labels, then press FEED)")
    }

    @Test("An answer split across reads is read once complete, and bytes after it are kept")
    func splitAndLeftover() {
        var reader = HostStatusReader()
        let bytes = Array((Self.zebraReply + "\u{02}next").utf8)
        for byte in bytes.prefix(bytes.count - 8) {
            #expect(reader.append([byte]).0 == .needMore)
        }
        let (outcome, leftover) = reader.append(bytes.suffix(8))
        guard case .complete = outcome else { Issue.record("not complete: \(outcome)"); return }
        #expect(leftover == Array("\r\n\u{02}next".utf8))
    }

    @Test("Garbage is recognised at once, saying what is wrong", arguments: [
        ("PRINTER READY\r\n", #"expected STX at the start of status string 1: "P""#),
        ("\u{02}030,0,0\u{03}\r\n", #"status string 1 has 3 fields, not 12: "030,0,0""#),
        ("\u{02}030,0,0,1245,001,0,0,0,000,0,0,0\u{03}\u{02}001,0,0,0,1,2,6,0,00000000,1\u{03}\u{02}1234,0\u{03}",
         #"status string 2 has 10 fields, not 11: "001,0,0,0,1,2,6,0,00000000,1""#),
        ("\u{02}030,0,0,1245,001,0,0,0,000,0,0,0\u{03}\u{02}001,0,0,0,1,2,6,0,00000000,1,000\u{03}\u{02}1234\u{03}",
         #"status string 3 has 1 fields, not 2: "1234""#),
        ("\u{02}030,x,0,1245,001,0,0,0,000,0,0,0\u{03}\u{02}001,0,0,0,1,2,6,0,00000000,1,000\u{03}\u{02}1234,0\u{03}",
         #"status string 1 field 2 is not a number: "x""#),
        ("\u{02}030,0\u{02}", #"STX inside status string 1: "\u{02}030,0\u{02}""#),
    ])
    func garbage(text: String, reason: String) {
        #expect(read(text) == .garbage(reason))
    }

    @Test("A string that never ends is garbage, not a wait for the timeout")
    func runaway() {
        guard case let .garbage(reason) = read("\u{02}" + String(repeating: "0", count: 300)) else {
            Issue.record("not garbage")
            return
        }
        #expect(reason.hasPrefix("status string 1 runs past 256 bytes"))
    }
}
