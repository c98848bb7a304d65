using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Secret.Verbs;

public static class SecretVersions
{
    public static readonly VerbInfo Verb = VerbInfo.Define("versions", Effect.Read,
        "The versions a secret keeps, oldest first, and which is current.",
        [.. SecretArgs.BackendArgs], () => SecretJson.Default.SecretVersionsResult, Run,
        examples: [new("secret://db/app.versions", "Version numbers and times; never values.")]);

    static Outcome<SecretVersionsResult> Run(VerbContext ctx)
    {
        var name = SecretArgs.Name(ctx);
        var backend = SecretArgs.BackendFor(ctx);
        var meta = backend.Describe(name) ?? throw KeystoreChange.NotFound(name, backend.Name);
        var versions = backend.Versions(name).Select(v => new SecretVersionInfo(v.Version, v.Created, v.Current)).ToList();
        return new SecretVersionsResult(name, backend.Name, meta.Version, versions);
    }
}
