using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Firewall;

public static class FirewallStatus
{
    public static readonly VerbInfo Verb = VerbInfo.Define("status", Effect.Read,
        "Which backend, whether it is on, default policies, rule counts, the protected SSH session and any change waiting for confirmation.",
        [FirewallFlow.BackendArg], () => FirewallJson.Default.FwStatusResult, RunAsync,
        examples: [new("firewall://.status", "The firewall at a glance.")], targetHelp: "Empty: firewall://.status");

    static async ValueTask<Outcome<FwStatusResult>> RunAsync(VerbContext ctx)
    {
        var (backend, why) = FirewallFlow.Open(ctx);
        var state = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
        var pending = FirewallStateStore.LoadPending(backend.Name);
        return new FwStatusResult(backend.Name, why, state.Active, state.Policies, state.Rules.Count, state.ManagedRules.Count(),
            SshSession.Current()?.ToString(), pending is null ? null : PendingChanges.Info(pending));
    }
}

public static class FirewallRulesList
{
    static readonly Arg<bool> Managed = Arg.Bool("managed", "Only the rules resh added.");
    static readonly Arg<string?> Direction = Arg.Enum("direction", "Only rules for in, out or forward traffic.", ["in", "out", "forward"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("rules.list", Effect.Read,
        "Every rule of the backend in resh's model (family, chain, direction, proto, ports, addresses, action, counters); resh's own are marked managed.",
        [Managed, Direction, FirewallFlow.BackendArg], () => FirewallJson.Default.FwRulesResult, RunAsync,
        examples: [new("firewall://.rules.list --format table", "All rules as a table."), new("'firewall://.rules.list(managed=true)'", "Only resh's rules.")],
        notes: "Rules that use matches outside the model are listed with partial=true and their native form.",
        targetHelp: "Empty: firewall://.rules.list");

    static async ValueTask<Outcome<FwRulesResult>> RunAsync(VerbContext ctx)
    {
        var (backend, _) = FirewallFlow.Open(ctx);
        var state = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
        var dir = ctx.Get(Direction);
        var rules = state.Rules.Where(r => (!ctx.Get(Managed) || r.Managed) && (dir is null || r.Direction == dir)).ToList();
        return new FwRulesResult(backend.Name, rules.Count, rules);
    }
}
