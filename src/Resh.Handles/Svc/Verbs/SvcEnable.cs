using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcEnable
{
    static readonly Arg<bool> Now = Arg.Bool("now", "Also start it now.");

    public static readonly VerbInfo Verb = VerbInfo.Define("enable", Effect.Mutate,
        "Enable a service at boot (now=true also starts it).",
        [Now, ServiceManagers.BackendArg], () => SvcJson.Default.SvcActionResult, ctx => SvcFlow.SetStateAsync(ctx, "enable", ctx.Get(Now)),
        examples: [new("'svc://nginx.enable(now=true)'", "Enable and start nginx.")]);
}
