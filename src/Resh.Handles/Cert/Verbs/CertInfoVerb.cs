using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cert.Verbs;

public static class CertInfoVerb
{
    public static readonly VerbInfo Verb = VerbInfo.Define("info", Effect.Read,
        "Describe a certificate, chain, key or CSR file (PEM, DER, PKCS#12) or the chain a TLS endpoint serves: subject, issuer, SANs, validity and days left, key, fingerprints, usages.",
        [CertLoad.Password, CertLoad.ServerName, CertLoad.StartTls], () => CertJson.Default.CertInfoResult, RunAsync,
        examples:
        [
            new("cert:///etc/ssl/certs/ssl-cert-snakeoil.pem.info", "A PEM certificate."),
            new("cert://127.0.0.1:8443.info", "The chain a local TLS server sends."),
            new("cert://example.org:443.info servername=www.example.org", "An endpoint, with another SNI name."),
            new("cert:///etc/ssl/private/site.p12.info password=env:P12_PASS", "A PKCS#12 bundle."),
        ],
        notes: "Reading is not trusting: an endpoint's chain is fetched whatever its validity (verify checks trust). Key files are described (type, size, curve, encrypted), never printed. Fingerprints are colon-separated upper-case hex, as `openssl x509 -fingerprint`.");

    static async ValueTask<Outcome<CertInfoResult>> RunAsync(VerbContext ctx)
    {
        var target = CertTarget.Parse(ctx);
        using var m = await CertLoad.ReadAsync(ctx, target).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        var chain = m.Certificates.Select(c => CertDescribe.Certificate(c, now)).ToList();
        return new CertInfoResult(target.IsEndpoint ? "endpoint" : "file", target.Path, target.IsEndpoint ? target.Display : null,
            m.Format, m.Protocol, m.Cipher, chain.FirstOrDefault(), chain, m.Keys, m.Csrs);
    }
}
