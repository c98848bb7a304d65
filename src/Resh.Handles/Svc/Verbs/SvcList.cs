using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Svc;

public static class SvcList
{
    static readonly Arg<IReadOnlyList<string>> State = Arg.List("state", "Only units in these states (active, inactive, failed, running, exited...).", examples: ["failed", "active,activating"]);
    static readonly Arg<IReadOnlyList<string>> Pattern = Arg.List("pattern", "Only names matching these shell patterns.", examples: ["nginx*", "*.timer"]);
    static readonly Arg<string?> Type = Arg.Enum("type", "Unit type when no pattern is given (systemd).", ["service", "timer", "socket", "target", "mount", "path", "all"], "service");
    static readonly Arg<bool> All = Arg.Bool("all", "Also list installed units that are not loaded.");

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "List services with their state and enablement, filtered by state and name pattern.",
        [State, Pattern, Type, All, ServiceManagers.BackendArg], () => SvcJson.Default.SvcListResult, RunAsync,
        examples:
        [
            new("svc://.list", "Loaded services."),
            new("'svc://.list(state=failed)'", "Failed services."),
            new("'svc://.list(pattern=ssh*,all=true)'", "Every ssh-ish unit, loaded or not."),
        ],
        targetHelp: "Empty: svc://.list");

    static async ValueTask<Outcome<SvcListResult>> RunAsync(VerbContext ctx)
    {
        using var mgr = await ServiceManagers.OpenAsync(ctx).ConfigureAwait(false);
        var patterns = ctx.Get(Pattern).ToList();
        if (patterns.Count == 0 && mgr.Backend == "systemd" && ctx.Get(Type) is { } t && t != "all") patterns.Add("*." + t);
        var rows = await mgr.ListAsync(ctx.Get(State), patterns, ctx.Get(All), ctx.Cancellation).ConfigureAwait(false);
        return new SvcListResult(mgr.Backend, rows.Count, rows);
    }
}
