using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcMask
{
    public static readonly VerbInfo Verb = VerbInfo.Define("mask", Effect.Mutate,
        "Mask a unit so nothing can start it (systemd only).",
        [ServiceManagers.BackendArg], () => SvcJson.Default.SvcActionResult, ctx => SvcFlow.SetStateAsync(ctx, "mask", false),
        examples: [new("svc://telnet.mask", "Make telnet.service impossible to start.")]);
}
