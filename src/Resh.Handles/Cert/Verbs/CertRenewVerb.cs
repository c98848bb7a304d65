using System.Security.Cryptography.X509Certificates;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertRenewVerb
{
    static readonly Arg<string?> Ca = Arg.String("ca", "The local CA certificate that issued it (made by ca.create). Without it the certificate must be self-signed and is re-signed with its own key.", path: PathUse.Read);
    static readonly Arg<string?> CaKey = Arg.String("ca_key", "The CA's private key (default: the CA certificate path with .key).", path: PathUse.Read);
    static readonly Arg<string?> KeyPath = Arg.String("key", "For a self-signed certificate: its private key (default: the certificate path with .key).", path: PathUse.Read);
    static readonly Arg<Core.Secrets.SecretRef?> Passphrase = CertBuild.PassphraseArg("Passphrase of the signing key (the CA's, or the self-signed certificate's), when it is encrypted.");
    static readonly Arg<TimeSpan?> Validity = Arg.Duration("validity", "Validity of the new certificate (default: as long as the old one was).");
    static readonly Arg<long?> Days = Arg.Int("days", "Renew only when the certificate has fewer than this many days left.", 30, min: 0, max: 36500, aliases: ["renew_days"]);
    static readonly Arg<bool> Force = Arg.Bool("force", "Renew now, whatever the days left.");
    static readonly Arg<string?> Out = Arg.String("out", "Where the new certificate goes (default: replace the target).", path: PathUse.Write);

    public static readonly VerbInfo Verb = VerbInfo.Define("renew", Effect.Mutate,
        "Re-issue a certificate from the local CA (or re-sign a self-signed one) with a new validity and serial, keeping its subject, SANs, key and usages; only when it is due.",
        [Ca, CaKey, KeyPath, Passphrase, Validity, Days, Force, Out], () => CertJson.Default.CertRenewResult, Run,
        examples:
        [
            new("cert:///etc/ssl/web.pem renew ca=/etc/resh/ca/root.pem", "Renews when fewer than 30 days are left, with the same validity length."),
            new("cert:///tmp/dev.pem renew force=true validity=365d", "Re-signs a self-signed certificate for a year now."),
        ],
        notes: "Without validity= the new certificate is exactly as long as the old one (renewing again and again does not drift). "
            + "A renewed certificate that would itself be due (days= longer than its lifetime) gets a warning, since every run would renew it. The target is the certificate to renew; its public key is kept, so the private key does not move. `changed` is false when it is not due (more than days= left) unless force=true. "
            + "The CA must be the certificate's issuer (same name and key identifier). A chain file (certificate followed by the CA) keeps its chain. The new serial comes from the CA's .srl file.");

    static Outcome<CertRenewResult> Run(VerbContext ctx)
    {
        var certPath = FilePaths.Resolve(ctx);
        var outPath = ctx.Get(Out) is { } o ? FilePaths.ResolveArg(ctx, o, "out") : certPath;
        using var material = CertFiles.Load(new CertTarget(certPath, null, 0), null);
        if (material.Certificates.Count == 0)
            return ReshError.Usage($"{certPath} holds no certificate.", "Name the certificate file to renew.");
        var old = material.Certificates[0];
        var now = DateTimeOffset.UtcNow;
        var oldInfo = CertDescribe.Certificate(old, now);
        var days = ctx.Get(Days)!.Value;
        if (!ctx.Get(Force) && oldInfo.DaysLeft >= days)
            return new CertRenewResult(certPath, outPath, false, oldInfo.Subject, oldInfo.Serial, oldInfo.Serial, oldInfo.NotAfter, oldInfo.NotAfter, oldInfo.DaysLeft, oldInfo.FingerprintSha256);

        // Same length as the old one, counted from the new start (back-dated 5 minutes for clock skew, as sign does):
        // counting it from now instead would add those 5 minutes on every renewal.
        var notBefore = now.AddMinutes(-5);
        var notAfter = ctx.Get(Validity) is { } given ? now.Add(given) : notBefore.Add(old.NotAfter - old.NotBefore);
        if (notAfter - notBefore <= TimeSpan.FromMinutes(5)) notAfter = now.AddDays(90);
        var passphrase = ctx.GetSecret(Passphrase)?.Reveal();
        CertWrites.CheckDestination(outPath, "certificate");

        var request = new CertificateRequest(old.SubjectName, old.PublicKey, HashAlgorithmName());
        foreach (var ext in old.Extensions)
            if (ext.Oid?.Value != "2.5.29.35") request.CertificateExtensions.Add(new X509Extension(ext.Oid!, ext.RawData, ext.Critical));

        X509Certificate2 issued;
        bool chained = material.Certificates.Count > 1;
        X509Certificate2? caCert = null;
        if (ctx.Get(Ca) is { } caArg)
        {
            var caPath = FilePaths.ResolveArg(ctx, caArg, "ca");
            using var ca = CertAuthority.Open(caPath, ctx.Get(CaKey) is { } ck ? FilePaths.ResolveArg(ctx, ck, "ca_key") : null, passphrase, ctx.DryRun);
            if (!old.IssuerName.RawData.AsSpan().SequenceEqual(ca.Certificate.SubjectName.RawData) || !SameAuthorityKey(old, ca.Certificate))
                return ReshError.Usage($"{certPath} was not issued by the CA {caPath}.", "Name the CA that issued it with ca=.");
            var serial = ca.NextSerial();
            if (notAfter > CertBuild.Utc(ca.Certificate.NotAfter))
                ctx.Warn($"The renewed certificate ends with the CA, on {CertDescribe.Rfc3339(CertBuild.Utc(ca.Certificate.NotAfter))}, before the validity asked for.");
            issued = ca.Issue(request, notBefore, notAfter, serial);
            if (!ctx.DryRun) ca.AdvanceSerial(serial);
            caCert = chained ? X509CertificateLoader.LoadCertificate(ca.Certificate.RawData) : null;
        }
        else
        {
            if (!oldInfo.SelfIssued)
                return ReshError.Usage($"{certPath} is issued by {oldInfo.Issuer}, not self-signed.", "Give the issuing local CA with ca=.");
            var keyPath = ctx.Get(KeyPath) is { } kp ? FilePaths.ResolveArg(ctx, kp, "key") : Path.ChangeExtension(certPath, ".key");
            using var key = CertKey.Load(CertFiles.ReadBounded(keyPath), passphrase, keyPath);
            if (!key.Matches(old.PublicKey))
                return ReshError.Usage($"{keyPath} is not the private key of {certPath}.", "Name its key with key=.");
            issued = request.Create(old.SubjectName, key.Signer(), notBefore, notAfter, CertSerials.Random());
        }
        using var _ = issued;
        using var __ = caCert;
        if (!ctx.DryRun)
            CertWrites.Write(outPath, caCert is not null ? CertBuild.Pem(issued, caCert) : CertBuild.Pem(issued), CertWrites.Public);
        var info = CertDescribe.Certificate(issued, now);
        if (!ctx.Get(Force) && info.DaysLeft < days)
            ctx.Warn($"The renewed certificate has {info.DaysLeft} days left, fewer than days={days}: every run will renew it again. Lower days= or give a longer validity=.");
        return new Outcome<CertRenewResult>(new CertRenewResult(certPath, outPath, true, info.Subject, oldInfo.Serial, info.Serial, oldInfo.NotAfter, info.NotAfter, info.DaysLeft, info.FingerprintSha256), true);
    }

    static System.Security.Cryptography.HashAlgorithmName HashAlgorithmName() => System.Security.Cryptography.HashAlgorithmName.SHA256;

    static bool SameAuthorityKey(X509Certificate2 cert, X509Certificate2 ca)
    {
        var aki = cert.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier;
        var ski = ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes;
        return aki is null || ski is null || aki.Value.Span.SequenceEqual(ski.Value.Span);
    }
}
