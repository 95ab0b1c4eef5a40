import LineCore
import QazAPI

/// The simulated fiscal signs (order No 626 cl. 80; App. 13-B item 29.3).
public enum FiscalSigns {
    /// The receipt's fiscal facts as one text: everything but its signs and its autonomous flag, fields in a fixed
    /// order, `|` between fields, `;` between lines. Two receipts with equal facts record the same sale.
    public static func canonicalFacts(of receipt: FiscalReceipt) -> String {
        let lines = receipt.lines.map { "\($0.catalogueCode):\($0.quantity):\($0.markingCodes.joined(separator: ","))" }
        return [receipt.registrationNumber, receipt.factoryNumber, receipt.seller.rawValue, String(receipt.number), receipt.dateTime,
                receipt.operation.rawValue, lines.joined(separator: ";")].joined(separator: "|")
    }

    /// The sign the FDO server forms for a receipt: the first 10 hex digits of SHA-256 of its canonical facts. It
    /// stands for the FDO's hash (cl. 80); the real algorithm is the operator's.
    public static func fiscalSign(for receipt: FiscalReceipt) -> String {
        String(Digests.hex(Digests.sha256(canonicalFacts(of: receipt).utf8)).prefix(10))
    }

    /// The autonomous fiscal sign a register's fiscal accumulator forms offline: `A`, the accumulator's lifetime counter
    /// (8 digits; unique over the register's life, item 29.3) and 8 hex digits of FNV-1a over the receipt's facts.
    public static func autonomousSign(for receipt: FiscalReceipt, counter: Int) -> String {
        let check = Digests.fnv1a64(canonicalFacts(of: receipt).utf8)
        return "A" + String(counter).leftPadded(8) + Digests.hex((0..<4).map { UInt8(truncatingIfNeeded: check >> UInt64(56 - $0 * 8)) })
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
