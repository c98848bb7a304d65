using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Secret.Verbs;

public static class SecretExists
{
    public static readonly VerbInfo Verb = VerbInfo.Define("exists", Effect.Read,
        "Whether a secret exists (absence is data, not an error).",
        [.. SecretArgs.BackendArgs], () => SecretJson.Default.SecretExistsResult, Run,
        examples: [new("secret://db/app.exists", "true or false, and the current version.")]);

    static Outcome<SecretExistsResult> Run(VerbContext ctx)
    {
        var name = SecretArgs.Name(ctx);
        var backend = SecretArgs.BackendFor(ctx);
        var meta = backend.Describe(name);
        return new SecretExistsResult(name, backend.Name, meta is not null, meta?.Version);
    }
}
