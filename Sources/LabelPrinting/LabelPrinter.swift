import LineCore

/// The seam between the case station and a label printer (ZPL over raw TCP in production, a test printer on
/// loopback in tests and the demo).
public protocol LabelPrinter: Sendable {
    /// Prints one case or pallet label and returns once the printer has taken it and reports itself ready.
    /// - Throws: ``PrinterError`` naming what went wrong (off, no answer, garbage answer, paper out, head open…).
    func print(_ label: UnitLabel) async throws(PrinterError)
}

/// What goes on a case or pallet label.
public struct UnitLabel: Sendable, Hashable {
    /// The unit's code (an SSCC is printed with AI (00)).
    public var code: UnitCode
    /// Lines of text printed above the symbol (producer, product, count, line, packing time in Astana time).
    public var lines: [String]
    /// The symbol to print, or nil for the printer's configured one (``ZPL/Settings/symbology``).
    public var symbology: LabelSymbology?

    /// Creates a label.
    /// - Parameters:
    ///   - code: the unit's code.
    ///   - lines: text lines, printed as given (ZPL control characters are escaped).
    ///   - symbology: overrides the printer's configured symbology for this label.
    public init(code: UnitCode, lines: [String], symbology: LabelSymbology? = nil) {
        self.code = code
        self.lines = lines
        self.symbology = symbology
    }
}

/// The symbol that carries the unit code on a label.
public enum LabelSymbology: String, Sendable, Hashable, Codable, CaseIterable {
    /// GS1 DataMatrix (ECC 200, FNC1 first): `^BX…,200`. A code that is not an SSCC is printed as a plain
    /// DataMatrix (no FNC1).
    case dataMatrix = "datamatrix"
    /// GS1-128 (Code 128 with FNC1): `^BC` in UCC/EAN mode D. A code that is not an SSCC is printed as a plain
    /// Code 128.
    case gs1_128 = "gs1-128"
}

/// Why a label was not printed. Every case names the printer (`host:port`).
public enum PrinterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The printer could not be reached: connection refused, name not resolved, or no connection within the time
    /// budget. The label was not sent.
    case unreachable(endpoint: String, message: String)
    /// The printer took the connection but did not answer the host status request (`~HS`) within the time budget.
    case noAnswer(endpoint: String, after: Duration)
    /// The printer closed the connection before it had answered the host status request.
    case connectionClosed(endpoint: String)
    /// Sending to the printer failed after the connection was made.
    case sendFailed(endpoint: String, message: String)
    /// The printer answered `~HS` with something that is not three STX…ETX strings of 12, 11 and 2 fields.
    case badStatus(endpoint: String, reason: String)
    /// The print head is open (head up).
    case headOpen(endpoint: String)
    /// The printer is out of labels (media out).
    case paperOut(endpoint: String)
    /// The printer is out of ribbon (thermal transfer).
    case ribbonOut(endpoint: String)
    /// The print head is over temperature.
    case headTooHot(endpoint: String)
    /// The printer is paused (an operator pressed PAUSE, or it paused itself after an error).
    case paused(endpoint: String)
    /// The printer's receive buffer is full: it takes no more labels.
    case bufferFull(endpoint: String)
    /// The printer lost its configuration (corrupt RAM) and needs attention.
    case configurationLost(endpoint: String)
    /// The caller's task was cancelled (e.g. the station shutting down) before the printer had answered.
    case cancelled(endpoint: String)
    /// The label's code is neither an SSCC nor a unit code of the allowed characters (it can only have come
    /// through `UnitCode(trusted:)`); it is not sent, so it cannot carry ZPL commands.
    case invalidCode(String)
    /// The label settings cannot be printed (e.g. a font name that is not a printer path).
    case invalidSettings(String)

    /// The printer the error concerns (`host:port`), when it concerns one.
    public var endpoint: String? {
        switch self {
        case let .unreachable(endpoint, _), let .noAnswer(endpoint, _), let .connectionClosed(endpoint),
             let .sendFailed(endpoint, _), let .badStatus(endpoint, _), let .headOpen(endpoint),
             let .paperOut(endpoint), let .ribbonOut(endpoint), let .headTooHot(endpoint), let .paused(endpoint),
             let .bufferFull(endpoint), let .configurationLost(endpoint), let .cancelled(endpoint):
            endpoint
        case .invalidSettings, .invalidCode: nil
        }
    }

    /// Whether the printer reported itself not ready (head open, paper out, …), as opposed to a failure to talk
    /// to it.
    public var isPrinterCondition: Bool {
        switch self {
        case .headOpen, .paperOut, .ribbonOut, .headTooHot, .paused, .bufferFull, .configurationLost: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case let .unreachable(endpoint, message): "label printer \(endpoint) unreachable: \(message)"
        case let .noAnswer(endpoint, after):
            "label printer \(endpoint) did not answer the status request (~HS) within \(after.millisecondsText) "
                + "(a Zebra does not answer while out of media or ribbon or with the head open)"
        case let .connectionClosed(endpoint):
            "label printer \(endpoint) closed the connection before answering the status request (~HS)"
        case let .sendFailed(endpoint, message): "sending to label printer \(endpoint) failed: \(message)"
        case let .badStatus(endpoint, reason): "label printer \(endpoint) answered ~HS with garbage: \(reason)"
        case let .headOpen(endpoint): "label printer \(endpoint): print head open (close the head)"
        case let .paperOut(endpoint): "label printer \(endpoint): paper out (load labels, then press FEED)"
        case let .ribbonOut(endpoint): "label printer \(endpoint): ribbon out (load a ribbon)"
        case let .headTooHot(endpoint): "label printer \(endpoint): print head over temperature"
        case let .paused(endpoint): "label printer \(endpoint): paused (press PAUSE to resume)"
        case let .bufferFull(endpoint): "label printer \(endpoint): receive buffer full"
        case let .configurationLost(endpoint):
            "label printer \(endpoint): configuration lost (corrupt RAM); check its settings"
        case let .cancelled(endpoint): "printing on label printer \(endpoint) was cancelled before it answered"
        case let .invalidSettings(message): "label settings: \(message)"
        case let .invalidCode(code): "unit code \(code.debugDescription) cannot be printed: it is not a valid unit code"
        }
    }
}

extension Duration {
    /// "500 ms", "1.5 s".
    var millisecondsText: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds < 1000 || milliseconds % 100 != 0 { return "\(milliseconds) ms" }
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }
}
