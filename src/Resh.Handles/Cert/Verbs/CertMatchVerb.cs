using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Secrets;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertMatchVerb
{
    static readonly Arg<string?> Key = Arg.String("key", "The private key file (PEM).", required: true, path: PathUse.Read);
    static readonly Arg<SecretRef?> Passphrase = Arg.Secret("passphrase", "Passphrase of an encrypted private key.");

    public static readonly VerbInfo Verb = VerbInfo.Define("match", Effect.Read,
        "Whether a private key belongs to a certificate (file or endpoint): `conflict` when it does not.",
        [Key, Passphrase, CertLoad.Password, CertLoad.ServerName, CertLoad.StartTls], () => CertJson.Default.CertMatchResult, RunAsync,
        examples:
        [
            new("cert:///etc/nginx/site.pem.match key=/etc/nginx/site.key", "Before reloading nginx with a new pair."),
            new("cert://127.0.0.1:8443.match key=/etc/ssl/private/site.key", "Is the server using this key?"),
        ],
        notes: "Compares the certificate's public key with the one derived from the private key (rsa, ecdsa and ed25519 keys, PKCS#8 or traditional PEM, encrypted PKCS#8 with passphrase=). The key is never printed.");

    static async ValueTask<Outcome<CertMatchResult>> RunAsync(VerbContext ctx)
    {
        var target = CertTarget.Parse(ctx);
        var keyPath = FilePaths.ResolveArg(ctx, ctx.Get(Key)!, "key");
        using var m = await CertLoad.ReadAsync(ctx, target).ConfigureAwait(false);
        if (m.Certificates.Count == 0)
            return ReshError.Usage($"{target.Display} holds no certificate.", "Name a certificate file or a TLS endpoint.");
        var passphrase = ctx.GetSecret(Passphrase);
        byte[] keySpki;
        string keyType;
        using (var key = CertKey.Load(CertFiles.ReadBounded(keyPath), passphrase?.Reveal(), keyPath))
        {
            keySpki = key.ExportSubjectPublicKeyInfo();
            keyType = key.Type;
        }
        var leaf = m.Certificates[0];
        var matches = leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(keySpki);
        var fp = CertDescribe.Colons(leaf.GetCertHash(HashAlgorithmName.SHA256));
        if (!matches)
            return ReshError.Conflict($"The key {keyPath} does not belong to the certificate of {target.Display}.", "Pair the certificate with the key it was issued for (or issue a new one for this key).",
                new JsonObject { ["target"] = target.Display, ["key"] = keyPath, ["matches"] = false, ["fingerprint_sha256"] = fp });
        return new CertMatchResult(target.Display, keyPath, true, keyType, leaf.SubjectName.Name, fp);
    }
}
