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
    /// Lines of text printed beside the symbol (producer, product, count, line, packing time in Astana time).
    public var lines: [String]
    public init(code: UnitCode, lines: [String]) {
        self.code = code
        self.lines = lines
    }
}

/// Why a label was not printed.
public enum PrinterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The printer could not be reached.
    case unreachable(endpoint: String, message: String)
    public var description: String {
        switch self {
        case let .unreachable(endpoint, message): "label printer \(endpoint) unreachable: \(message)"
        }
    }
}
