/// A ZPL printer's answer to `~HS` (host status return): three strings, each `<STX>…<ETX><CR><LF>`, of 12, 11 and
/// 2 comma-separated numeric fields (Zebra ZPL II Programming Guide, `~HS`):
///
/// 1. `aaa,b,c,dddd,eee,f,g,h,iii,j,k,l` — interface settings, paper out, pause, label length (dots), formats in
///    the receive buffer, buffer full, diagnostic mode, partial format, unused, corrupt RAM, under and over
///    temperature;
/// 2. `mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www` — function settings, unused, head up, ribbon out, thermal transfer,
///    print mode, print width mode, label waiting, labels remaining, format while printing, graphics stored;
/// 3. `xxxx,y` — password, static RAM installed.
public struct PrinterStatus: Sendable, Hashable {
    /// String 1 `aaa`: the serial interface settings (a bit field, kept as sent).
    public var interfaceSettings: Int
    /// String 1 `b`: out of labels.
    public var paperOut: Bool
    /// String 1 `c`: paused.
    public var paused: Bool
    /// String 1 `dddd`: label length in dots.
    public var labelLengthDots: Int
    /// String 1 `eee`: formats waiting in the receive buffer.
    public var formatsInBuffer: Int
    /// String 1 `f`: receive buffer full.
    public var bufferFull: Bool
    /// String 1 `g`: communications diagnostic mode.
    public var diagnosticMode: Bool
    /// String 1 `h`: a label format is only partly received.
    public var partialFormat: Bool
    /// String 1 `j`: configuration data lost.
    public var corruptRAM: Bool
    /// String 1 `k`: print head under temperature (it prints, lighter; not treated as a problem).
    public var underTemperature: Bool
    /// String 1 `l`: print head over temperature.
    public var overTemperature: Bool
    /// String 2 `mmm`: function settings (a bit field, kept as sent).
    public var functionSettings: Int
    /// String 2 `o`: print head up (open).
    public var headUp: Bool
    /// String 2 `p`: out of ribbon.
    public var ribbonOut: Bool
    /// String 2 `q`: thermal transfer mode (ribbon) rather than direct thermal.
    public var thermalTransfer: Bool
    /// String 2 `r`: print mode (0 rewind, 1 peel-off, 2 tear-off, 3 cutter, 4 applicator, …).
    public var printMode: Int
    /// String 2 `s`: print width mode.
    public var printWidthMode: Int
    /// String 2 `t`: a label waits to be taken (peel-off mode).
    public var labelWaiting: Bool
    /// String 2 `uuuuuuuu`: labels remaining in the batch.
    public var labelsRemaining: Int
    /// String 2 `www`: graphic images stored.
    public var graphicsStored: Int
    /// String 3 `xxxx`: the printer's password (four digits).
    public var password: Int
    /// String 3 `y`: static RAM installed.
    public var staticRAMInstalled: Bool

    /// A ready printer: tear-off mode, 100×150 mm label at 203 dpi, nothing wrong.
    public static let ready = PrinterStatus()

    /// Creates a status; every flag defaults to "fine".
    public init(interfaceSettings: Int = 30, paperOut: Bool = false, paused: Bool = false, labelLengthDots: Int = 1200,
                formatsInBuffer: Int = 0, bufferFull: Bool = false, diagnosticMode: Bool = false,
                partialFormat: Bool = false, corruptRAM: Bool = false, underTemperature: Bool = false,
                overTemperature: Bool = false, functionSettings: Int = 1, headUp: Bool = false, ribbonOut: Bool = false,
                thermalTransfer: Bool = false, printMode: Int = 2, printWidthMode: Int = 4, labelWaiting: Bool = false,
                labelsRemaining: Int = 0, graphicsStored: Int = 0, password: Int = 1234, staticRAMInstalled: Bool = false) {
        self.interfaceSettings = interfaceSettings
        self.paperOut = paperOut
        self.paused = paused
        self.labelLengthDots = labelLengthDots
        self.formatsInBuffer = formatsInBuffer
        self.bufferFull = bufferFull
        self.diagnosticMode = diagnosticMode
        self.partialFormat = partialFormat
        self.corruptRAM = corruptRAM
        self.underTemperature = underTemperature
        self.overTemperature = overTemperature
        self.functionSettings = functionSettings
        self.headUp = headUp
        self.ribbonOut = ribbonOut
        self.thermalTransfer = thermalTransfer
        self.printMode = printMode
        self.printWidthMode = printWidthMode
        self.labelWaiting = labelWaiting
        self.labelsRemaining = labelsRemaining
        self.graphicsStored = graphicsStored
        self.password = password
        self.staticRAMInstalled = staticRAMInstalled
    }

    /// Parses the three strings (what lies between STX and ETX).
    /// - Throws: a message naming the string and what is wrong with it.
    public init(strings: [String]) throws(HostStatusError) {
        guard strings.count == 3 else { throw HostStatusError("expected 3 status strings, got \(strings.count)") }
        let one = try Self.fields(strings[0], number: 1)
        let two = try Self.fields(strings[1], number: 2)
        let three = try Self.fields(strings[2], number: 3)
        self.init(
            interfaceSettings: one[0], paperOut: one[1] != 0, paused: one[2] != 0, labelLengthDots: one[3],
            formatsInBuffer: one[4], bufferFull: one[5] != 0, diagnosticMode: one[6] != 0, partialFormat: one[7] != 0,
            corruptRAM: one[9] != 0, underTemperature: one[10] != 0, overTemperature: one[11] != 0,
            functionSettings: two[0], headUp: two[2] != 0, ribbonOut: two[3] != 0, thermalTransfer: two[4] != 0,
            printMode: two[5], printWidthMode: two[6], labelWaiting: two[7] != 0, labelsRemaining: two[8],
            graphicsStored: two[10], password: three[0], staticRAMInstalled: three[1] != 0)
    }

    /// The answer a printer in this state gives to `~HS`, framed: `<STX>…<ETX><CR><LF>` three times.
    public var hostStatusReply: String {
        func flag(_ value: Bool) -> String { value ? "1" : "0" }
        func padded(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let one = [padded(interfaceSettings, 3), flag(paperOut), flag(paused), padded(labelLengthDots, 4),
                   padded(formatsInBuffer, 3), flag(bufferFull), flag(diagnosticMode), flag(partialFormat), "000",
                   flag(corruptRAM), flag(underTemperature), flag(overTemperature)]
        let two = [padded(functionSettings, 3), "0", flag(headUp), flag(ribbonOut), flag(thermalTransfer),
                   String(printMode), String(printWidthMode), flag(labelWaiting), padded(labelsRemaining, 8), "1",
                   padded(graphicsStored, 3)]
        let three = [padded(password, 4), flag(staticRAMInstalled)]
        return [one, two, three].map { "\u{02}" + $0.joined(separator: ",") + "\u{03}\r\n" }.joined()
    }

    /// What keeps the printer from printing, most serious first, as errors naming `endpoint`: head open, paper out,
    /// ribbon out, head too hot, configuration lost, buffer full, paused. Empty when it is ready.
    public func problems(endpoint: String) -> [PrinterError] {
        var problems: [PrinterError] = []
        if headUp { problems.append(.headOpen(endpoint: endpoint)) }
        if paperOut { problems.append(.paperOut(endpoint: endpoint)) }
        if ribbonOut { problems.append(.ribbonOut(endpoint: endpoint)) }
        if overTemperature { problems.append(.headTooHot(endpoint: endpoint)) }
        if corruptRAM { problems.append(.configurationLost(endpoint: endpoint)) }
        if bufferFull { problems.append(.bufferFull(endpoint: endpoint)) }
        if paused { problems.append(.paused(endpoint: endpoint)) }
        return problems
    }

    /// Whether nothing keeps the printer from printing.
    public var isReady: Bool { problems(endpoint: "").isEmpty }

    /// The numeric fields of status string `number` (1–3), which has 12, 11 or 2 of them.
    static func fields(_ string: String, number: Int) throws(HostStatusError) -> [Int] {
        let count = [12, 11, 2][number - 1]
        let parts = string.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == count else {
            throw HostStatusError("status string \(number) has \(parts.count) fields, not \(count): \(printable(string))")
        }
        var values: [Int] = []
        for (index, part) in parts.enumerated() {
            let digits = part.drop { $0 == " " }
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ ("0"..."9").contains($0) }), let value = Int(digits) else {
                throw HostStatusError("status string \(number) field \(index + 1) is not a number: \(printable(String(part)))")
            }
            values.append(value)
        }
        return values
    }
}

/// Why an answer to `~HS` is not a host status.
public struct HostStatusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, e.g. `status string 2 has 3 fields, not 11: "1,2,3"`.
    public var description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}

/// Collects a `~HS` answer from bytes as they arrive: three `<STX>…<ETX>` strings, CR/LF between them ignored.
/// Anything else (no STX where a string must start, a string longer than 256 bytes, more than 1 KiB in all)
/// is garbage, reported at once rather than at the timeout.
struct HostStatusReader {
    enum Outcome: Equatable {
        case needMore
        case complete(PrinterStatus)
        case garbage(String)
    }

    private var received: [UInt8] = []
    private var strings: [String] = []
    private var current: [UInt8]?
    private static let stx: UInt8 = 0x02, etx: UInt8 = 0x03

    /// Whether any byte of the answer has arrived.
    var hasReceivedAnything: Bool { !received.isEmpty }

    /// Takes more bytes of the answer. Bytes after the third string are left for a later answer.
    mutating func append<Bytes: Sequence>(_ bytes: Bytes) -> (Outcome, leftover: [UInt8]) where Bytes.Element == UInt8 {
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            received.append(byte)
            if received.count > 1024 { return (.garbage("more than 1 KiB without three status strings: \(snippet)"), []) }
            if current != nil {
                if byte == Self.etx {
                    let string = String(decoding: current!, as: UTF8.self)
                    current = nil
                    do { _ = try PrinterStatus.fields(string, number: strings.count + 1) } catch {
                        return (.garbage(error.description), [])
                    }
                    strings.append(string)
                    if strings.count == 3 {
                        var leftover: [UInt8] = []
                        while let rest = iterator.next() { leftover.append(rest) }
                        do { return (.complete(try PrinterStatus(strings: strings)), leftover) } catch {
                            return (.garbage(error.description), [])
                        }
                    }
                } else if byte == Self.stx {
                    return (.garbage("STX inside status string \(strings.count + 1): \(snippet)"), [])
                } else {
                    current!.append(byte)
                    if current!.count > 256 {
                        return (.garbage("status string \(strings.count + 1) runs past 256 bytes: \(snippet)"), [])
                    }
                }
            } else if byte == Self.stx {
                current = []
            } else if byte != 0x0D, byte != 0x0A {
                return (.garbage("expected STX at the start of status string \(strings.count + 1): \(snippet)"), [])
            }
        }
        return (.needMore, [])
    }

    private var snippet: String { printable(String(decoding: received.prefix(60), as: UTF8.self)) }
}

/// The text as a quoted Swift-style literal with control characters escaped (`"\u{02}001,0\r\n"`), cut at 60
/// characters.
func printable(_ text: String) -> String {
    let cut = text.count > 60 ? String(text.prefix(60)) + "…" : text
    return cut.debugDescription
}
