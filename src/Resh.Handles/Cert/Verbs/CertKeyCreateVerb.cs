using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;
using Resh.Handles.Files;

namespace Resh.Handles.Cert.Verbs;

public static class CertKeyCreateVerb
{
    static readonly Arg<string?> KeyType = Arg.Enum("type", "Key algorithm.", ["ecdsa", "rsa", "ed25519"], "ecdsa", aliases: ["key_type"]);
    static readonly Arg<long?> Size = Arg.Int("size", "Bits: 256 (P-256), 384 (P-384) or 521 (P-521) for ecdsa (default 256); 2048, 3072 or 4096 for rsa (default 3072); fixed for ed25519.", aliases: ["key_size"]);
    static readonly Arg<Core.Secrets.SecretRef?> Passphrase = CertBuild.PassphraseArg("Encrypt the key with this passphrase (PKCS#8, PBKDF2-HMAC-SHA256 + AES-256-CBC).");
    static readonly Arg<bool> Force = Arg.Bool("force", "Replace an existing key that differs (its old material is lost).");

    public static readonly VerbInfo Verb = VerbInfo.Define("key.create", Effect.Mutate,
        "Create a private key file (rsa, ecdsa P-256/P-384/P-521, ed25519), 0600 by atomic rename, optionally encrypted with a secret-typed passphrase.",
        [KeyType, Size, Passphrase, Force], () => CertJson.Default.CertKeyCreateResult, Run,
        examples:
        [
            new("cert:///etc/ssl/private/site.key key.create", "An ECDSA P-256 key, PKCS#8 PEM, mode 0600."),
            new("cert:///tmp/app.key key.create type=rsa size=4096 passphrase=secret:app/keypass", "An encrypted RSA key; the passphrase comes from the secret store."),
            new("cert:///tmp/ed.key key.create type=ed25519", "An Ed25519 key."),
        ],
        notes: "Idempotent: a key already there with the same type, size and encryption (readable with the passphrase given) is kept (`changed: false`). "
            + "A different or unreadable key is `conflict` unless force=true. A key path that is a symbolic link is refused; the key is written to a new 0600 file and renamed into place, "
            + "so it is never readable by others, not even for a moment. The result carries the SHA-256 of the public key (SubjectPublicKeyInfo), never the key.");

    static Outcome<CertKeyCreateResult> Run(VerbContext ctx)
    {
        var path = FilePaths.Resolve(ctx);
        var type = ctx.Get(KeyType)!;
        var size = (int)(ctx.Get(Size) ?? CertKey.DefaultSize(type));
        if (CertKey.SizeProblem(type, size) is { } problem)
            return ReshError.Usage($"size={size} is not valid for {type}.", problem);
        var passphrase = ctx.GetSecret(Passphrase)?.Reveal();
        if (passphrase is { Length: 0 }) return ReshError.Usage("The passphrase is empty.", "Give a non-empty passphrase, or none for an unencrypted key.");
        CertWrites.CheckDestination(path, "key");

        if (Posix.Stat(path, follow: false, out _) is not null)
        {
            string? why;
            CertKey? existing = null;
            try
            {
                var bytes = CertFiles.ReadBounded(path);
                bool encrypted = System.Text.Encoding.ASCII.GetString(bytes).Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal);
                existing = CertKey.Load(bytes, passphrase, path);
                why = existing.Type != type || existing.Size != size ? $"it is a {existing.Type} {existing.Size}-bit key"
                    : encrypted != (passphrase is not null) ? (encrypted ? "it is encrypted" : "it is not encrypted")
                    : null;
            }
            catch (ReshException ex) when (ex.Error.Code is ErrorCode.Usage or ErrorCode.PermissionDenied) { why = ex.Error.Message.TrimEnd('.'); }
            using (existing)
            {
                if (why is null)
                    return new CertKeyCreateResult(path, existing!.Type, existing.Size, existing.Curve, passphrase is not null, existing.PublicKeySha256, false);
                if (!ctx.Get(Force))
                    return ReshError.Conflict($"A different key is already at {path}: {why}.", "Keep it, pick another path, or pass force=true to replace it (the old key is lost).",
                        new JsonObject { ["path"] = path });
            }
        }
        using var key = CertKey.Generate(type, size);
        if (!ctx.DryRun) CertBuild.WriteKey(path, key, passphrase);
        return new Outcome<CertKeyCreateResult>(new CertKeyCreateResult(path, key.Type, key.Size, key.Curve, passphrase is not null, key.PublicKeySha256, true), true);
    }
}
