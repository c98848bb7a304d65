using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Secret.Verbs;

public static class SecretList
{
    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "Secrets by name with versions, times and tags; never values.",
        [.. SecretArgs.BackendArgs], () => SecretJson.Default.SecretListResult, Run,
        examples:
        [
            new("secret://.list", "Every secret of the local keystore."),
            new("secret://db/.list", "Names under db/."),
            new("secret://.list backend=file dir=/run/secrets", "Mounted secret files."),
        ]);

    static Outcome<SecretListResult> Run(VerbContext ctx)
    {
        var prefix = SecretArgs.Prefix(ctx);
        var backend = SecretArgs.BackendFor(ctx);
        var items = backend.List(prefix).Select(m => new SecretInfo(m.Name, m.Version, m.Versions, m.Created, m.Updated, m.Tags)).ToList();
        return new SecretListResult(backend.Name, items.Count, items);
    }
}
