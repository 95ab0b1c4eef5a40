#ifndef CCMS_H
#define CCMS_H
/// OpenSSL's CMS (PKCS#7) SignedData and X.509 path validation behind plain C over byte buffers, for the Signatures
/// target. OpenSSL does all parsing and all cryptography; nothing here reads ASN.1 by hand. Every function clears
/// OpenSSL's per-thread error queue before it returns. A store is read-only once made, so one store may be used by
/// many threads at once (each verification makes its own X509_STORE_CTX).

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The OpenSSL version this shim runs with, e.g. "OpenSSL 3.0.22 25 Aug 2026".
const char *ccms_openssl_version(void);

/// A byte buffer and a label that names it in error messages (a file path, or "anchorsPEM[0]").
typedef struct ccms_buffer {
    const unsigned char *data;
    size_t length;
    const char *label;
} ccms_buffer;

/// Trust anchors (roots), intermediate CA certificates and CRLs.
typedef struct ccms_store ccms_store;

/// Makes a store from PEM buffers (several certificates per buffer allowed; a CRL buffer may be PEM or DER).
/// `require_crl`: a chain without a CRL for each of its issuers is refused. Returns NULL and a malloc'd message in
/// `*error` (free with ccms_free) when a buffer holds no certificate/CRL or a malformed one.
ccms_store *ccms_store_new(const ccms_buffer *anchors, size_t anchor_count,
                           const ccms_buffer *intermediates, size_t intermediate_count,
                           const ccms_buffer *crls, size_t crl_count,
                           int require_crl, char **error);
void ccms_store_free(ccms_store *store);
int ccms_store_anchor_count(const ccms_store *store);
int ccms_store_intermediate_count(const ccms_store *store);
int ccms_store_crl_count(const ccms_store *store);

/// What a verification found.
typedef enum ccms_status {
    CCMS_OK = 0,
    /// Not DER CMS SignedData, empty, trailing bytes, no signer certificate, a malformed signingTime.
    CCMS_GARBLED = 1,
    /// The signature or the content digest does not match the content.
    CCMS_CONTENT_MISMATCH = 2,
    /// No path to a trust anchor, or any other path-validation failure (see x509_error).
    CCMS_UNTRUSTED = 3,
    /// A certificate of the path had expired at the verification time (`error_time` is its notAfter).
    CCMS_EXPIRED = 4,
    /// A certificate of the path was not yet valid at the verification time (`error_time` is its notBefore).
    CCMS_NOT_YET_VALID = 5,
    /// A certificate of the path is listed in a CRL (`error_time` is the revocation date when found).
    CCMS_REVOKED = 6,
    /// The digest, signature or key algorithm is not verifiable here (`unsupported_oid` names it).
    CCMS_UNSUPPORTED_ALGORITHM = 7,
    /// Not exactly one SignerInfo (`signer_count`).
    CCMS_SIGNER_COUNT = 8,
    /// Out of memory or an OpenSSL failure that says nothing about the signature.
    CCMS_INTERNAL = 9,
} ccms_status;

/// The result of ccms_verify. Strings and the DER are malloc'd; release them with ccms_verify_result_clear.
typedef struct ccms_verify_result {
    ccms_status status;
    /// What went wrong, for people (NULL when status is CCMS_OK).
    char *message;
    /// The X509_V_ERR_* code of a path-validation failure, else 0.
    int x509_error;
    /// For EXPIRED / NOT_YET_VALID / REVOKED: the time in question (seconds since 1970), when has_error_time.
    int has_error_time;
    int64_t error_time;
    /// For EXPIRED / NOT_YET_VALID / REVOKED: the serial (hex, upper case) of the certificate in question.
    char *error_serial;
    /// For UNSUPPORTED_ALGORITHM: the algorithm's OID in dotted form, when one is to blame.
    char *unsupported_oid;
    /// The number of SignerInfos in the CMS (0 when unparseable).
    int signer_count;
    /// The signer's certificate, DER (when the CMS could be parsed and holds it).
    unsigned char *signer_der;
    size_t signer_der_length;
    /// The signingTime signed attribute, when present.
    int has_signing_time;
    int64_t signing_time;
    /// E.g. "RSA-SHA256", "ECDSA-P256-SHA256" (when the signer was found).
    char *algorithm;
    /// SHA-256 of the content, hex lower case (always set).
    char *content_sha256;
} ccms_verify_result;

/// Verifies a detached CMS SignedData (DER) over `content`: exactly one signer, a known and not-GOST algorithm, the
/// signature and content digest, then the signer certificate's path to the store's anchors at time `at` (seconds
/// since 1970), with the store's CRLs, purpose "any", and keyUsage allowing digitalSignature or nonRepudiation.
/// Certificates carried in the CMS serve as untrusted intermediates; CRLs carried in the CMS are ignored.
/// Returns result->status.
ccms_status ccms_verify(const ccms_store *store, const unsigned char *content, size_t content_length,
                        const unsigned char *signature, size_t signature_length, int64_t at,
                        ccms_verify_result *result);
void ccms_verify_result_clear(ccms_verify_result *result);

/// Fields of a certificate, read with OpenSSL's X509_NAME API. Strings are malloc'd UTF-8 (NULL when absent);
/// release with ccms_cert_info_clear.
typedef struct ccms_cert_info {
    /// One-line RFC 2253 form, non-ASCII characters kept as UTF-8.
    char *subject;
    char *issuer;
    /// The certificate's serial number, hex upper case.
    char *serial_hex;
    /// The subject's first commonName.
    char *common_name;
    /// The subject's serialNumber attributes (2.5.4.5), each followed by '\n'.
    char *subject_serial_numbers;
    /// The subject's organizationalUnitName attributes (2.5.4.11), each followed by '\n'.
    char *organizational_units;
    int64_t not_before;
    int64_t not_after;
} ccms_cert_info;

/// Reads a DER certificate. Returns 1, or 0 with a malloc'd message in `*error`.
int ccms_cert_info_from_der(const unsigned char *der, size_t length, ccms_cert_info *info, char **error);
void ccms_cert_info_clear(ccms_cert_info *info);

/// Signs `content` as a detached CMS SignedData (DER) with SHA-256, the signingTime attribute, the signer's
/// certificate and the `chain` certificates included (CMS_BINARY | CMS_DETACHED). `key_password` may be NULL (an
/// encrypted key then fails instead of prompting). Returns 1 and the DER in `*out` (free with ccms_free), or 0 with
/// a malloc'd message in `*error`.
int ccms_sign(const unsigned char *content, size_t content_length,
              const unsigned char *key_pem, size_t key_pem_length, const char *key_password,
              const unsigned char *certificate_pem, size_t certificate_pem_length,
              const ccms_buffer *chain, size_t chain_count,
              unsigned char **out, size_t *out_length, char **error);

/// SHA-256 of a buffer, as 64 lower-case hex digits and a NUL into `hex` (65 bytes).
void ccms_sha256_hex(const unsigned char *data, size_t length, char *hex);

/// Frees what this shim malloc'd (messages, DER).
void ccms_free(void *pointer);

#ifdef __cplusplus
}
#endif
#endif
