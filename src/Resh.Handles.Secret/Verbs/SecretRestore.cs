using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Secret.Verbs;

public static class SecretRestore
{
    static readonly Arg<long?> Version = Arg.Int("version", "The version whose value becomes current again.", required: true, min: 1);

    public static readonly VerbInfo Verb = VerbInfo.Define("restore", Effect.Mutate,
        "Make an older version's value current again, as a new version (history is never rewritten).",
        [Version, .. SecretArgs.BackendArgs], () => SecretJson.Default.SecretWriteResult, Run,
        examples: [new("secret://db/app.restore version=1", "Back to the first value.")],
        notes: "Restoring the value that is already current changes nothing.");

    static Outcome<SecretWriteResult> Run(VerbContext ctx)
    {
        var name = SecretArgs.Name(ctx);
        var backend = SecretArgs.Writable(ctx);
        var wanted = (int)ctx.Get(Version)!.Value;
        var keep = KeystoreChange.MaxVersions(ctx);
        return KeystoreChange.Run(ctx, backend, store =>
        {
            var entry = store.Find(name) ?? throw KeystoreChange.NotFound(name, "local");
            var old = entry.Version(wanted)
                ?? throw ReshError.NotFound($"{name} has no version {wanted}.", $"List its versions: resh secret://{name}.versions").ToException();
            var previous = entry.Current;
            var value = store.Read(entry, old);
            if (KeystoreChange.IsCurrent(store, entry, value))
                return (new SecretWriteResult(name, "local", entry.Current, previous, false, null, wanted, KeystoreChange.Tags(entry)), false);
            store.AddVersion(entry, value, keep);
            return (new SecretWriteResult(name, "local", entry.Current, previous, false, null, wanted, KeystoreChange.Tags(entry)), true);
        });
    }
}
