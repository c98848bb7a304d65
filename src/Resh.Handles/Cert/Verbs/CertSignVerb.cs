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
    static readonly Arg<string?> Csr = Arg.String("csr", "The certificate signing request to sign (PEM or DER).", required: true);
    static readonly Arg<string?> Out = Arg.String("out", "Where the new certificate goes (PEM, written atomically).", required: true);
    static readonly Arg<string?> CaKey = Arg.String("ca_key", "The CA's private key (default: the CA certificate path with .key).");
    static readonly Arg<TimeSpan?> Validity = Arg.Duration("validity", "How long the certificate is valid.", TimeSpan.FromDays(90));
    static readonly Arg<IReadOnlyList<string>> Usage = Arg.List("eku", "Extended key usages.", choices: ["server", "client"]);
    static readonly Arg<IReadOnlyList<string>> Sans = Arg.List("sans", "Subject alternative names (DNS names or IP addresses); default: those the CSR asks for.");
    static readonly Arg<bool> Chain = Arg.Bool("chain", "Append the CA certificate after the new one (a full chain file).");

    public static readonly VerbInfo Verb = VerbInfo.Define("sign", Effect.Mutate,
        "Sign a CSR with a local CA (made by ca.create): subject from the CSR, SANs, extended key usage and validity; serial from the CA's .srl file.",
        [Csr, Out, CaKey, Validity, Usage, Sans, Chain], () => CertJson.Default.CertSignResult, Run,
        examples:
        [
            new("'cert:///tmp/ca.pem.sign(csr=/tmp/web.csr,out=/tmp/web.pem)'", "A 90-day server certificate with the CSR's SANs."),
            new("cert:///tmp/ca.pem sign csr=/tmp/app.csr out=/tmp/app.pem eku=client validity=365d", "A client certificate for a year."),
        ],
        notes: "The target is the CA certificate. The CSR's signature is checked before anything is signed. Each call issues a new certificate (`changed: true`) with the next serial of the CA's .srl file, "
            + "which is advanced atomically. Without eku= the certificate allows server authentication.");

    static Outcome<CertSignResult> Run(VerbContext ctx)
    {
        var caPath = FilePaths.Resolve(ctx);
        var caKeyPath = ctx.Get(CaKey) is { } k ? FilePaths.ResolveArg(ctx, k, "ca_key") : Path.ChangeExtension(caPath, ".key");
        var csrPath = FilePaths.ResolveArg(ctx, ctx.Get(Csr)!, "csr");
        var outPath = FilePaths.ResolveArg(ctx, ctx.Get(Out)!, "out");
        var serialPath = Path.ChangeExtension(caPath, ".srl");
        var validity = ctx.Get(Validity)!.Value;
        if (validity <= TimeSpan.Zero) return ReshError.Usage("validity must be positive.", "For example validity=90d.");

        using var ca = CertFiles.Load(new CertTarget(caPath, null, 0), null);
        var caCert = ca.Certificates.FirstOrDefault();
        if (caCert is null || caCert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            return ReshError.Usage($"{caPath} is not a CA certificate.", "Create one with ca.create, or name the CA's certificate.");
        var keyPem = Encoding.ASCII.GetString(CertFiles.ReadBounded(caKeyPath));
        using var signer = CertKeys.MatchesKey(caCert, keyPem);
        if (signer is null)
            return ReshError.Usage($"{caKeyPath} is not the private key of {caPath} (or is encrypted).", "Name the CA's key with ca_key=.");

        using var csrMaterial = CertFiles.Load(new CertTarget(csrPath, null, 0), null);
        if (csrMaterial.Csrs.Count == 0)
            return ReshError.Usage($"{csrPath} holds no certificate signing request.", "Make one with `openssl req -new`.");
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(File.ReadAllText(csrPath), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            try { request = CertificateRequest.LoadSigningRequest(File.ReadAllBytes(csrPath), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions); }
            catch (CryptographicException) { return ReshError.Usage($"{csrPath} does not parse or its signature does not verify.", "Make the CSR again."); }
        }

        var sans = new SubjectAlternativeNameBuilder();
        var wanted = ctx.Get(Sans);
        var sanList = wanted.Count > 0 ? wanted.ToList() : csrMaterial.Csrs[0].Sans.Select(s => s[(s.IndexOf(':') + 1)..]).ToList();
        foreach (var s in sanList)
        {
            if (System.Net.IPAddress.TryParse(s, out var ip)) sans.AddIpAddress(ip);
            else sans.AddDnsName(s);
        }
        var ekus = ctx.Get(Usage);
        var ekuOids = new OidCollection();
        foreach (var e in ekus.Count > 0 ? ekus : ["server"])
            ekuOids.Add(new Oid(e == "client" ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1"));

        var csrExtensions = request.CertificateExtensions.ToList();
        request.CertificateExtensions.Clear();
        if (sanList.Count > 0) request.CertificateExtensions.Add(sans.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        var isRsa = request.PublicKey.Oid.Value == "1.2.840.113549.1.1.1";
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | (isRsa ? X509KeyUsageFlags.KeyEncipherment : 0), critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(ekuOids, critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        if (caCert.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault() is { } caSki)
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(caSki));

        CertWrites.CheckDestination(outPath, "certificate");
        var serial = ReadSerial(serialPath);
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.Add(validity);
        if (notAfter > caCert.NotAfter) notAfter = new DateTimeOffset(caCert.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        X509Certificate2 issued;
        try { issued = request.Create(signer, now.AddMinutes(-5), notAfter, serial); }
        catch (CryptographicException ex) { return ReshError.Failed($"Signing failed: {ex.Message}", null); }
        using var _ = issued;

        if (!ctx.DryRun)
        {
            CertWrites.CheckDestination(serialPath, "serial file");
            CertWrites.Write(serialPath, Encoding.ASCII.GetBytes(CertSerials.Next(serial) + "\n"), CertWrites.Public);
            var pem = issued.ExportCertificatePem() + "\n" + (ctx.Get(Chain) ? caCert.ExportCertificatePem() + "\n" : "");
            CertWrites.Write(outPath, Encoding.ASCII.GetBytes(pem), CertWrites.Public);
        }
        var info = CertDescribe.Certificate(issued, now);
        return new Outcome<CertSignResult>(new CertSignResult(outPath, caPath, info.Subject, info.Serial, info.Sans, info.ExtendedKeyUsage, info.NotAfter, info.FingerprintSha256, ctx.Get(Chain)), true);
    }

    /// <summary>The serial the .srl file holds (hex), or a random one when the CA has no serial file yet.</summary>
    static byte[] ReadSerial(string path)
    {
        if (!File.Exists(path)) return CertSerials.Random();
        var text = Encoding.ASCII.GetString(CertFiles.ReadBounded(path)).Trim();
        if (text.Length is 0 or > 40 || !text.All(Uri.IsHexDigit))
            throw ReshError.Usage($"The serial file {path} does not hold a hex serial number.", "Fix or remove it (a random serial is used without one).").ToException();
        var n = BigInteger.Parse("0" + text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (n.IsZero) n = BigInteger.One;
        return n.ToByteArray(isUnsigned: true, isBigEndian: true);
    }
}
