using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Secret.Keystore;

namespace Resh.Handles.Secret.Verbs;

public static class SecretGenerate
{
    public static readonly VerbInfo Verb = VerbInfo.Define("generate", Effect.Mutate,
        "Create a secret with a random value (length and charset, or bytes); the value is never shown.",
        [SecretArgs.Length, SecretArgs.Charset, SecretArgs.Bytes, SecretArgs.Tags, .. SecretArgs.BackendArgs], () => SecretJson.Default.SecretWriteResult, Run,
        examples:
        [
            new("secret://db/app.generate", "32 random letters and digits."),
            new("secret://api/key.generate length=48 charset=base64url", "48 URL-safe characters."),
            new("secret://backup/key.generate bytes=32", "A 256-bit binary key."),
        ],
        notes: "A secret that exists already is a `conflict` (rotate gives it a new random value and keeps the old one). The way the value was made is remembered for rotate.");

    static Outcome<SecretWriteResult> Run(VerbContext ctx)
    {
        var name = SecretArgs.Name(ctx);
        var backend = SecretArgs.Writable(ctx);
        var spec = Spec(ctx, null);
        var tags = SecretArgs.TagsOf(ctx);
        var keep = KeystoreChange.MaxVersions(ctx);
        return KeystoreChange.Run(ctx, backend, store =>
        {
            if (store.Find(name) is not null)
                throw ReshError.Conflict($"The secret {name} exists already.", $"Give it a new random value with resh secret://{name}.rotate, or delete it first.").ToException();
            var entry = store.AddEntry(name);
            var (value, description) = Generator.Make(spec);
            store.AddVersion(entry, value, keep);
            entry.Generator = spec;
            if (tags is not null) entry.Tags = tags;
            return (new SecretWriteResult(name, "local", entry.Current, null, true, description, null, KeystoreChange.Tags(entry)), true);
        });
    }

    /// <summary>The generator from the arguments, falling back to how the secret was made before (rotate).</summary>
    internal static GeneratorSpec Spec(VerbContext ctx, GeneratorSpec? previous)
    {
        var bytes = ctx.Get(SecretArgs.Bytes);
        var length = ctx.Get(SecretArgs.Length);
        var charset = ctx.Get(SecretArgs.Charset);
        if (bytes is not null && (length is not null || charset is not null))
            throw ReshError.Usage("bytes= makes a binary value; it does not combine with length= or charset=.", "Give bytes=N, or length=N and charset=NAME.").ToException();
        if (bytes is not null) return new GeneratorSpec { Bytes = (int)bytes };
        if (length is null && charset is null && previous is not null) return previous;
        return new GeneratorSpec { Charset = charset ?? "alnum", Length = (int)(length ?? Generator.DefaultLength) };
    }
}
