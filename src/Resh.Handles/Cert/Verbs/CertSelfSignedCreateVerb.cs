using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertSelfSignedCreateVerb
{
    static readonly Arg<string?> Subject = Arg.String("subject", "Distinguished name, e.g. 'CN=dev.local'.", required: true);
    static readonly Arg<IReadOnlyList<string>> Sans = CertBuild.SansArg("Subject alternative names: DNS names and IP addresses (default: the subject's CN when it is a host name).");
    static readonly Arg<string?> KeyPath = Arg.String("key", "The private key (default: the certificate path with .key); created 0600 when it does not exist.", path: PathUse.Write);
    static readonly Arg<string?> KeyType = CertBuild.KeyTypeArg();
    static readonly Arg<long?> KeySize = CertBuild.KeySizeArg();
    static readonly Arg<Core.Secrets.SecretRef?> Passphrase = CertBuild.PassphraseArg("Passphrase of the key (to read an encrypted key, or to encrypt a new one).");
    static readonly Arg<TimeSpan?> Validity = Arg.Duration("validity", "How long the certificate is valid.", TimeSpan.FromDays(365));
    static readonly Arg<IReadOnlyList<string>> KeyUsage = CertBuild.KeyUsageArg();
    static readonly Arg<IReadOnlyList<string>> Eku = CertBuild.EkuArg("Extended key usages (default: server).");
    static readonly Arg<bool> Force = Arg.Bool("force", "Replace an existing, different certificate at this path.");

    public static readonly VerbInfo Verb = VerbInfo.Define("selfsigned.create", Effect.Mutate,
        "Create a self-signed certificate (and its key, 0600, when missing): subject, SANs, key usage, extended key usage, validity.",
        [Subject, Sans, KeyPath, KeyType, KeySize, Passphrase, Validity, KeyUsage, Eku, Force], () => CertJson.Default.CertSelfSignedResult, Run,
        examples:
        [
            new("cert:///tmp/dev.pem selfsigned.create subject=CN=dev.local sans=dev.local,127.0.0.1", "/tmp/dev.pem and /tmp/dev.key, valid for a year."),
            new("cert:///tmp/ed.pem selfsigned.create subject=CN=ed.test key_type=ed25519 validity=30d", "An Ed25519 certificate."),
        ],
        notes: "As `openssl req -x509 -newkey ... -subj ... -addext subjectAltName=...`. Idempotent: a valid self-signed certificate already there with the same subject, SANs and key is kept (`changed: false`); "
            + "a different one is `conflict` unless force=true. Certificate and key are written by atomic rename (key 0600 first); symbolic links at either path are refused.");

    static Outcome<CertSelfSignedResult> Run(VerbContext ctx)
    {
        var certPath = FilePaths.Resolve(ctx);
        var keyPath = ctx.Get(KeyPath) is { } k ? FilePaths.ResolveArg(ctx, k, "key") : Path.ChangeExtension(certPath, ".key");
        if (keyPath == certPath) return ReshError.Usage("The key and the certificate would be the same file.", "Give key=PATH, or name the certificate with an extension (site.pem).");
        var subject = CertBuild.Subject(ctx.Get(Subject)!);
        var sanList = ctx.Get(Sans);
        if (sanList.Count == 0 && CommonName(subject) is { } cn && Uri.CheckHostName(cn) != UriHostNameType.Unknown) sanList = [cn];
        var sans = CertBuild.Sans(sanList);
        var validity = ctx.Get(Validity)!.Value;
        if (validity <= TimeSpan.Zero) return ReshError.Usage("validity must be positive.", "For example validity=365d.");
        var passphrase = ctx.GetSecret(Passphrase)?.Reveal();
        CertWrites.CheckDestination(certPath, "certificate");

        var keyExisted = Posix.Stat(keyPath, follow: false, out _) is not null;
        // Before a key is created: a certificate in the way must not leave a new orphan key behind.
        if (!keyExisted && Posix.Stat(certPath, follow: false, out _) is not null && !ctx.Get(Force))
            return InTheWay(certPath);
        var (key, keyCreated) = CertBuild.KeyOrNew(ctx, keyPath, ctx.Get(KeyType)!, ctx.Get(KeySize), passphrase);
        using var keyScope = key;
        var request = key.Request(subject);
        if (sans is not null) request.CertificateExtensions.Add(sans);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(CertBuild.KeyUsage(ctx.Get(KeyUsage), key.Type), critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(CertBuild.Eku(ctx.Get(Eku)), critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

        if (!keyCreated && Existing(certPath) is { } existing)
        {
            using (existing)
            {
                var info = CertDescribe.Certificate(existing, DateTimeOffset.UtcNow);
                bool same = info.SelfIssued && key.Matches(existing.PublicKey) && existing.SubjectName.RawData.AsSpan().SequenceEqual(subject.RawData) && !info.Expired
                    && SameExtensions(existing, request);
                if (same)
                    return new CertSelfSignedResult(certPath, keyPath, false, info.Subject, info.Serial, info.Sans, info.KeyType, info.NotAfter, info.FingerprintSha256);
                if (!ctx.Get(Force)) return InTheWay(certPath);
            }
        }
        var now = DateTimeOffset.UtcNow;
        using var cert = request.Create(subject, key.Signer(), now.AddMinutes(-5), now.Add(validity), CertSerials.Random());
        if (!ctx.DryRun) CertWrites.Write(certPath, CertBuild.Pem(cert), CertWrites.Public);
        var made = CertDescribe.Certificate(cert, now);
        return new Outcome<CertSelfSignedResult>(new CertSelfSignedResult(certPath, keyPath, keyCreated, made.Subject, made.Serial, made.Sans, made.KeyType, made.NotAfter, made.FingerprintSha256), true);
    }

    static ReshError InTheWay(string certPath) =>
        ReshError.Conflict($"A different certificate is already at {certPath}.", "Pick another path, or pass force=true to replace it.", new JsonObject { ["path"] = certPath });

    static X509Certificate2? Existing(string certPath)
    {
        if (Posix.Stat(certPath, follow: false, out _) is null) return null;
        try
        {
            var m = CertFiles.Load(new CertTarget(certPath, null, 0), null);
            var first = m.Certificates.FirstOrDefault();
            foreach (var c in m.Certificates.Skip(1)) c.Dispose();
            return first;
        }
        catch (ReshException) { return null; }
    }

    static bool SameExtensions(X509Certificate2 cert, CertificateRequest request)
    {
        foreach (var wanted in request.CertificateExtensions)
        {
            if (wanted.Oid?.Value == "2.5.29.14") continue;
            var have = cert.Extensions[wanted.Oid!.Value!];
            if (have is null || !have.RawData.AsSpan().SequenceEqual(wanted.RawData)) return false;
        }
        return true;
    }

    static string? CommonName(X500DistinguishedName dn)
    {
        foreach (var rdn in dn.EnumerateRelativeDistinguishedNames())
            if (rdn.GetSingleElementType().Value == "2.5.4.3") return rdn.GetSingleElementValue();
        return null;
    }
}
