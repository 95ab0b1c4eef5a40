import CCMSShim
import Foundation

/// Who signed: read from the signer's certificate.
///
/// Kazakhstan's NCA (Национальный удостоверяющий центр) puts the person's IIN in the subject's serialNumber attribute
/// (2.5.4.5) as `IIN` + 12 digits, and the organisation's BIN in an organizationalUnitName (2.5.4.11) as `BIN` + 12
/// digits. Both are nil when the certificate does not carry them in that form (the check digit is not verified here:
/// `TaxpayerID` in LineCore does that where a valid number is required).
public struct SignerIdentity: Sendable, Equatable, Codable {
    /// The subject in one-line RFC 2253 form (last RDN first), non-ASCII kept as UTF-8.
    public var subject: String
    public var issuer: String
    /// The certificate's serial, hex upper-case.
    public var serialNumber: String
    public var commonName: String?
    /// 12 digits from the subject's serialNumber "IIN…".
    public var iin: String?
    /// 12 digits from the subject's OU "BIN…".
    public var bin: String?
    public var notBefore: Date
    public var notAfter: Date
    /// E.g. "RSA-SHA256", "ECDSA-P256-SHA256".
    public var algorithm: String

    public init(
        subject: String, issuer: String, serialNumber: String, commonName: String?, iin: String?, bin: String?,
        notBefore: Date, notAfter: Date, algorithm: String
    ) {
        self.subject = subject
        self.issuer = issuer
        self.serialNumber = serialNumber
        self.commonName = commonName
        self.iin = iin
        self.bin = bin
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.algorithm = algorithm
    }

    /// Reads a DER certificate with OpenSSL. `algorithm` is what the signature used (the certificate alone does not say).
    public init(certificateDER der: [UInt8], algorithm: String) throws(SignatureError) {
        var info = ccms_cert_info()
        var error: UnsafeMutablePointer<CChar>? = nil
        let ok = der.withUnsafeBufferPointer { ccms_cert_info_from_der($0.baseAddress, $0.count, &info, &error) }
        defer { ccms_cert_info_clear(&info) }
        guard ok == 1 else {
            let message = error.map { String(cString: $0) } ?? "unreadable certificate"
            ccms_free(error)
            throw .garbled("the signer's certificate: \(message)")
        }
        let serialNumbers = Self.lines(info.subject_serial_numbers)
        let units = Self.lines(info.organizational_units)
        self.init(
            subject: String(cString: info.subject), issuer: String(cString: info.issuer),
            serialNumber: String(cString: info.serial_hex), commonName: info.common_name.map { String(cString: $0) },
            iin: serialNumbers.lazy.compactMap { Self.twelveDigits(after: "IIN", in: $0) }.first,
            bin: units.lazy.compactMap { Self.twelveDigits(after: "BIN", in: $0) }.first,
            notBefore: Date(timeIntervalSince1970: TimeInterval(info.not_before)),
            notAfter: Date(timeIntervalSince1970: TimeInterval(info.not_after)), algorithm: algorithm)
    }

    /// The 12 digits of "IIN880101300123" (exactly the prefix and 12 ASCII digits), else nil.
    public static func twelveDigits(after prefix: String, in value: String) -> String? {
        guard value.hasPrefix(prefix) else { return nil }
        let digits = value.dropFirst(prefix.count)
        guard digits.utf8.count == 12, digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return String(digits)
    }

    private static func lines(_ text: UnsafeMutablePointer<CChar>?) -> [String] {
        guard let text else { return [] }
        return String(cString: text).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}

/// A signature that verified.
public struct VerifiedSignature: Sendable, Equatable {
    public var signer: SignerIdentity
    /// The CMS signingTime signed attribute, when present.
    public var signingTime: Date?
    /// SHA-256 of the signed content, hex lower-case.
    public var contentDigest: String

    public init(signer: SignerIdentity, signingTime: Date?, contentDigest: String) {
        self.signer = signer
        self.signingTime = signingTime
        self.contentDigest = contentDigest
    }
}

/// Counts for /status: anchors and CRLs loaded, last reload time.
public struct TrustSummary: Sendable, Equatable, Codable {
    public var anchors: Int
    public var crls: Int
    public var loadedAt: Date

    public init(anchors: Int, crls: Int, loadedAt: Date) {
        self.anchors = anchors
        self.crls = crls
        self.loadedAt = loadedAt
    }
}
