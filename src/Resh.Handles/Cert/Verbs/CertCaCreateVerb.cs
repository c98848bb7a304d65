using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertCaCreateVerb
{
    static readonly Arg<string?> Subject = Arg.String("subject", "Distinguished name of the CA, e.g. 'CN=Test CA,O=Example'.", required: true);
    static readonly Arg<string?> KeyType = Arg.Enum("key_type", "Key algorithm.", ["ecdsa", "rsa", "ed25519"], "ecdsa");
    static readonly Arg<Core.Secrets.SecretRef?> Passphrase = CertBuild.PassphraseArg("Encrypt the CA key with this passphrase (sign, renew and revoke then need it).");
    static readonly Arg<long?> KeySize = Arg.Int("key_size", "Bits: 256, 384 or 521 for ecdsa (default 256); 2048, 3072 or 4096 for rsa (default 3072).");
    static readonly Arg<TimeSpan?> Validity = Arg.Duration("validity", "How long the CA certificate is valid.", TimeSpan.FromDays(3650));
    static readonly Arg<string?> KeyPath = Arg.String("key", "Where the CA key goes (default: the certificate path with .key instead of its extension).", path: PathUse.Write);
    static readonly Arg<long?> PathLength = Arg.Int("path_length", "Basic constraints path length (how many intermediates may follow); unlimited when absent.", min: 0, max: 10);
    static readonly Arg<bool> Force = Arg.Bool("force", "Replace an existing, different certificate or key at these paths.");

    public static readonly VerbInfo Verb = VerbInfo.Define("ca.create", Effect.Mutate,
        "Create a local certificate authority: a self-signed CA certificate, its private key (0600) and a serial file for signing.",
        [Subject, KeyType, KeySize, Validity, KeyPath, PathLength, Passphrase, Force], () => CertJson.Default.CertCaCreateResult, Run,
        examples:
        [
            new("cert:///tmp/ca.pem ca.create 'subject=CN=Test CA'", "/tmp/ca.pem, /tmp/ca.key (0600) and /tmp/ca.srl."),
            new("cert:///etc/resh/ca/root.pem ca.create 'subject=CN=Ops Root,O=Example' key_type=rsa key_size=4096 validity=7300d", "An RSA root for 20 years."),
        ],
        notes: "Idempotent: when the certificate is already a CA with this subject and the key beside it matches, nothing changes (`changed: false`). "
            + "A different certificate or key already there is `conflict` unless force=true. The key is written first, 0600, by atomic rename; a key or certificate path that is a symbolic link is refused. "
            + "The serial file (.srl, as `openssl x509 -CAserial`) holds the last serial used, in hex; sign and openssl can share it.");

    static Outcome<CertCaCreateResult> Run(VerbContext ctx)
    {
        var certPath = FilePaths.Resolve(ctx);
        var keyPath = ctx.Get(KeyPath) is { } k ? FilePaths.ResolveArg(ctx, k, "key") : Path.ChangeExtension(certPath, ".key");
        var serialPath = Path.ChangeExtension(certPath, ".srl");
        if (keyPath == certPath)
            return ReshError.Usage("The key and the certificate would be the same file.", "Give key=PATH, or name the certificate with an extension (ca.pem).");
        X500DistinguishedName subject;
        try { subject = new X500DistinguishedName(ctx.Get(Subject)!); }
        catch (CryptographicException)
        {
            return ReshError.Usage($"subject={ctx.Get(Subject)} is not a distinguished name.", "Write it as 'CN=Test CA,O=Example'.");
        }
        var keyType = ctx.Get(KeyType)!;
        int size = (int)(ctx.Get(KeySize) ?? CertKey.DefaultSize(keyType));
        if (CertKey.SizeProblem(keyType, size) is { } problem)
            return ReshError.Usage($"key_size={size} is not valid for {keyType}.", problem);
        var passphrase = ctx.GetSecret(Passphrase)?.Reveal();
        var validity = ctx.Get(Validity)!.Value;
        if (validity <= TimeSpan.Zero)
            return ReshError.Usage("validity must be positive.", "For example validity=3650d.");

        foreach (var (p, what) in new[] { (certPath, "certificate"), (keyPath, "key"), (serialPath, "serial file") })
            CertWrites.CheckDestination(p, what);

        if (Existing(certPath, keyPath, subject, passphrase, out var existing) is { } same)
            return new CertCaCreateResult(certPath, keyPath, serialPath, same.SubjectName.Name, CertDescribe.PublicKey(same.PublicKey).Type,
                CertDescribe.Rfc3339(new DateTimeOffset(same.NotAfter.ToUniversalTime(), TimeSpan.Zero)), CertDescribe.Colons(same.GetCertHash(HashAlgorithmName.SHA256)), false);
        if (existing is not null && !ctx.Get(Force))
            return ReshError.Conflict($"{existing} already exists and is not a CA named {subject.Name} with its key.", "Pick other paths, or pass force=true to replace it.",
                new JsonObject { ["path"] = existing });

        using var key = CertKey.Generate(keyType, size);
        var request = key.Request(subject);
        var pathLength = ctx.Get(PathLength);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength is not null, (int)(pathLength ?? 0), critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false);
        request.CertificateExtensions.Add(ski);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
        var now = DateTimeOffset.UtcNow;
        var serial = CertSerials.Random();
        using var cert = request.Create(subject, key.Signer(), now.AddMinutes(-5), now.Add(validity), serial);

        if (!ctx.DryRun)
        {
            CertBuild.WriteKey(keyPath, key, passphrase);
            CertWrites.Write(certPath, Encoding.ASCII.GetBytes(cert.ExportCertificatePem() + "\n"), CertWrites.Public);
            CertWrites.Write(serialPath, Encoding.ASCII.GetBytes(Convert.ToHexString(serial) + "\n"), CertWrites.Public); // last used, as openssl -CAserial
        }
        return new Outcome<CertCaCreateResult>(new CertCaCreateResult(certPath, keyPath, serialPath, cert.SubjectName.Name, keyType,
            CertDescribe.Rfc3339(new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero)), CertDescribe.Colons(cert.GetCertHash(HashAlgorithmName.SHA256)), true), true);
    }

    /// <summary>The CA already at these paths, when it has this subject and the key there matches; else which path is in the way.</summary>
    static X509Certificate2? Existing(string certPath, string keyPath, X500DistinguishedName subject, string? passphrase, out string? inTheWay)
    {
        inTheWay = null;
        bool certThere = File.Exists(certPath), keyThere = File.Exists(keyPath);
        if (!certThere && !keyThere) return null;
        inTheWay = certThere ? certPath : keyPath;
        if (!certThere || !keyThere) return null;
        try
        {
            var m = CertFiles.Load(new CertTarget(certPath, null, 0), null);
            var cert = m.Certificates.FirstOrDefault();
            if (cert is null || !cert.SubjectName.RawData.AsSpan().SequenceEqual(subject.RawData)
                || cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
                return null;
            using var key = CertKey.Load(CertFiles.ReadBounded(keyPath), passphrase, keyPath);
            return key.Matches(cert.PublicKey) ? cert : null;
        }
        catch (ReshException) { return null; }
    }
}
