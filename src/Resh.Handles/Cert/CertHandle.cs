using Resh.Core.Model;
using Resh.Handles.Cert.Verbs;

namespace Resh.Handles.Cert;

/// <summary>cert:// — X.509 certificates, keys and CSRs in files, and the chains TLS endpoints serve.</summary>
public static class CertHandle
{
    public static HandleInfo Create() => new("cert",
        "Certificates: inspect files (PEM, DER, PKCS#12, chains, keys, CSRs) and TLS endpoints, check expiry, verify chains (with CRLs); create keys, CSRs, self-signed certificates and a local CA that signs, renews and revokes; convert formats; get certificates from an ACME CA (http-01).",
        "A file (cert:///etc/ssl/certs/site.pem, cert://relative.pem, cert://~/ca.pem) or a TLS endpoint host:port (cert://127.0.0.1:8443, cert://[::1]:443, cert://example.org:443). A relative name that is an existing file is the file.",
        [
            CertInfoVerb.Verb,
            CertExpiryVerb.Verb,
            CertVerifyVerb.Verb,
            CertCaCreateVerb.Verb,
            CertSignVerb.Verb,
            CertMatchVerb.Verb,
            CertKeyCreateVerb.Verb,
            CertCsrCreateVerb.Verb,
            CertSelfSignedCreateVerb.Verb,
            CertRenewVerb.Verb,
            CertRevokeVerb.Verb,
            CertRevokeVerb.CrlVerb,
            CertConvertVerb.Verb,
            CertAcmeVerbs.Issue,
            CertAcmeVerbs.Renew,
        ])
    {
        Notes = "Uses the platform's X.509 code (System.Security.Cryptography over OpenSSL), and BouncyCastle's Ed25519 signer for Ed25519 keys. Input files are untrusted: at most 16 MiB and 1000 certificates, a non-regular file is refused, a malformed one is `usage`. "
            + "Private keys are never printed; the keys resh writes are created 0600 with an atomic rename, and a key path that is a symbolic link is refused. "
            + "The verbs by the tool an operator would otherwise reach for: openssl x509 -text / s_client -showcerts → info, openssl x509 -checkend → expiry, openssl verify → verify, openssl req -x509 (CA) → ca.create, openssl x509 -req -CA → sign, comparing `openssl x509 -pubkey` with `openssl pkey -pubout` → match, openssl genpkey → key.create, openssl req -new → csr.create, openssl req -x509 → selfsigned.create, openssl ca -revoke / -gencrl → revoke / crl.create, openssl pkcs12 / x509 -outform → convert, certbot certonly --standalone / --webroot and certbot renew → acme.issue / acme.renew. "
            + "Passwords and passphrases are secret-typed (secret:NAME, env:VAR, file:PATH, @-): a literal works but warns.",
    };
}
