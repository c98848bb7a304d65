using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Formats.Asn1;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertConvertVerb
{
    static readonly Arg<string?> Out = Arg.String("out", "Where the converted file goes (written atomically; 0600 when it holds a private key).", required: true, path: PathUse.Write);
    static readonly Arg<string?> Format = Arg.Enum("to", "Output format (default: from out's extension: .der/.cer → der, .p12/.pfx → pkcs12, else pem).", ["pem", "der", "pkcs12"], aliases: ["out_format"]);
    static readonly Arg<string?> KeyPath = Arg.String("key", "A private key file to bundle with the certificate (PKCS#12, or a PEM bundle).", path: PathUse.Read);
    static readonly Arg<SecretRef?> Passphrase = CertBuild.PassphraseArg("Passphrase of key= (or of an encrypted key in the target).");
    static readonly Arg<IReadOnlyList<string>> Chain = Arg.List("chain", "Files with intermediate (and root) certificates to bundle after the leaf.", path: PathUse.Read);
    static readonly Arg<SecretRef?> OutPassword = Arg.Secret("out_password", "Password of the PKCS#12 written (required for pkcs12), or passphrase to encrypt the key in PEM output.");
    static readonly Arg<bool> NoKey = Arg.Bool("no_key", "Leave the private key out of the output (certificates only).");

    public static readonly VerbInfo Verb = VerbInfo.Define("convert", Effect.Mutate,
        "Convert certificates and keys between PEM, DER and PKCS#12 (with a secret-typed password), bundling a key and a chain.",
        [Out, Format, KeyPath, Passphrase, Chain, CertLoad.Password, OutPassword, NoKey], () => CertJson.Default.CertConvertResult, Run,
        examples:
        [
            new("cert:///etc/ssl/site.pem convert out=/tmp/site.p12 key=/etc/ssl/private/site.key chain=/etc/ssl/inter.pem out_password=secret:p12/site", "A PKCS#12 bundle for a Java or Windows server."),
            new("cert:///tmp/site.p12 convert out=/tmp/site-full.pem password=env:P12PASS", "Certificates and key out of a PKCS#12 bundle (PEM, 0600)."),
            new("cert:///tmp/site.pem convert out=/tmp/site.der", "The leaf certificate in DER."),
        ],
        notes: "PEM output holds the leaf, then the chain, then the key (PKCS#8, encrypted when out_password= is given). DER output holds one object: the leaf certificate, or the key when the target holds only a key. "
            + "PKCS#12 output is PBES2 (AES-256-CBC, HMAC-SHA256 PBKDF2) with the leaf, its key and the chain, as `openssl pkcs12 -export` writes by default, for rsa, ecdsa and ed25519 keys; bundles openssl writes (PBES2) are read, an ed25519 key included. Passwords are secret-typed: never put them in argv. "
            + "Each run rewrites the output (`changed: true`) unless its content would be the same (PEM and DER).");

    static Outcome<CertConvertResult> Run(VerbContext ctx)
    {
        var inPath = FilePaths.Resolve(ctx);
        var outPath = FilePaths.ResolveArg(ctx, ctx.Get(Out)!, "out");
        if (outPath == inPath) return ReshError.Usage("out= is the target itself.", "Write the conversion to another file.");
        var format = ctx.Get(Format) ?? Path.GetExtension(outPath).ToLowerInvariant() switch
        {
            ".der" or ".cer" => "der",
            ".p12" or ".pfx" => "pkcs12",
            _ => "pem",
        };
        var passphrase = ctx.GetSecret(Passphrase)?.Reveal();
        var inBytes = CertFiles.ReadBounded(inPath);
        var certs = new List<X509Certificate2>();
        CertKey? key = null;
        try
        {
            if (IsPkcs12(inBytes))
                (certs, key) = ReadPkcs12(inBytes, ctx.GetSecret(CertLoad.Password)?.Reveal(), inPath, ctx.Get(NoKey));
            else
            {
                using (var m = CertFiles.Load(new CertTarget(inPath, null, 0), null))
                {
                    certs.AddRange(m.Certificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawData)));
                    if (m.Keys.Count > 0) key = CertKey.Load(inBytes, passphrase, inPath);
                }
            }
            if (ctx.Get(KeyPath) is { } kp)
            {
                var keyPath = FilePaths.ResolveArg(ctx, kp, "key");
                key?.Dispose();
                key = CertKey.Load(CertFiles.ReadBounded(keyPath), passphrase, keyPath);
            }
            foreach (var c in ctx.Get(Chain))
            {
                var p = FilePaths.ResolveArg(ctx, c, "chain");
                using var m = CertFiles.Load(new CertTarget(p, null, 0), null);
                if (m.Certificates.Count == 0) return ReshError.Usage($"The chain file {p} holds no certificate.", "Name PEM files of intermediate certificates.");
                foreach (var x in m.Certificates)
                    if (!certs.Any(have => have.RawDataMemory.Span.SequenceEqual(x.RawDataMemory.Span)))
                        certs.Add(X509CertificateLoader.LoadCertificate(x.RawData));
            }
            if (ctx.Get(NoKey)) { key?.Dispose(); key = null; }
            if (key is not null && certs.Count > 0 && !key.Matches(certs[0].PublicKey))
                return ReshError.Usage("The private key does not belong to the first certificate.", "Pair the certificate with its own key (cert:// match checks).");

            var outPassword = ctx.GetSecret(OutPassword)?.Reveal();
            byte[] output;
            switch (format)
            {
                case "der":
                    if (certs.Count > 0) { output = certs[0].RawData; key = Drop(key); }
                    else if (key is not null) output = key.ExportPkcs8();
                    else return ReshError.Usage($"{inPath} holds nothing to convert.", null);
                    break;
                case "pkcs12":
                    if (certs.Count == 0) return ReshError.Usage("A PKCS#12 bundle needs a certificate.", "Convert a certificate file (with key=).");
                    if (outPassword is null) return ReshError.Usage("A PKCS#12 bundle needs a password.", "Give out_password=secret:NAME (or env:VAR, file:PATH, @-).");
                    output = key is { Type: "ed25519" } ? CertPkcs12Ed25519.Write(certs, key, outPassword) : WritePkcs12(certs, key, outPassword);
                    break;
                default:
                    var sb = new StringBuilder();
                    foreach (var c in certs) sb.Append(c.ExportCertificatePem()).Append('\n');
                    var pem = Encoding.ASCII.GetBytes(sb.ToString());
                    output = key is null ? pem : [.. pem, .. key.ExportPem(outPassword)];
                    if (output.Length == 0) return ReshError.Usage($"{inPath} holds nothing to convert.", null);
                    break;
            }
            CertWrites.CheckDestination(outPath, key is null ? "output" : "key");
            bool same = format != "pkcs12" && SameContent(outPath, output);
            if (!same && !ctx.DryRun) CertWrites.Write(outPath, output, key is null ? CertWrites.Public : CertWrites.Private);
            CryptographicOperations.ZeroMemory(output);
            return new Outcome<CertConvertResult>(new CertConvertResult(inPath, outPath, format, certs.Count, key is not null,
                certs.Count > 0 ? CertDescribe.Colons(certs[0].GetCertHash(HashAlgorithmName.SHA256)) : null), !same);
        }
        finally
        {
            foreach (var c in certs) c.Dispose();
            key?.Dispose();
        }
    }

    static CertKey? Drop(CertKey? key)
    {
        key?.Dispose();
        return null;
    }

    static bool SameContent(string path, byte[] content)
    {
        if (Core.Platform.Posix.Stat(path, follow: false, out _) is not { IsRegular: true } st || st.Size != content.Length) return false;
        try { return CryptographicOperations.FixedTimeEquals(File.ReadAllBytes(path), content); }
        catch (IOException) { return false; }
    }

    static bool IsPkcs12(byte[] bytes)
    {
        try { return X509Certificate2.GetCertContentType(bytes) == X509ContentType.Pkcs12; }
        catch (CryptographicException) { return false; }
    }

    static (List<X509Certificate2>, CertKey?) ReadPkcs12(byte[] bytes, string? password, string path, bool noKey)
    {
        X509Certificate2Collection collection;
        try
        {
            // no_key=true: the keys are not even decrypted (so a bundle with a key the platform cannot load still gives its certificates).
            var limits = noKey ? new Pkcs12LoaderLimits { IgnorePrivateKeys = true } : null;
            collection = X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable, limits);
        }
        catch (CryptographicException)
        {
            if (Opens(bytes, password) && CertPkcs12Ed25519.TryRead(bytes, password, noKey) is { } ed) return ed;
            if (Opens(bytes, password))
                throw ReshError.Usage($"{path} is a PKCS#12 bundle with an entry resh cannot read (an Ed25519 or other key the platform does not load).",
                    "Extract it with openssl pkcs12 -nodes, then convert the PEM.").ToException();
            throw (password is null
                ? ReshError.Usage($"{path} is a PKCS#12 bundle that needs a password.", "Give password=secret:NAME (or env:VAR, file:PATH, @-).")
                : ReshError.PermissionDenied($"{path} cannot be opened with the password given.", "Check the password (password=secret:NAME, env:VAR, file:PATH or @-).")).ToException();
        }
        // The certificate that carries the key first (the leaf), then the others in file order, as in a PEM chain.
        var certs = collection.OrderByDescending(c => c.HasPrivateKey).ToList();
        CertKey? key = null;
        try
        {
            if (certs.Count > 0 && certs[0].HasPrivateKey)
            {
                using AsymmetricAlgorithm? alg = (AsymmetricAlgorithm?)certs[0].GetRSAPrivateKey() ?? certs[0].GetECDsaPrivateKey();
                if (alg is null) throw new CryptographicException("unsupported key");
                var pkcs8 = alg.ExportPkcs8PrivateKey();
                try { key = CertKey.FromPkcs8(pkcs8); }
                finally { CryptographicOperations.ZeroMemory(pkcs8); }
            }
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            foreach (var c in certs) c.Dispose();
            throw ReshError.Usage($"{path} is a PKCS#12 bundle with an entry resh cannot read.", "Check it with openssl pkcs12 -info.").ToException();
        }
        return (certs, key);
    }

    /// <summary>The bundle opens with this password when its private keys are left out (so the failure was a key resh cannot load).</summary>
    static bool Opens(byte[] bytes, string? password)
    {
        try
        {
            var limits = new Pkcs12LoaderLimits { IgnorePrivateKeys = true };
            foreach (var c in X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.EphemeralKeySet, limits)) c.Dispose();
            return true;
        }
        catch (CryptographicException) { return false; }
    }

    /// <summary>
    /// PKCS#12 with the platform's writer: PBES2 (AES-256-CBC, PBKDF2-HMAC-SHA256) for the key and the certificates,
    /// HMAC-SHA256 integrity, as `openssl pkcs12 -export` writes by default. The leaf carries the key.
    /// </summary>
    static byte[] WritePkcs12(List<X509Certificate2> certs, CertKey? key, string password)
    {
        var collection = new X509Certificate2Collection();
        X509Certificate2? leaf = null;
        try
        {
            if (key is not null)
            {
                leaf = key.Attach(certs[0]);
                collection.Add(leaf);
                foreach (var c in certs.Skip(1)) collection.Add(c);
            }
            else foreach (var c in certs) collection.Add(c);
            return collection.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
        }
        finally { leaf?.Dispose(); }
    }
}
