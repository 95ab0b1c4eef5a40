import Foundation

/// Why a signature (or a signed document) was refused. Each case has a stable `code` (snake_case) that the registrar
/// answers with, and a description naming the problem.
public enum SignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not DER CMS SignedData, empty, PEM instead of DER, trailing bytes, no signer certificate inside, a malformed
    /// signingTime, a signingTime after the time of receipt (plus skew), or an envelope's signature member missing or
    /// not base64. Code `signature_garbled`.
    case garbled(String)
    /// The signature is not over these bytes (wrong content, or a broken signature value). Code `signature_invalid`.
    case contentMismatch
    /// No path to a configured trust anchor (foreign CA, self-signed, missing intermediate), a CA certificate that may not
    /// issue, a missing CRL under `requireCRL`, or keyUsage that forbids signing. Code `certificate_untrusted`.
    case untrustedChain(String)
    /// A certificate of the path had expired at the verification time, or the signingTime lies after the signer
    /// certificate's notAfter. Code `certificate_expired`.
    case certificateExpired(notAfter: Date)
    /// A certificate of the path was not yet valid at the verification time, or the signingTime lies before the signer
    /// certificate's notBefore. Code `certificate_not_yet_valid`.
    case certificateNotYetValid(notBefore: Date)
    /// A certificate of the path is listed in a configured CRL (serial hex upper case; the CRL entry's revocation date
    /// when found). Code `certificate_revoked`.
    case revoked(serial: String, at: Date?)
    /// The digest, signature or key algorithm cannot be verified here: GOST (named as such), MD5/SHA-1, or unknown.
    /// Code `signature_algorithm_unsupported`.
    case unsupportedAlgorithm(String)
    /// The CMS has this many signers; exactly one is accepted. Code `signature_garbled`.
    case signerCount(Int)
    /// The document is not JSON that RFC 8785 can canonicalise (invalid JSON, duplicate keys, lone surrogates,
    /// non-finite numbers), or the envelope around it is malformed. Code `document_not_canonical`.
    case notCanonicalizable(String)
    /// A configured trust anchor, intermediate or CRL file is missing, unreadable or malformed (start-up or reload).
    /// Code `trust_store_invalid`.
    case trustStore(String)

    /// The stable code the registrar answers with.
    public var code: String {
        switch self {
        case .garbled, .signerCount: "signature_garbled"
        case .contentMismatch: "signature_invalid"
        case .untrustedChain: "certificate_untrusted"
        case .certificateExpired: "certificate_expired"
        case .certificateNotYetValid: "certificate_not_yet_valid"
        case .revoked: "certificate_revoked"
        case .unsupportedAlgorithm: "signature_algorithm_unsupported"
        case .notCanonicalizable: "document_not_canonical"
        case .trustStore: "trust_store_invalid"
        }
    }

    public var description: String {
        switch self {
        case .garbled(let reason): "signature garbled: \(reason)"
        case .contentMismatch: "signature invalid: it does not match the signed bytes (for a document: its RFC 8785 canonical form)"
        case .untrustedChain(let reason): "certificate untrusted: \(reason)"
        case .certificateExpired(let notAfter): "certificate expired: valid until \(Self.format(notAfter))"
        case .certificateNotYetValid(let notBefore): "certificate not yet valid: valid from \(Self.format(notBefore))"
        case .revoked(let serial, let at?): "certificate revoked: serial \(serial), revoked \(Self.format(at))"
        case .revoked(let serial, nil): "certificate revoked: serial \(serial)"
        case .unsupportedAlgorithm(let reason): "signature algorithm unsupported: \(reason)"
        case .signerCount(let count): "signature garbled: the CMS has \(count) signers, exactly one is accepted"
        case .notCanonicalizable(let reason): "document not canonicalizable: \(reason)"
        case .trustStore(let reason): "trust store invalid: \(reason)"
        }
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
