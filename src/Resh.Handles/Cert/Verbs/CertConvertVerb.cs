using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertConvertVerb
{
    static readonly Arg<string?> Out = Arg.String("out", "Where the converted file goes (written atomically; 0600 when it holds a private key).", required: true);
    static readonly Arg<string?> Format = Arg.Enum("to", "Output format (default: from out's extension: .der/.cer → der, .p12/.pfx → pkcs12, else pem).", ["pem", "der", "pkcs12"], aliases: ["out_format"]);
    static readonly Arg<string?> KeyPath = Arg.String("key", "A private key file to bundle with the certificate (PKCS#12, or a PEM bundle).");
    static readonly Arg<SecretRef?> Passphrase = CertBuild.PassphraseArg("Passphrase of key= (or of an encrypted key in the target).");
    static readonly Arg<IReadOnlyList<string>> Chain = Arg.List("chain", "Files with intermediate (and root) certificates to bundle after the leaf.");
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
            + "PKCS#12 output is PBES2 (AES-256-CBC, HMAC-SHA256 PBKDF2) with the leaf, its key and the chain, as `openssl pkcs12 -export` writes by default. Passwords are secret-typed: never put them in argv. "
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
                (certs, key) = ReadPkcs12(inBytes, ctx.GetSecret(CertLoad.Password)?.Reveal(), inPath);
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
                    output = WritePkcs12(certs, key, outPassword);
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

    static (List<X509Certificate2>, CertKey?) ReadPkcs12(byte[] bytes, string? password, string path)
    {
        var store = new Pkcs12StoreBuilder().Build();
        try { store.Load(new MemoryStream(bytes), (password ?? "").ToCharArray()); }
        catch (Exception ex) when (ex is not ReshException and not OperationCanceledException and not OutOfMemoryException)
        {
            throw ReshError.Usage(password is null ? $"{path} is a PKCS#12 bundle that needs a password." : $"{path} cannot be opened with the password given.",
                "Give password=secret:NAME (or env:VAR, file:PATH, @-).").ToException();
        }
        var certs = new List<X509Certificate2>();
        CertKey? key = null;
        try
        {
            Collect(store, certs, ref key);
        }
        catch (Exception ex) when (ex is not ReshException and not OutOfMemoryException)
        {
            foreach (var c in certs) c.Dispose();
            key?.Dispose();
            throw ReshError.Usage($"{path} is a PKCS#12 bundle with an entry resh cannot read.", "Check it with openssl pkcs12 -info.").ToException();
        }
        return (certs, key);
    }

    static void Collect(Pkcs12Store store, List<X509Certificate2> certs, ref CertKey? key)
    {
        foreach (var alias in store.Aliases)
        {
            if (!store.IsKeyEntry(alias) || key is not null) continue;
            var pkcs8 = PrivateKeyInfoFactory.CreatePrivateKeyInfo(store.GetKey(alias).Key).GetDerEncoded();
            key = CertKey.FromPkcs8(pkcs8);
            CryptographicOperations.ZeroMemory(pkcs8);
            foreach (var e in store.GetCertificateChain(alias) ?? [])
                certs.Add(X509CertificateLoader.LoadCertificate(e.Certificate.GetEncoded()));
        }
        foreach (var alias in store.Aliases)
            if (store.IsCertificateEntry(alias) && store.GetCertificate(alias) is { } e)
            {
                var raw = e.Certificate.GetEncoded();
                if (!certs.Any(c => c.RawData.AsSpan().SequenceEqual(raw))) certs.Add(X509CertificateLoader.LoadCertificate(raw));
            }
    }

    static byte[] WritePkcs12(List<X509Certificate2> certs, CertKey? key, string password)
    {
        var store = new Pkcs12StoreBuilder()
            .SetKeyAlgorithm(NistObjectIdentifiers.IdAes256Cbc, PkcsObjectIdentifiers.IdHmacWithSha256)
            .SetCertAlgorithm(NistObjectIdentifiers.IdAes256Cbc, PkcsObjectIdentifiers.IdHmacWithSha256)
            .Build();
        var parser = new Org.BouncyCastle.X509.X509CertificateParser();
        var entries = certs.Select(c => new X509CertificateEntry(parser.ReadCertificate(c.RawData))).ToArray();
        if (key is not null)
        {
            var pkcs8 = key.ExportPkcs8();
            try { store.SetKeyEntry("1", new AsymmetricKeyEntry(PrivateKeyFactory.CreateKey(pkcs8)), entries); }
            finally { CryptographicOperations.ZeroMemory(pkcs8); }
        }
        else
            for (int i = 0; i < entries.Length; i++) store.SetCertificateEntry((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), entries[i]);
        using var ms = new MemoryStream();
        store.Save(ms, password.ToCharArray(), new SecureRandom());
        return ms.ToArray();
    }
}
