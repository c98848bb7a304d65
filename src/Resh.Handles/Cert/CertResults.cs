using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Cert;

[Description("One X.509 certificate, as `openssl x509 -noout -text` describes it.")]
public sealed record CertificateInfo(
    [property: Description("Subject distinguished name, most specific part first (CN=..., O=...).")] string Subject,
    [property: Description("Issuer distinguished name.")] string Issuer,
    [property: Description("Serial number, upper-case hex (as `openssl x509 -serial`).")] string Serial,
    int Version,
    [property: Description("Start of validity, RFC 3339 UTC.")] string NotBefore,
    [property: Description("End of validity, RFC 3339 UTC.")] string NotAfter,
    [property: Description("Whole days until not_after (negative once expired).")] long DaysLeft,
    bool Expired,
    bool NotYetValid,
    [property: Description("Subject alternative names: DNS:name, IP:address.")] IReadOnlyList<string> Sans,
    [property: Description("rsa, ecdsa, ed25519, ed448, dsa or the algorithm OID.")] string KeyType,
    [property: Description("Key size in bits.")] int? KeySize,
    [property: Description("Named curve for ecdsa keys (P-256, P-384, P-521).")] string? Curve,
    [property: Description("Signature algorithm (openssl's name).")] string SignatureAlgorithm,
    [property: Description("SHA-256 fingerprint, colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256`).")] string FingerprintSha256,
    string FingerprintSha1,
    [property: Description("Basic constraints: a CA certificate.")] bool IsCa,
    [property: Description("Basic constraints path length, when set.")] int? PathLength,
    [property: Description("Key usage bits, snake_case (digital_signature, key_cert_sign, ...).")] IReadOnlyList<string> KeyUsage,
    [property: Description("The key usage extension is marked critical (openssl's `X509v3 Key Usage: critical`); null without one.")] bool? KeyUsageCritical,
    [property: Description("Extended key usage: server_auth, client_auth, code_signing, email_protection, time_stamping, ocsp_signing, or the OID.")] IReadOnlyList<string> ExtendedKeyUsage,
    [property: Description("The extended key usage extension is marked critical; null without one.")] bool? ExtendedKeyUsageCritical,
    [property: Description("Subject key identifier, colon-separated upper-case hex (as openssl prints it).")] string? SubjectKeyId,
    [property: Description("Authority key identifier, colon-separated upper-case hex.")] string? AuthorityKeyId,
    [property: Description("Subject and issuer are the same name.")] bool SelfIssued);

[Description("A private key: never its material.")]
public sealed record KeyInfo(
    [property: Description("rsa, ecdsa, ed25519, ed448, dsa, or null when encrypted.")] string? Type,
    int? Size,
    string? Curve,
    [property: Description("The key is encrypted with a passphrase.")] bool Encrypted);

[Description("A certificate signing request.")]
public sealed record CsrInfo(string Subject, IReadOnlyList<string> Sans, string KeyType, int? KeySize, string? Curve);

[Description("What a cert:// target holds.")]
public sealed record CertInfoResult(
    [property: Description("file or endpoint.")] string Source,
    [property: Description("The file read (file targets).")] string? Path,
    [property: Description("Host and port connected to (endpoint targets).")] string? Endpoint,
    [property: Description("pem, der or pkcs12 (files); tls (endpoints).")] string Format,
    [property: Description("Negotiated TLS protocol (endpoints).")] string? Protocol,
    [property: Description("Negotiated cipher suite (endpoints).")] string? Cipher,
    [property: Description("The first certificate (the leaf of a chain); null when the target holds none.")] CertificateInfo? Certificate,
    [property: Description("Every certificate in file order, or as the server sent them (leaf first).")] IReadOnlyList<CertificateInfo> Chain,
    [property: Description("Private keys found (PEM or PKCS#12).")] IReadOnlyList<KeyInfo> Keys,
    [property: Description("Signing requests found.")] IReadOnlyList<CsrInfo> Csrs);

[Description("How long the certificate has left.")]
public sealed record CertExpiryResult(
    string Target,
    string Subject,
    [property: Description("Leaf certificate's end of validity, RFC 3339 UTC.")] string NotAfter,
    [property: Description("Whole days until not_after (negative once expired).")] long DaysLeft,
    bool Expired,
    [property: Description("The threshold checked: below it the call is `conflict`.")] long WarnDays,
    [property: Description("Earliest not_after in the whole chain, RFC 3339 UTC.")] string ChainNotAfter,
    [property: Description("Subject of the chain certificate that expires first.")] string ChainFirstToExpire,
    [property: Description("Leaf certificate's start of validity, RFC 3339 UTC.")] string NotBefore,
    [property: Description("The leaf's validity has not started yet (a clock or issuing problem): `conflict`.")] bool NotYetValid);

[Description("A verification that passed (a failure is `conflict` with the same fields and `reasons` in details).")]
public sealed record CertVerifyResult(
    string Target,
    bool Valid,
    [property: Description("Why it is not valid: expired, not_yet_valid, untrusted_root, incomplete_chain, bad_signature, wrong_purpose, hostname_mismatch, revoked, ...")] IReadOnlyList<string> Reasons,
    [property: Description("system, or the ca= bundle.")] string TrustedBy,
    [property: Description("The host name checked, when one was.")] string? Hostname,
    [property: Description("server, client or any.")] string Purpose,
    [property: Description("Subjects of the chain built, leaf first.")] IReadOnlyList<string> ChainBuilt);

[Description("A local certificate authority.")]
public sealed record CertCaCreateResult(
    [property: Description("CA certificate (PEM).")] string Certificate,
    [property: Description("CA private key (PEM, 0600).")] string Key,
    [property: Description("Serial tracking file (next serial, hex).")] string SerialFile,
    string Subject,
    string KeyType,
    string NotAfter,
    string FingerprintSha256,
    [property: Description("True when the CA was created; false when a CA with this subject already existed there.")] bool Created);

[Description("A certificate issued by a local CA.")]
public sealed record CertSignResult(
    [property: Description("The new certificate (PEM).")] string Certificate,
    [property: Description("The CA certificate that signed it.")] string Ca,
    string Subject,
    [property: Description("Serial number, upper-case hex.")] string Serial,
    IReadOnlyList<string> Sans,
    IReadOnlyList<string> ExtendedKeyUsage,
    string NotAfter,
    string FingerprintSha256,
    [property: Description("The CA certificate follows it in the file.")] bool Chain);

[Description("A private key that belongs to the certificate (a mismatch is `conflict`).")]
public sealed record CertMatchResult(string Target, string Key, bool Matches, string KeyType, string Subject, string FingerprintSha256);

[Description("A private key file (never its material).")]
public sealed record CertKeyCreateResult(
    [property: Description("The key file (PEM, PKCS#8, 0600).")] string Path,
    [property: Description("rsa, ecdsa or ed25519.")] string KeyType,
    int KeySize,
    [property: Description("P-256, P-384 or P-521 for ecdsa.")] string? Curve,
    [property: Description("The key is encrypted with the passphrase given.")] bool Encrypted,
    [property: Description("SHA-256 of the public key (DER SubjectPublicKeyInfo), colon hex.")] string PublicKeySha256,
    [property: Description("True when the key was created; false when the same kind of key was already there.")] bool Created);

[Description("A certificate signing request.")]
public sealed record CertCsrCreateResult(
    [property: Description("The CSR (PEM).")] string Csr,
    [property: Description("Its private key.")] string Key,
    [property: Description("The key was created by this call (0600).")] bool KeyCreated,
    string Subject,
    IReadOnlyList<string> Sans,
    string KeyType,
    int KeySize,
    string? Curve,
    [property: Description("SHA-256 of the public key (DER SubjectPublicKeyInfo), colon hex.")] string PublicKeySha256);

[Description("A self-signed certificate.")]
public sealed record CertSelfSignedResult(
    [property: Description("The certificate (PEM).")] string Certificate,
    [property: Description("Its private key.")] string Key,
    [property: Description("The key was created by this call (0600).")] bool KeyCreated,
    string Subject,
    string Serial,
    IReadOnlyList<string> Sans,
    string KeyType,
    string NotAfter,
    string FingerprintSha256);

[Description("A renewal: the old and the new certificate (when it was not due, both are the old one and `renewed` is false).")]
public sealed record CertRenewResult(
    string Target,
    [property: Description("Where the new certificate was written.")] string Certificate,
    [property: Description("A new certificate was issued.")] bool Renewed,
    string Subject,
    string OldSerial,
    string Serial,
    string OldNotAfter,
    string NotAfter,
    long DaysLeft,
    string FingerprintSha256);

[Description("A CA's certificate revocation list after revoke or crl.create.")]
public sealed record CertCrlResult(
    [property: Description("The CRL file (PEM).")] string Crl,
    [property: Description("The CA certificate.")] string Ca,
    [property: Description("Serial revoked (revoke), upper-case hex.")] string? Serial,
    [property: Description("The serial was added now (false: it was already revoked).")] bool Revoked,
    [property: Description("The CRL number of the file now.")] long CrlNumber,
    [property: Description("How many certificates the CRL lists.")] int Entries,
    [property: Description("When the CRL must be refreshed (nextUpdate), RFC 3339 UTC; null when unchanged.")] string? NextUpdate);

[Description("A conversion between PEM, DER and PKCS#12.")]
public sealed record CertConvertResult(
    string Target,
    [property: Description("The file written.")] string Out,
    [property: Description("pem, der or pkcs12.")] string Format,
    [property: Description("How many certificates it holds (leaf first).")] int Certificates,
    [property: Description("It holds a private key (then it is 0600).")] bool Key,
    [property: Description("SHA-256 fingerprint of the first certificate.")] string? FingerprintSha256);

[Description("A certificate from an ACME CA.")]
public sealed record CertAcmeResult(
    [property: Description("The full chain file (PEM: leaf, then intermediates).")] string Certificate,
    [property: Description("Its private key (0600).")] string Key,
    [property: Description("The ACME directory URL.")] string Directory,
    IReadOnlyList<string> Domains,
    [property: Description("A new certificate was issued by this call (false: the one there was kept, not due).")] bool Issued,
    string? Serial,
    string? NotAfter,
    long? DaysLeft,
    string? Issuer,
    string? FingerprintSha256,
    [property: Description("How the challenge was answered: `http-01 listener` or `http-01 webroot`; null when nothing was asked.")] string? Challenge);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CertInfoResult))]
[JsonSerializable(typeof(CertExpiryResult))]
[JsonSerializable(typeof(CertVerifyResult))]
[JsonSerializable(typeof(CertCaCreateResult))]
[JsonSerializable(typeof(CertSignResult))]
[JsonSerializable(typeof(CertMatchResult))]
[JsonSerializable(typeof(CertKeyCreateResult))]
[JsonSerializable(typeof(CertCsrCreateResult))]
[JsonSerializable(typeof(CertSelfSignedResult))]
[JsonSerializable(typeof(CertRenewResult))]
[JsonSerializable(typeof(CertCrlResult))]
[JsonSerializable(typeof(CertConvertResult))]
[JsonSerializable(typeof(CertAcmeResult))]
internal sealed partial class CertJson : JsonSerializerContext;
