using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcDisable
{
    static readonly Arg<bool> Now = Arg.Bool("now", "Also stop it now.");

    public static readonly VerbInfo Verb = VerbInfo.Define("disable", Effect.Mutate,
        "Disable a service at boot (now=true also stops it).",
        [Now, ServiceManagers.BackendArg], () => SvcJson.Default.SvcActionResult, ctx => SvcFlow.SetStateAsync(ctx, "disable", ctx.Get(Now)),
        examples: [new("'svc://nginx.disable(now=true)'", "Disable and stop nginx.")]);
}
