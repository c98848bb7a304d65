using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertSignVerb
{
    static readonly Arg<string?> Csr = Arg.String("csr", "The certificate signing request to sign (PEM or DER).", required: true, path: PathUse.Read);
    static readonly Arg<string?> Out = Arg.String("out", "Where the new certificate goes (PEM, written atomically).", required: true, path: PathUse.Write);
    static readonly Arg<string?> CaKey = Arg.String("ca_key", "The CA's private key (default: the CA certificate path with .key).", path: PathUse.Read);
    static readonly Arg<TimeSpan?> Validity = Arg.Duration("validity", "How long the certificate is valid.", TimeSpan.FromDays(90));
    static readonly Arg<IReadOnlyList<string>> Usage = CertBuild.EkuArg("Extended key usages (default: server).");
    static readonly Arg<Core.Secrets.SecretRef?> Passphrase = CertBuild.PassphraseArg("Passphrase of the CA key, when it is encrypted.");
    static readonly Arg<IReadOnlyList<string>> Sans = Arg.List("sans", "Subject alternative names (DNS names, IP addresses, email:ADDR, URI:URI); default: those the CSR asks for.");
    static readonly Arg<bool> Chain = Arg.Bool("chain", "Append the CA certificate after the new one (a full chain file).");

    public static readonly VerbInfo Verb = VerbInfo.Define("sign", Effect.Mutate,
        "Sign a CSR with a local CA (made by ca.create): subject from the CSR, SANs, extended key usage and validity; serial from the CA's .srl file.",
        [Csr, Out, CaKey, Passphrase, Validity, Usage, Sans, Chain], () => CertJson.Default.CertSignResult, Run,
        examples:
        [
            new("'cert:///tmp/ca.pem.sign(csr=/tmp/web.csr,out=/tmp/web.pem)'", "A 90-day server certificate with the CSR's SANs."),
            new("cert:///tmp/ca.pem sign csr=/tmp/app.csr out=/tmp/app.pem eku=client validity=365d", "A client certificate for a year."),
        ],
        notes: "The target is the CA certificate. The CSR's signature is checked before anything is signed. Each call issues a new certificate (`changed: true`) with the next serial of the CA's .srl file, "
            + "which is advanced atomically. Without eku= the certificate allows server authentication. A validity past the CA's expiry is cut to it (with a warning), and a certificate "
            + "without SANs (a CN-only CSR) gets a warning: clients that follow RFC 6125 ignore the CN.");

    static Outcome<CertSignResult> Run(VerbContext ctx)
    {
        var caPath = FilePaths.Resolve(ctx);
        var caKeyPath = ctx.Get(CaKey) is { } k ? FilePaths.ResolveArg(ctx, k, "ca_key") : null;
        var csrPath = FilePaths.ResolveArg(ctx, ctx.Get(Csr)!, "csr");
        var outPath = FilePaths.ResolveArg(ctx, ctx.Get(Out)!, "out");
        var validity = ctx.Get(Validity)!.Value;
        if (validity <= TimeSpan.Zero) return ReshError.Usage("validity must be positive.", "For example validity=90d.");

        using var ca = CertAuthority.Open(caPath, caKeyPath, ctx.GetSecret(Passphrase)?.Reveal(), ctx.DryRun);
        var request = CertCsr.Read(csrPath);
        var wanted = ctx.Get(Sans);
        var requested = CertDescribe.Csr(request).Sans;
        // The CSR's names as they are (DNS, IP, email, URI); forms resh cannot copy are left out with a warning.
        var copied = requested.Where(s => s.StartsWith("DNS:", StringComparison.Ordinal) || s.StartsWith("IP:", StringComparison.Ordinal)
            || s.StartsWith("email:", StringComparison.Ordinal) || s.StartsWith("URI:", StringComparison.Ordinal)).ToList();
        if (wanted.Count == 0 && copied.Count < requested.Count)
            ctx.Warn($"The CSR asks for names that are not copied (not DNS, IP, email or URI, or not valid): {string.Join(", ", requested.Except(copied))}.");
        var sans = CertBuild.Sans(wanted.Count > 0 ? wanted : copied);
        if (sans is null)
            ctx.Warn($"The certificate has no subject alternative names: clients that follow RFC 6125 (browsers, Go, resh verify) ignore the CN {request.SubjectName.Name} "
                + "and will not accept it for any host name. Give sans= (or put them in the CSR).");
        request.CertificateExtensions.Clear();
        if (sans is not null) request.CertificateExtensions.Add(sans);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        var isRsa = request.PublicKey.Oid.Value == CertKey.RsaOid;
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | (isRsa ? X509KeyUsageFlags.KeyEncipherment : 0), critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(CertBuild.Eku(ctx.Get(Usage)), critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

        CertWrites.CheckDestination(outPath, "certificate");
        var serial = ca.NextSerial();
        var now = DateTimeOffset.UtcNow;
        var caEnd = CertBuild.Utc(ca.Certificate.NotAfter);
        if (now.Add(validity) > caEnd)
            ctx.Warn($"validity={ctx.Get(Validity)!.Value.TotalDays:0.#}d reaches past the CA's own expiry: the certificate ends with the CA, on {CertDescribe.Rfc3339(caEnd)}.");
        X509Certificate2 issued;
        try { issued = ca.Issue(request, now.AddMinutes(-5), now.Add(validity), serial); }
        catch (CryptographicException ex) { return ReshError.Failed($"Signing failed: {ex.Message}", null); }
        using var _ = issued;

        if (!ctx.DryRun)
        {
            ca.AdvanceSerial(serial);
            var pem = ctx.Get(Chain) ? CertBuild.Pem(issued, ca.Certificate) : CertBuild.Pem(issued);
            CertWrites.Write(outPath, pem, CertWrites.Public);
        }
        var info = CertDescribe.Certificate(issued, now);
        return new Outcome<CertSignResult>(new CertSignResult(outPath, caPath, info.Subject, info.Serial, info.Sans, info.ExtendedKeyUsage, info.NotAfter, info.FingerprintSha256, ctx.Get(Chain)), true);
    }
}
