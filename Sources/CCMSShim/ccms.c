// OpenSSL 3.0 CMS verification and signing for the Signatures target (see include/ccms.h).
//
// The order of checks in ccms_verify is: parse (DER, SignedData, no trailing bytes) → exactly one SignerInfo →
// algorithms (GOST and unknown ones refused before any cryptography) → the signer's certificate is in the CMS →
// CMS_verify with CMS_NO_SIGNER_CERT_VERIFY (signature and content digest) → our own X509_verify_cert of the signer
// at the given time (purpose "any", the store's CRLs) → the signer's keyUsage. The path is verified by us rather than
// inside CMS_verify so that the check time, the purpose and the CRL leniency are per call and the X509_V_ERR_* code
// is at hand for the typed error.
// memmem and timegm are GNU/BSD extensions of glibc.
#define _GNU_SOURCE
#include "ccms.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ccms_store {
    X509_STORE *store;
    STACK_OF(X509) *intermediates;
    STACK_OF(X509_CRL) *crls;
    int anchor_count;
    int require_crl;
};

const char *ccms_openssl_version(void) { return OpenSSL_version(OPENSSL_VERSION); }

void ccms_free(void *pointer) { free(pointer); }

// MARK: - Small helpers

static char *ccms_strdup(const char *text) {
    if (text == NULL) return NULL;
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (copy != NULL) memcpy(copy, text, length + 1);
    return copy;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    int length = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (length < 0) return NULL;
    char *text = malloc((size_t)length + 1);
    if (text == NULL) return NULL;
    va_start(args, fmt);
    vsnprintf(text, (size_t)length + 1, fmt, args);
    va_end(args);
    return text;
}

/// The reason of the most recent OpenSSL error, or "no detail" (static storage or `buffer`).
static const char *openssl_reason(char *buffer, size_t size) {
    unsigned long code = ERR_peek_last_error();
    if (code == 0) return "no detail from OpenSSL";
    ERR_error_string_n(code, buffer, size);
    return buffer;
}

static char *bio_to_string(BIO *bio) {
    char *data = NULL;
    long length = BIO_get_mem_data(bio, &data);
    if (length < 0) return NULL;
    char *text = malloc((size_t)length + 1);
    if (text == NULL) return NULL;
    memcpy(text, data, (size_t)length);
    text[length] = 0;
    return text;
}

/// RFC 2253 one-line form with UTF-8 kept as UTF-8 (the default flags would escape every non-ASCII byte as \XX).
static char *name_string(const X509_NAME *name) {
    if (name == NULL) return ccms_strdup("");
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return NULL;
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char *text = bio_to_string(bio);
    BIO_free(bio);
    return text;
}

static char *serial_string(const X509 *certificate) {
    const ASN1_INTEGER *serial = X509_get0_serialNumber(certificate);
    BIGNUM *number = ASN1_INTEGER_to_BN(serial, NULL);
    if (number == NULL) return NULL;
    char *hex = BN_bn2hex(number);
    BN_free(number);
    if (hex == NULL) return NULL;
    char *copy = ccms_strdup(hex);
    OPENSSL_free(hex);
    return copy;
}

static int time_epoch(const ASN1_TIME *time_value, int64_t *out) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (time_value == NULL || ASN1_TIME_to_tm(time_value, &tm) != 1) return 0;
    *out = (int64_t)timegm(&tm);
    return 1;
}

static void oid_text(const ASN1_OBJECT *object, char *buffer, size_t size) {
    buffer[0] = 0;
    if (object != NULL) OBJ_obj2txt(buffer, (int)size, object, 1);
}

/// Kazakhstan's GOST 34.310/34.311 arc (1.2.398.3.10) and the Russian GOST arc (1.2.643).
static int is_gost_oid(const char *oid) {
    return strcmp(oid, "1.2.398.3.10") == 0 || strncmp(oid, "1.2.398.3.10.", 13) == 0
        || strcmp(oid, "1.2.643") == 0 || strncmp(oid, "1.2.643.", 8) == 0;
}

/// Reads every PEM certificate of a buffer (falls back to one DER certificate). Returns the count, or -1 with *error.
static int read_certificates(const ccms_buffer *buffer, STACK_OF(X509) *out, char **error) {
    char reason[256];
    if (buffer->data == NULL || buffer->length == 0) {
        *error = format("%s: empty, expected PEM certificates", buffer->label);
        return -1;
    }
    BIO *bio = BIO_new_mem_buf(buffer->data, (int)buffer->length);
    if (bio == NULL) { *error = format("%s: out of memory", buffer->label); return -1; }
    int count = 0;
    for (;;) {
        X509 *certificate = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (certificate == NULL) break;
        if (!sk_X509_push(out, certificate)) { X509_free(certificate); BIO_free(bio); *error = format("out of memory"); return -1; }
        count++;
    }
    BIO_free(bio);
    unsigned long last = ERR_peek_last_error();
    int clean_end = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
    if (count > 0 && (last == 0 || clean_end)) { ERR_clear_error(); return count; }
    if (count == 0 && clean_end) {
        ERR_clear_error();
        const unsigned char *p = buffer->data;
        X509 *certificate = d2i_X509(NULL, &p, (long)buffer->length);
        if (certificate != NULL && p == buffer->data + buffer->length) {
            sk_X509_push(out, certificate);
            return 1;
        }
        X509_free(certificate);
        ERR_clear_error();
        *error = format("%s: no certificate found (expected PEM \"-----BEGIN CERTIFICATE-----\")", buffer->label);
        return -1;
    }
    *error = format("%s: malformed certificate #%d: %s", buffer->label, count + 1, openssl_reason(reason, sizeof reason));
    ERR_clear_error();
    return -1;
}

/// Reads every PEM CRL of a buffer, or one DER CRL. Returns the count, or -1 with *error.
static int read_crls(const ccms_buffer *buffer, STACK_OF(X509_CRL) *out, char **error) {
    char reason[256];
    if (buffer->data == NULL || buffer->length == 0) {
        *error = format("%s: empty, expected a PEM or DER CRL", buffer->label);
        return -1;
    }
    int looks_pem = buffer->length >= 10 && memmem(buffer->data, buffer->length, "-----BEGIN", 10) != NULL;
    if (!looks_pem) {
        const unsigned char *p = buffer->data;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)buffer->length);
        if (crl == NULL || p != buffer->data + buffer->length) {
            X509_CRL_free(crl);
            *error = format("%s: not a PEM or DER CRL: %s", buffer->label, openssl_reason(reason, sizeof reason));
            ERR_clear_error();
            return -1;
        }
        sk_X509_CRL_push(out, crl);
        return 1;
    }
    BIO *bio = BIO_new_mem_buf(buffer->data, (int)buffer->length);
    if (bio == NULL) { *error = format("%s: out of memory", buffer->label); return -1; }
    int count = 0;
    for (;;) {
        X509_CRL *crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
        if (crl == NULL) break;
        sk_X509_CRL_push(out, crl);
        count++;
    }
    BIO_free(bio);
    unsigned long last = ERR_peek_last_error();
    int clean_end = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
    if (count > 0 && (last == 0 || clean_end)) { ERR_clear_error(); return count; }
    if (count == 0 && clean_end) {
        *error = format("%s: no CRL found (expected PEM \"-----BEGIN X509 CRL-----\" or DER)", buffer->label);
    } else {
        *error = format("%s: malformed CRL #%d: %s", buffer->label, count + 1, openssl_reason(reason, sizeof reason));
    }
    ERR_clear_error();
    return -1;
}

// MARK: - Store

void ccms_store_free(ccms_store *store) {
    if (store == NULL) return;
    X509_STORE_free(store->store);
    sk_X509_pop_free(store->intermediates, X509_free);
    sk_X509_CRL_pop_free(store->crls, X509_CRL_free);
    free(store);
}

int ccms_store_anchor_count(const ccms_store *store) { return store->anchor_count; }
int ccms_store_intermediate_count(const ccms_store *store) { return sk_X509_num(store->intermediates); }
int ccms_store_crl_count(const ccms_store *store) { return sk_X509_CRL_num(store->crls); }

ccms_store *ccms_store_new(const ccms_buffer *anchors, size_t anchor_count,
                           const ccms_buffer *intermediates, size_t intermediate_count,
                           const ccms_buffer *crls, size_t crl_count,
                           int require_crl, char **error) {
    *error = NULL;
    ERR_clear_error();
    ccms_store *store = calloc(1, sizeof *store);
    STACK_OF(X509) *loaded = sk_X509_new_null();
    if (store == NULL || loaded == NULL) goto oom;
    store->store = X509_STORE_new();
    store->intermediates = sk_X509_new_null();
    store->crls = sk_X509_CRL_new_null();
    store->require_crl = require_crl != 0;
    if (store->store == NULL || store->intermediates == NULL || store->crls == NULL) goto oom;

    for (size_t i = 0; i < anchor_count; i++) {
        if (read_certificates(&anchors[i], loaded, error) < 0) goto fail;
    }
    for (int i = 0; i < sk_X509_num(loaded); i++) {
        if (!X509_STORE_add_cert(store->store, sk_X509_value(loaded, i))) goto oom;
        store->anchor_count++;
    }
    for (size_t i = 0; i < intermediate_count; i++) {
        if (read_certificates(&intermediates[i], store->intermediates, error) < 0) goto fail;
    }
    for (size_t i = 0; i < crl_count; i++) {
        if (read_crls(&crls[i], store->crls, error) < 0) goto fail;
    }
    for (int i = 0; i < sk_X509_CRL_num(store->crls); i++) {
        if (!X509_STORE_add_crl(store->store, sk_X509_CRL_value(store->crls, i))) goto oom;
    }
    if (store->anchor_count == 0) {
        *error = format("no trust anchor configured");
        goto fail;
    }
    if (store->require_crl && sk_X509_CRL_num(store->crls) == 0) {
        *error = format("requireCRL is set but no CRL file is configured");
        goto fail;
    }
    sk_X509_pop_free(loaded, X509_free);
    ERR_clear_error();
    return store;
oom:
    if (*error == NULL) *error = format("out of memory while loading the trust store");
fail:
    sk_X509_pop_free(loaded, X509_free);
    ccms_store_free(store);
    ERR_clear_error();
    return NULL;
}

// MARK: - Verify

void ccms_sha256_hex(const unsigned char *data, size_t length, char *hex) {
    unsigned char digest[32];
    unsigned int digest_length = 0;
    static const unsigned char empty = 0;
    EVP_Digest(data != NULL ? data : &empty, length, digest, &digest_length, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    hex[64] = 0;
}

void ccms_verify_result_clear(ccms_verify_result *result) {
    if (result == NULL) return;
    free(result->message);
    free(result->error_serial);
    free(result->unsupported_oid);
    free(result->signer_der);
    free(result->algorithm);
    free(result->content_sha256);
    memset(result, 0, sizeof *result);
}

/// Without requireCRL, an issuer with no CRL (or a stale one) is not an error: the CRLs that are there still count.
static int lenient_crl_callback(int ok, X509_STORE_CTX *ctx) {
    if (ok) return ok;
    switch (X509_STORE_CTX_get_error(ctx)) {
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
        return 1;
    default:
        return 0;
    }
}

static ccms_status fail(ccms_verify_result *result, ccms_status status, char *message) {
    result->status = status;
    free(result->message);
    result->message = message != NULL ? message : ccms_strdup("out of memory");
    return status;
}

/// "RSA-SHA256", "ECDSA-P256-SHA256", "RSA-PSS-SHA256", "Ed25519".
static char *algorithm_name(EVP_PKEY *key, const ASN1_OBJECT *digest, const ASN1_OBJECT *signature) {
    const char *digest_name = OBJ_nid2sn(OBJ_obj2nid(digest));
    if (digest_name == NULL || OBJ_obj2nid(digest) == NID_undef) digest_name = "UNKNOWN";
    char curve[64] = {0};
    size_t curve_length = 0;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        if (OBJ_obj2nid(signature) == NID_rsassaPss) return format("RSA-PSS-%s", digest_name);
        return format("RSA-%s", digest_name);
    case EVP_PKEY_RSA_PSS:
        return format("RSA-PSS-%s", digest_name);
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_group_name(key, curve, sizeof curve, &curve_length) != 1) strcpy(curve, "unknown-curve");
        if (strcmp(curve, "prime256v1") == 0) strcpy(curve, "P256");
        else if (strcmp(curve, "secp384r1") == 0) strcpy(curve, "P384");
        else if (strcmp(curve, "secp521r1") == 0) strcpy(curve, "P521");
        return format("ECDSA-%s-%s", curve, digest_name);
    case EVP_PKEY_ED25519:
        return ccms_strdup("Ed25519");
    case EVP_PKEY_ED448:
        return ccms_strdup("Ed448");
    default: {
        const char *key_name = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
        return format("%s-%s", key_name != NULL ? key_name : "UNKNOWN", digest_name);
    }
    }
}

static ccms_status unsupported(ccms_verify_result *result, const char *what, const char *oid) {
    result->unsupported_oid = ccms_strdup(oid);
    if (is_gost_oid(oid)) {
        return fail(result, CCMS_UNSUPPORTED_ALGORITHM,
                    format("the %s %s is a GOST algorithm, which this server's OpenSSL cannot verify", what, oid));
    }
    return fail(result, CCMS_UNSUPPORTED_ALGORITHM, format("the %s %s is not supported", what, oid));
}

/// The revocation date of `certificate` in one of the store's CRLs from its issuer.
static int revocation_date(const ccms_store *store, X509 *certificate, int64_t *date) {
    for (int i = 0; i < sk_X509_CRL_num(store->crls); i++) {
        X509_CRL *crl = sk_X509_CRL_value(store->crls, i);
        if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(certificate)) != 0) continue;
        X509_REVOKED *entry = NULL;
        if (X509_CRL_get0_by_cert(crl, &entry, certificate) == 1 && entry != NULL) {
            return time_epoch(X509_REVOKED_get0_revocationDate(entry), date);
        }
    }
    return 0;
}

static ccms_status path_failure(const ccms_store *store, X509_STORE_CTX *ctx, ccms_verify_result *result) {
    int code = X509_STORE_CTX_get_error(ctx);
    X509 *certificate = X509_STORE_CTX_get_current_cert(ctx);
    result->x509_error = code;
    char *subject = certificate != NULL ? name_string(X509_get_subject_name(certificate)) : ccms_strdup("?");
    char *issuer = certificate != NULL ? name_string(X509_get_issuer_name(certificate)) : ccms_strdup("?");
    if (certificate != NULL) result->error_serial = serial_string(certificate);
    ccms_status status;
    char *message;
    int64_t when = 0;
    switch (code) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        status = CCMS_EXPIRED;
        result->has_error_time = certificate != NULL && time_epoch(X509_get0_notAfter(certificate), &when);
        message = format("certificate \"%s\" has expired", subject);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        status = CCMS_NOT_YET_VALID;
        result->has_error_time = certificate != NULL && time_epoch(X509_get0_notBefore(certificate), &when);
        message = format("certificate \"%s\" is not yet valid", subject);
        break;
    case X509_V_ERR_CERT_REVOKED:
        status = CCMS_REVOKED;
        result->has_error_time = certificate != NULL && revocation_date(store, certificate, &when);
        message = format("certificate \"%s\" (serial %s) is revoked by its issuer's CRL", subject,
                         result->error_serial != NULL ? result->error_serial : "?");
        break;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
        status = CCMS_UNTRUSTED;
        message = format("no CRL from \"%s\" is configured, and requireCRL is set (checking \"%s\")", issuer, subject);
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        status = CCMS_UNTRUSTED;
        message = format("no path to a trust anchor: the issuer \"%s\" of \"%s\" is neither a configured anchor nor a "
                         "known intermediate", issuer, subject);
        break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        status = CCMS_UNTRUSTED;
        message = format("the signer's certificate \"%s\" is self-signed and not a trust anchor", subject);
        break;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        status = CCMS_UNTRUSTED;
        message = format("the chain ends in \"%s\", a self-signed certificate that is not a trust anchor", subject);
        break;
    default:
        status = CCMS_UNTRUSTED;
        message = format("certificate \"%s\": %s (X509_V_ERR %d)", subject, X509_verify_cert_error_string(code), code);
        break;
    }
    result->error_time = when;
    free(subject);
    free(issuer);
    return fail(result, status, message);
}

ccms_status ccms_verify(const ccms_store *store, const unsigned char *content, size_t content_length,
                        const unsigned char *signature, size_t signature_length, int64_t at,
                        ccms_verify_result *result) {
    static const unsigned char empty = 0;
    char reason[256];
    char oid[128];
    memset(result, 0, sizeof *result);
    ERR_clear_error();
    if (content == NULL) content = &empty;

    result->content_sha256 = malloc(65);
    if (result->content_sha256 == NULL) return fail(result, CCMS_INTERNAL, NULL);
    ccms_sha256_hex(content, content_length, result->content_sha256);

    CMS_ContentInfo *cms = NULL;
    BIO *content_bio = NULL;
    STACK_OF(X509) *untrusted = NULL;
    STACK_OF(X509) *carried = NULL;
    X509_STORE_CTX *ctx = NULL;

    if (signature == NULL || signature_length == 0) {
        fail(result, CCMS_GARBLED, format("the signature is empty"));
        goto done;
    }
    if (content_length > INT_MAX || signature_length > INT_MAX) {
        fail(result, CCMS_GARBLED, format("the content or the signature is larger than 2 GiB"));
        goto done;
    }
    const unsigned char *cursor = signature;
    cms = d2i_CMS_ContentInfo(NULL, &cursor, (long)signature_length);
    if (cms == NULL) {
        if (signature_length >= 10 && memmem(signature, signature_length, "-----BEGIN", 10) != NULL) {
            fail(result, CCMS_GARBLED, format("the signature is PEM text; send the DER bytes (base64 of DER in the envelope)"));
        } else {
            fail(result, CCMS_GARBLED, format("the signature is not a DER CMS structure: %s", openssl_reason(reason, sizeof reason)));
        }
        goto done;
    }
    if (cursor != signature + signature_length) {
        fail(result, CCMS_GARBLED, format("%zu bytes follow the CMS structure", (size_t)(signature + signature_length - cursor)));
        goto done;
    }
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        oid_text(CMS_get0_type(cms), oid, sizeof oid);
        fail(result, CCMS_GARBLED, format("the CMS content type is %s, expected SignedData (1.2.840.113549.1.7.2)", oid));
        goto done;
    }
    STACK_OF(CMS_SignerInfo) *signers = CMS_get0_SignerInfos(cms);
    result->signer_count = signers != NULL ? sk_CMS_SignerInfo_num(signers) : 0;
    if (result->signer_count != 1) {
        fail(result, CCMS_SIGNER_COUNT, format("the CMS has %d signers, exactly one is accepted", result->signer_count));
        goto done;
    }
    CMS_SignerInfo *signer_info = sk_CMS_SignerInfo_value(signers, 0);

    // Algorithms, before any cryptography: GOST and unknown digests are named as such.
    X509_ALGOR *digest_algorithm = NULL, *signature_algorithm = NULL;
    CMS_SignerInfo_get0_algs(signer_info, NULL, NULL, &digest_algorithm, &signature_algorithm);
    const ASN1_OBJECT *digest_object = NULL, *signature_object = NULL;
    if (digest_algorithm != NULL) X509_ALGOR_get0(&digest_object, NULL, NULL, digest_algorithm);
    if (signature_algorithm != NULL) X509_ALGOR_get0(&signature_object, NULL, NULL, signature_algorithm);
    oid_text(digest_object, oid, sizeof oid);
    if (is_gost_oid(oid)) { unsupported(result, "digest algorithm", oid); goto done; }
    oid_text(signature_object, oid, sizeof oid);
    if (is_gost_oid(oid)) { unsupported(result, "signature algorithm", oid); goto done; }
    oid_text(digest_object, oid, sizeof oid);
    int digest_nid = OBJ_obj2nid(digest_object);
    if (digest_nid == NID_md5 || digest_nid == NID_md4 || digest_nid == NID_md2 || digest_nid == NID_sha1) {
        result->unsupported_oid = ccms_strdup(oid);
        fail(result, CCMS_UNSUPPORTED_ALGORITHM, format("the digest algorithm %s (%s) is too weak; use SHA-256 or better",
                                                        OBJ_nid2sn(digest_nid), oid));
        goto done;
    }
    if (EVP_get_digestbyobj(digest_object) == NULL) { unsupported(result, "digest algorithm", oid); goto done; }

    // The signer's certificate must travel in the CMS.
    CMS_set1_signers_certs(cms, NULL, 0);
    ERR_clear_error();
    X509 *signer = NULL;
    EVP_PKEY *signer_key = NULL;
    CMS_SignerInfo_get0_algs(signer_info, &signer_key, &signer, NULL, NULL);
    if (signer == NULL) {
        fail(result, CCMS_GARBLED, format("the signer's certificate is not included in the CMS"));
        goto done;
    }
    unsigned char *der = NULL;
    int der_length = i2d_X509(signer, &der);
    if (der_length > 0) {
        result->signer_der = malloc((size_t)der_length);
        if (result->signer_der != NULL) {
            memcpy(result->signer_der, der, (size_t)der_length);
            result->signer_der_length = (size_t)der_length;
        }
    }
    OPENSSL_free(der);
    ASN1_OBJECT *key_object = NULL;
    X509_PUBKEY_get0_param(&key_object, NULL, NULL, NULL, X509_get_X509_PUBKEY(signer));
    oid_text(key_object, oid, sizeof oid);
    if (is_gost_oid(oid)) { unsupported(result, "signer's key algorithm", oid); goto done; }
    if (signer_key == NULL) signer_key = X509_get0_pubkey(signer);
    ERR_clear_error();
    if (signer_key == NULL) { unsupported(result, "signer's key algorithm", oid); goto done; }
    result->algorithm = algorithm_name(signer_key, digest_object, signature_object);

    // signingTime: one attribute with one value, UTCTime or GeneralizedTime.
    const ASN1_OBJECT *signing_time_object = OBJ_nid2obj(NID_pkcs9_signingTime);
    ASN1_TIME *signing_time = CMS_signed_get0_data_by_OBJ(signer_info, signing_time_object, -3, V_ASN1_UTCTIME);
    if (signing_time == NULL)
        signing_time = CMS_signed_get0_data_by_OBJ(signer_info, signing_time_object, -3, V_ASN1_GENERALIZEDTIME);
    ERR_clear_error();
    if (signing_time != NULL) {
        result->has_signing_time = time_epoch(signing_time, &result->signing_time);
        if (!result->has_signing_time) { fail(result, CCMS_GARBLED, format("the signingTime attribute is malformed")); goto done; }
    } else if (CMS_signed_get_attr_by_NID(signer_info, NID_pkcs9_signingTime, -1) >= 0) {
        fail(result, CCMS_GARBLED, format("the signingTime attribute is malformed"));
        goto done;
    }

    // The signature over the signed attributes and the content digest; the path is checked below.
    content_bio = BIO_new_mem_buf(content, (int)content_length);
    if (content_bio == NULL) { fail(result, CCMS_INTERNAL, NULL); goto done; }
    if (CMS_verify(cms, NULL, NULL, content_bio, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
        unsigned long code = ERR_peek_error();
        int lib = ERR_GET_LIB(code), why = ERR_GET_REASON(code);
        if (lib == ERR_LIB_CMS && (why == CMS_R_UNKNOWN_DIGEST_ALGORITHM || why == CMS_R_UNSUPPORTED_TYPE)) {
            oid_text(signature_object, oid, sizeof oid);
            unsupported(result, "signature algorithm", oid);
        } else {
            fail(result, CCMS_CONTENT_MISMATCH,
                 format("the signature does not match the content (%s)", openssl_reason(reason, sizeof reason)));
        }
        goto done;
    }
    ERR_clear_error();

    // The signer's certificate path at `at`.
    untrusted = sk_X509_dup(store->intermediates);
    carried = CMS_get1_certs(cms);
    ctx = X509_STORE_CTX_new();
    if (untrusted == NULL || ctx == NULL) { fail(result, CCMS_INTERNAL, NULL); goto done; }
    for (int i = 0; carried != NULL && i < sk_X509_num(carried); i++) sk_X509_push(untrusted, sk_X509_value(carried, i));
    if (X509_STORE_CTX_init(ctx, store->store, signer, untrusted) != 1) { fail(result, CCMS_INTERNAL, NULL); goto done; }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)at);  // also sets X509_V_FLAG_USE_CHECK_TIME
    X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_ANY);
    if (sk_X509_CRL_num(store->crls) > 0) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    if (!store->require_crl) X509_STORE_CTX_set_verify_cb(ctx, lenient_crl_callback);
    if (X509_verify_cert(ctx) != 1) {
        path_failure(store, ctx, result);
        goto done;
    }
    if ((X509_get_extension_flags(signer) & EXFLAG_KUSAGE) != 0
        && (X509_get_key_usage(signer) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
        char *subject = name_string(X509_get_subject_name(signer));
        fail(result, CCMS_UNTRUSTED,
             format("the keyUsage of \"%s\" allows neither digitalSignature nor nonRepudiation", subject != NULL ? subject : "?"));
        free(subject);
        goto done;
    }
    result->status = CCMS_OK;

done:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    sk_X509_pop_free(carried, X509_free);
    BIO_free(content_bio);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return result->status;
}

// MARK: - Certificate fields

void ccms_cert_info_clear(ccms_cert_info *info) {
    if (info == NULL) return;
    free(info->subject);
    free(info->issuer);
    free(info->serial_hex);
    free(info->common_name);
    free(info->subject_serial_numbers);
    free(info->organizational_units);
    memset(info, 0, sizeof *info);
}

/// Every value of `nid` in `name`, UTF-8, each followed by '\n' (NULL when there is none).
static char *name_values(const X509_NAME *name, int nid, int first_only) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return NULL;
    int found = 0;
    for (int index = X509_NAME_get_index_by_NID(name, nid, -1); index >= 0;
         index = X509_NAME_get_index_by_NID(name, nid, index)) {
        unsigned char *utf8 = NULL;
        int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
        if (length < 0) continue;
        BIO_write(bio, utf8, length);
        if (!first_only) BIO_write(bio, "\n", 1);
        OPENSSL_free(utf8);
        found++;
        if (first_only) break;
    }
    char *text = found > 0 ? bio_to_string(bio) : NULL;
    BIO_free(bio);
    return text;
}

int ccms_cert_info_from_der(const unsigned char *der, size_t length, ccms_cert_info *info, char **error) {
    char reason[256];
    memset(info, 0, sizeof *info);
    *error = NULL;
    ERR_clear_error();
    const unsigned char *cursor = der;
    X509 *certificate = d2i_X509(NULL, &cursor, (long)length);
    if (certificate == NULL) {
        *error = format("not a DER certificate: %s", openssl_reason(reason, sizeof reason));
        ERR_clear_error();
        return 0;
    }
    const X509_NAME *subject = X509_get_subject_name(certificate);
    info->subject = name_string(subject);
    info->issuer = name_string(X509_get_issuer_name(certificate));
    info->serial_hex = serial_string(certificate);
    info->common_name = name_values(subject, NID_commonName, 1);
    info->subject_serial_numbers = name_values(subject, NID_serialNumber, 0);
    info->organizational_units = name_values(subject, NID_organizationalUnitName, 0);
    int ok = time_epoch(X509_get0_notBefore(certificate), &info->not_before)
        && time_epoch(X509_get0_notAfter(certificate), &info->not_after);
    X509_free(certificate);
    ERR_clear_error();
    if (!ok || info->subject == NULL || info->issuer == NULL || info->serial_hex == NULL) {
        ccms_cert_info_clear(info);
        *error = format("the certificate's names, serial or validity cannot be read");
        return 0;
    }
    return 1;
}

// MARK: - Sign

static int password_callback(char *buffer, int size, int rwflag, void *user) {
    (void)rwflag;
    if (user == NULL) return -1;  // never prompt on a terminal
    size_t length = strlen((const char *)user);
    if (length > (size_t)size) return -1;
    memcpy(buffer, user, length);
    return (int)length;
}

int ccms_sign(const unsigned char *content, size_t content_length,
              const unsigned char *key_pem, size_t key_pem_length, const char *key_password,
              const unsigned char *certificate_pem, size_t certificate_pem_length,
              const ccms_buffer *chain, size_t chain_count,
              unsigned char **out, size_t *out_length, char **error) {
    static const unsigned char empty = 0;
    char reason[256];
    *out = NULL;
    *out_length = 0;
    *error = NULL;
    ERR_clear_error();
    if (content == NULL) content = &empty;
    if (content_length > INT_MAX || key_pem_length > INT_MAX || certificate_pem_length > INT_MAX) {
        *error = format("the content, key or certificate is larger than 2 GiB");
        return 0;
    }
    int ok = 0;
    EVP_PKEY *key = NULL;
    X509 *certificate = NULL;
    STACK_OF(X509) *chain_certificates = sk_X509_new_null();
    CMS_ContentInfo *cms = NULL;
    BIO *bio = NULL;
    unsigned char *der = NULL;

    bio = BIO_new_mem_buf(key_pem, (int)key_pem_length);
    key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, password_callback, (void *)key_password) : NULL;
    BIO_free(bio);
    bio = NULL;
    if (key == NULL) {
        *error = format("the private key cannot be read%s: %s",
                        key_password == NULL ? " (an encrypted key needs its password)" : "",
                        openssl_reason(reason, sizeof reason));
        goto done;
    }
    bio = BIO_new_mem_buf(certificate_pem, (int)certificate_pem_length);
    certificate = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    bio = NULL;
    if (certificate == NULL) {
        *error = format("the certificate cannot be read: %s", openssl_reason(reason, sizeof reason));
        goto done;
    }
    if (X509_check_private_key(certificate, key) != 1) {
        *error = format("the private key does not belong to the certificate");
        goto done;
    }
    if (chain_certificates == NULL) { *error = format("out of memory"); goto done; }
    for (size_t i = 0; i < chain_count; i++) {
        if (read_certificates(&chain[i], chain_certificates, error) < 0) goto done;
    }

    const unsigned int flags = CMS_BINARY | CMS_DETACHED | CMS_PARTIAL | CMS_NOSMIMECAP;
    cms = CMS_sign(NULL, NULL, chain_certificates, NULL, flags);
    int key_type = EVP_PKEY_get_base_id(key);
    const EVP_MD *digest = (key_type == EVP_PKEY_ED25519 || key_type == EVP_PKEY_ED448) ? NULL : EVP_sha256();
    if (cms == NULL || CMS_add1_signer(cms, certificate, key, digest, flags) == NULL) {
        *error = format("CMS signing failed: %s", openssl_reason(reason, sizeof reason));
        goto done;
    }
    bio = BIO_new_mem_buf(content, (int)content_length);
    if (bio == NULL || CMS_final(cms, bio, NULL, flags) != 1) {
        *error = format("CMS signing failed: %s", openssl_reason(reason, sizeof reason));
        goto done;
    }
    int der_length = i2d_CMS_ContentInfo(cms, &der);
    if (der_length <= 0) {
        *error = format("CMS encoding failed: %s", openssl_reason(reason, sizeof reason));
        goto done;
    }
    *out = malloc((size_t)der_length);
    if (*out == NULL) { *error = format("out of memory"); goto done; }
    memcpy(*out, der, (size_t)der_length);
    *out_length = (size_t)der_length;
    ok = 1;

done:
    OPENSSL_free(der);
    BIO_free(bio);
    CMS_ContentInfo_free(cms);
    sk_X509_pop_free(chain_certificates, X509_free);
    X509_free(certificate);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return ok;
}
