using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Secret.Verbs;

public static class SecretRotate
{
    public static readonly VerbInfo Verb = VerbInfo.Define("rotate", Effect.Mutate,
        "Give a secret a new random value as a new version; the previous version is kept (restore brings it back).",
        [SecretArgs.Length, SecretArgs.Charset, SecretArgs.Bytes, .. SecretArgs.BackendArgs], () => SecretJson.Default.SecretWriteResult, Run,
        examples:
        [
            new("secret://db/app.rotate", "A new value made the way the last one was generated (else 32 letters and digits)."),
            new("secret://db/app.rotate length=64", "A longer one."),
        ]);

    static Outcome<SecretWriteResult> Run(VerbContext ctx)
    {
        var name = SecretArgs.Name(ctx);
        var backend = SecretArgs.Writable(ctx);
        var keep = KeystoreChange.MaxVersions(ctx);
        return KeystoreChange.Run(ctx, backend, store =>
        {
            var entry = store.Find(name) ?? throw KeystoreChange.NotFound(name, "local");
            var previous = entry.Current;
            var spec = SecretGenerate.Spec(ctx, entry.Generator);
            var (value, description) = Generator.Make(spec);
            store.AddVersion(entry, value, keep);
            entry.Generator = spec;
            return (new SecretWriteResult(name, "local", entry.Current, previous, false, description, null, KeystoreChange.Tags(entry)), true);
        });
    }
}
