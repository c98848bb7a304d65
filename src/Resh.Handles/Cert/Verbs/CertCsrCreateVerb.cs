using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertCsrCreateVerb
{
    static readonly Arg<string?> Subject = Arg.String("subject", "Distinguished name, e.g. 'CN=www.example.org,O=Example'.", required: true);
    static readonly Arg<IReadOnlyList<string>> Sans = CertBuild.SansArg("Subject alternative names requested: DNS names and IP addresses (DNS:, IP:, email:, URI: prefixes optional).");
    static readonly Arg<string?> KeyPath = Arg.String("key", "The private key (default: the CSR path with .key); created 0600 when it does not exist.", path: PathUse.Write);
    static readonly Arg<string?> KeyType = CertBuild.KeyTypeArg();
    static readonly Arg<long?> KeySize = CertBuild.KeySizeArg();
    static readonly Arg<Core.Secrets.SecretRef?> Passphrase = CertBuild.PassphraseArg("Passphrase of the key (to read an encrypted key, or to encrypt a new one).");
    static readonly Arg<IReadOnlyList<string>> KeyUsage = CertBuild.KeyUsageArg();
    static readonly Arg<IReadOnlyList<string>> Eku = CertBuild.EkuArg("Extended key usages requested (none by default: the signer decides).");

    public static readonly VerbInfo Verb = VerbInfo.Define("csr.create", Effect.Mutate,
        "Create a certificate signing request (PEM) for a key: subject, SANs, key usage and extended key usage; the key is created 0600 when missing.",
        [Subject, Sans, KeyPath, KeyType, KeySize, Passphrase, KeyUsage, Eku], () => CertJson.Default.CertCsrCreateResult, Run,
        examples:
        [
            new("cert:///tmp/web.csr csr.create 'subject=CN=web.test' sans=web.test,127.0.0.1", "/tmp/web.csr and a new ECDSA key /tmp/web.key (0600)."),
            new("cert:///tmp/app.csr csr.create subject=CN=app key=/etc/ssl/private/app.key passphrase=env:KEYPASS", "A CSR for an existing encrypted key."),
        ],
        notes: "As `openssl req -new [-newkey] -subj ... -addext subjectAltName=...`. Idempotent: a CSR already there with the same subject, SANs and key is kept (`changed: false`); "
            + "otherwise it is rewritten (a CSR holds nothing secret). The key path must not be a symbolic link when the key is created.");

    static Outcome<CertCsrCreateResult> Run(VerbContext ctx)
    {
        var csrPath = FilePaths.Resolve(ctx);
        var keyPath = ctx.Get(KeyPath) is { } k ? FilePaths.ResolveArg(ctx, k, "key") : Path.ChangeExtension(csrPath, ".key");
        if (keyPath == csrPath) return ReshError.Usage("The key and the CSR would be the same file.", "Give key=PATH, or name the CSR with an extension (site.csr).");
        var subject = CertBuild.Subject(ctx.Get(Subject)!);
        var sans = CertBuild.Sans(ctx.Get(Sans));
        var passphrase = ctx.GetSecret(Passphrase)?.Reveal();
        CertWrites.CheckDestination(csrPath, "CSR");

        var (key, keyCreated) = CertBuild.KeyOrNew(ctx, keyPath, ctx.Get(KeyType)!, ctx.Get(KeySize), passphrase);
        using var keyScope = key;
        var request = key.Request(subject);
        if (sans is not null) request.CertificateExtensions.Add(sans);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(CertBuild.KeyUsage(ctx.Get(KeyUsage), key.Type), critical: true));
        if (ctx.Get(Eku) is { Count: > 0 } eku) request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(CertBuild.Eku(eku), critical: false));
        var der = request.CreateSigningRequest(key.Signer());
        var pem = PemEncoding.WriteString("CERTIFICATE REQUEST", der) + "\n";

        var info = CertDescribe.Csr(CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256,
            CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions | CertificateRequestLoadOptions.SkipSignatureValidation));
        bool same = !keyCreated && Same(csrPath, info, key, request);
        if (!same && !ctx.DryRun) CertWrites.Write(csrPath, Encoding.ASCII.GetBytes(pem), CertWrites.Public);
        return new Outcome<CertCsrCreateResult>(new CertCsrCreateResult(csrPath, keyPath, keyCreated, info.Subject, info.Sans, key.Type, key.Size, key.Curve, key.PublicKeySha256), !same);
    }

    /// <summary>The CSR already at the path asks for the same subject and SANs with the same key.</summary>
    static bool Same(string csrPath, CsrInfo wanted, CertKey key, CertificateRequest made)
    {
        if (Core.Platform.Posix.Stat(csrPath, follow: false, out _) is not { IsRegular: true }) return false;
        try
        {
            var bytes = CertFiles.ReadBounded(csrPath);
            var text = Encoding.ASCII.GetString(bytes);
            var req = text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? CertificateRequest.LoadSigningRequestPem(text, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions | CertificateRequestLoadOptions.SkipSignatureValidation)
                : CertificateRequest.LoadSigningRequest(bytes, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions | CertificateRequestLoadOptions.SkipSignatureValidation);
            var have = CertDescribe.Csr(req);
            return have.Subject == wanted.Subject && have.Sans.SequenceEqual(wanted.Sans) && key.Matches(req.PublicKey)
                && Extensions(req).SequenceEqual(Extensions(made));
        }
        catch (Exception ex) when (ex is ReshException or CryptographicException or ArgumentException) { return false; }
    }

    static IEnumerable<string> Extensions(CertificateRequest r) =>
        r.CertificateExtensions.Select(e => e.Oid?.Value + "=" + Convert.ToHexString(e.RawData) + (e.Critical ? "!" : "")).Order(StringComparer.Ordinal);
}
