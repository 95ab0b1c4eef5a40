import LineCore

extension TaxpayerID {
    /// A valid IIN/BIN made of `first11` digits (the last one walked until a check digit exists) and its check digit.
    public static func completing(_ first11: String) -> TaxpayerID {
        var digits = first11.utf8.map { Int($0) - 48 }
        while checkDigit(digits) == nil { digits[10] = (digits[10] + 1) % 10 }
        return TaxpayerID(digits.map(String.init).joined() + String(checkDigit(digits)!))!
    }
}
