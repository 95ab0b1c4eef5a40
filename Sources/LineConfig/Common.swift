import ConfigKit
import Foundation
import LineCore

extension TaxpayerID: ConfigScalar {
    public static let expectation = "a 12-digit IIN/BIN with a valid check digit"
    public static let placeholder = TaxpayerID("000000000000")!
    public init?(configScalar text: String) { self.init(text) }
}

/// Identifiers of lines and cameras: they appear in file names, metrics and logs.
enum Identifier {
    static let rule = "1-64 characters of a-z, 0-9, '-', '_' or '.', starting with a letter or digit"

    static func isValid(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLowercase || first.isNumber, text.utf8.count <= 64 else {
            return false
        }
        return text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "-_.".contains($0)) }
    }
}

extension ConfigValidator {
    /// Checks that `value` at `key` is an identifier.
    mutating func checkIdentifier(_ value: String, at key: String) {
        check(Identifier.isValid(value), at: key, "\"\(value.prefix(64))\" is not a valid id: \(Identifier.rule)")
    }

}
