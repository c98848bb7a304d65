using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcTryRestart
{
    public static readonly VerbInfo Verb = VerbInfo.Define("try-restart", Effect.Mutate,
        "Restart a service only if it is running.",
        [ServiceManagers.SettleArg, ServiceManagers.BackendArg], () => SvcJson.Default.SvcActionResult, ctx => SvcFlow.ActAsync(ctx, "try-restart"),
        examples: [new("svc://nginx.try-restart", "Restart nginx if it runs; otherwise nothing.")]);
}
