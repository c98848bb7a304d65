using System.Security.Cryptography.X509Certificates;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

/// <summary>revoke and crl.create: the CA's CRL file is its revocation database (entries and CRL number).</summary>
public static class CertRevokeVerb
{
    static readonly Arg<string?> Cert = Arg.String("cert", "The certificate to revoke (a file); or give serial=.", path: PathUse.Read);
    static readonly Arg<string?> SerialArg = Arg.String("serial", "Serial number (hex, as `openssl x509 -serial` prints it) of the certificate to revoke.");
    static readonly Arg<string?> Reason = Arg.Enum("reason", "Revocation reason.",
        ["unspecified", "key_compromise", "ca_compromise", "affiliation_changed", "superseded", "cessation_of_operation", "certificate_hold", "privilege_withdrawn"], "unspecified");
    static readonly Arg<string?> Crl = Arg.String("crl", "The CRL file (default: the CA certificate path with .crl).", path: PathUse.Write);
    static readonly Arg<string?> CaKey = Arg.String("ca_key", "The CA's private key (default: the CA certificate path with .key).", path: PathUse.Read);
    static readonly Arg<Core.Secrets.SecretRef?> Passphrase = CertBuild.PassphraseArg("Passphrase of the CA key, when it is encrypted.");
    static readonly Arg<TimeSpan?> NextUpdate = Arg.Duration("next_update", "How long the new CRL is current (its nextUpdate).", TimeSpan.FromDays(30));

    public static readonly VerbInfo Verb = VerbInfo.Define("revoke", Effect.Mutate,
        "Revoke a certificate issued by the local CA: add it to the CA's CRL (PEM, re-signed with a new CRL number).",
        [Cert, SerialArg, Reason, Crl, CaKey, Passphrase, NextUpdate], () => CertJson.Default.CertCrlResult, Run,
        examples:
        [
            new("cert:///tmp/ca.pem revoke cert=/tmp/web.pem reason=key_compromise", "Adds web.pem to /tmp/ca.crl."),
            new("cert:///tmp/ca.pem revoke serial=4F2A91 ", "By serial, when the certificate file is gone."),
        ],
        notes: "The target is the CA certificate. Revoking a serial already on the CRL changes nothing. The CRL is checked to be this CA's before it is extended, "
            + "and written atomically. Check a certificate against it with verify crl=PATH (or openssl verify -crl_check -CRLfile).");

    public static readonly VerbInfo CrlVerb = VerbInfo.Define("crl.create", Effect.Mutate,
        "Write (or refresh) the local CA's CRL: same revoked entries, new CRL number, thisUpdate now and a new nextUpdate.",
        [Crl, CaKey, Passphrase, NextUpdate], () => CertJson.Default.CertCrlResult, RunCrl,
        examples:
        [
            new("cert:///tmp/ca.pem crl.create", "/tmp/ca.crl, empty or with the CA's revocations, current for 30 days."),
            new("cert:///etc/resh/ca/root.pem crl.create next_update=7d", "A weekly refresh from a timer."),
        ],
        notes: "Run it before the CRL's nextUpdate passes: verifiers treat an expired CRL as an error.");

    static Outcome<CertCrlResult> Run(VerbContext ctx)
    {
        var caPath = FilePaths.Resolve(ctx);
        using var ca = Open(ctx, caPath, out var crlPath);
        byte[] serial;
        if (ctx.Get(Cert) is { } certArg)
        {
            if (ctx.Get(SerialArg) is not null) return ReshError.Usage("Give cert= or serial=, not both.", null);
            var certPath = FilePaths.ResolveArg(ctx, certArg, "cert");
            using var m = CertFiles.Load(new CertTarget(certPath, null, 0), null);
            var c = m.Certificates.FirstOrDefault();
            if (c is null) return ReshError.Usage($"{certPath} holds no certificate.", "Name the certificate to revoke.");
            if (!c.IssuerName.RawData.AsSpan().SequenceEqual(ca.Certificate.SubjectName.RawData))
                return ReshError.Usage($"{certPath} was not issued by the CA {caPath}.", "Revoke it with the CA that issued it.");
            serial = c.SerialNumberBytes.ToArray();
        }
        else if (ctx.Get(SerialArg) is { } hex)
        {
            var h = hex.Replace(":", "", StringComparison.Ordinal);
            if (h.Length is 0 or > 40 || !h.All(Uri.IsHexDigit))
                return ReshError.Usage($"serial={hex} is not a hex serial number.", "Write it as openssl x509 -serial prints it, e.g. serial=4F2A91.");
            serial = Convert.FromHexString(h.Length % 2 == 1 ? "0" + h : h);
        }
        else return ReshError.Usage("Name the certificate to revoke.", "Give cert=PATH or serial=HEX.");

        var (builder, number) = CertCrl.Open(crlPath, ca);
        var now = DateTimeOffset.UtcNow;
        var serialHex = CertDescribe.Serial(Convert.ToHexString(serial));
        if (builder.RemoveEntry(serial) || builder.RemoveEntry(Convert.FromHexString(serialHex.Length % 2 == 1 ? "0" + serialHex : serialHex)))
            return new CertCrlResult(crlPath, caPath, serialHex, false, (long)number, Count(crlPath), null);
        builder.AddEntry(serial, now, ReasonOf(ctx.Get(Reason)!));
        return Write(ctx, builder, ca, crlPath, number + 1, now, serialHex);
    }

    static Outcome<CertCrlResult> RunCrl(VerbContext ctx)
    {
        var caPath = FilePaths.Resolve(ctx);
        using var ca = Open(ctx, caPath, out var crlPath);
        var (builder, number) = CertCrl.Open(crlPath, ca);
        return Write(ctx, builder, ca, crlPath, number + 1, DateTimeOffset.UtcNow, null);
    }

    static CertAuthority Open(VerbContext ctx, string caPath, out string crlPath)
    {
        crlPath = ctx.Get(Crl) is { } c ? FilePaths.ResolveArg(ctx, c, "crl") : Path.ChangeExtension(caPath, ".crl");
        CertWrites.CheckDestination(crlPath, "CRL");
        return CertAuthority.Open(caPath, ctx.Get(CaKey) is { } k ? FilePaths.ResolveArg(ctx, k, "ca_key") : null, ctx.GetSecret(Passphrase)?.Reveal(), ctx.DryRun);
    }

    static Outcome<CertCrlResult> Write(VerbContext ctx, CertificateRevocationListBuilder builder, CertAuthority ca, string crlPath,
        System.Numerics.BigInteger number, DateTimeOffset now, string? serial)
    {
        var next = now.Add(ctx.Get(NextUpdate)!.Value);
        if (next <= now) return ReshError.Usage("next_update must be positive.", "For example next_update=30d.");
        var pem = CertCrl.Build(builder, ca, number, next, now);
        if (!ctx.DryRun) CertWrites.Write(crlPath, pem, CertWrites.Public);
        return new Outcome<CertCrlResult>(new CertCrlResult(crlPath, ca.CertPath, serial, serial is not null, (long)number, CertCrl.Count(pem), CertDescribe.Rfc3339(next)), true);
    }

    static int Count(string crlPath) => CertCrl.Count(CertFiles.ReadBounded(crlPath));

    static X509RevocationReason? ReasonOf(string r) => r switch
    {
        "key_compromise" => X509RevocationReason.KeyCompromise,
        "ca_compromise" => X509RevocationReason.CACompromise,
        "affiliation_changed" => X509RevocationReason.AffiliationChanged,
        "superseded" => X509RevocationReason.Superseded,
        "cessation_of_operation" => X509RevocationReason.CessationOfOperation,
        "certificate_hold" => X509RevocationReason.CertificateHold,
        "privilege_withdrawn" => X509RevocationReason.PrivilegeWithdrawn,
        _ => null, // RFC 5280: leave unspecified out
    };
}
