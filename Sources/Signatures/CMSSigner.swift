import CCMSShim
import Foundation

/// Signs for tests and for small producers (the `qazserver sign` command): detached CMS, DER, with signingTime,
/// SHA-256, the signer certificate (and optional chain) included — what
/// `openssl cms -sign -binary -md sha256 -nosmimecap -outform DER` makes.
public enum CMSSigner {
    /// - Parameters:
    ///   - content: the bytes to sign (for a signed document: `CanonicalJSON.canonicalize(document)`).
    ///   - keyPEM: the private key (PKCS#8 or traditional PEM; RSA or EC).
    ///   - certificatePEM: the key's certificate (the first certificate of the text is used).
    ///   - chainPEM: intermediate certificates to include (several per text allowed).
    ///   - keyPassword: for an encrypted key; without it an encrypted key is refused (never prompted for).
    /// - Throws: ``SignatureError/trustStore(_:)`` when the key or a certificate cannot be read or do not belong together.
    public static func sign(
        content: [UInt8], keyPEM: String, certificatePEM: String, chainPEM: [String] = [], keyPassword: String? = nil
    ) throws(SignatureError) -> [UInt8] {
        let key = Array(keyPEM.utf8)
        let certificate = Array(certificatePEM.utf8)
        let chain = chainPEM.enumerated().map { LabelledBytes(bytes: Array($1.utf8), label: "chainPEM[\($0)]") }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outLength = 0
        var error: UnsafeMutablePointer<CChar>? = nil
        let ok = withNativeBuffers(chain) { chainBuffers, chainCount in
            content.withUnsafeBufferPointer { contentBytes in
                key.withUnsafeBufferPointer { keyBytes in
                    certificate.withUnsafeBufferPointer { certificateBytes in
                        ccms_sign(
                            contentBytes.baseAddress, contentBytes.count, keyBytes.baseAddress, keyBytes.count, keyPassword,
                            certificateBytes.baseAddress, certificateBytes.count, chainBuffers, chainCount, &out, &outLength,
                            &error)
                    }
                }
            }
        }
        guard ok == 1, let out else { throw .trustStore("cannot sign: \(takeMessage(error, otherwise: "unknown error"))") }
        defer { ccms_free(out) }
        return [UInt8](UnsafeBufferPointer(start: out, count: outLength))
    }
}
