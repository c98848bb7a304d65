using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Secret.Verbs;

public static class SecretDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("delete", Effect.Destroy,
        "Delete a secret with all its versions (a secret that does not exist is not an error: changed: false).",
        [.. SecretArgs.BackendArgs], () => SecretJson.Default.SecretDeleteResult, Run,
        examples: [new("secret://db/app.delete", "Gone, every version."), new("secret://db/app.delete --dry-run", "What would go.")]);

    static Outcome<SecretDeleteResult> Run(VerbContext ctx)
    {
        var name = SecretArgs.Name(ctx);
        var backend = SecretArgs.Writable(ctx);
        if (!ctx.DryRun && backend.Store?.Find(name) is null)
            return new SecretDeleteResult(name, "local", false, 0); // nothing to do: no lock, no keystore created
        return KeystoreChange.Run(ctx, backend, store =>
        {
            var entry = store.Find(name);
            if (entry is null) return (new SecretDeleteResult(name, "local", false, 0), false);
            store.Body.Entries.Remove(entry);
            return (new SecretDeleteResult(name, "local", true, entry.Versions.Count), true);
        });
    }
}
