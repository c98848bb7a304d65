using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcReload
{
    public static readonly VerbInfo Verb = VerbInfo.Define("reload", Effect.Mutate,
        "Ask a running service to reload its configuration.",
        [ServiceManagers.BackendArg], () => SvcJson.Default.SvcActionResult, ctx => SvcFlow.ActAsync(ctx, "reload"),
        examples: [new("svc://nginx.reload", "nginx re-reads its config.")]);
}
