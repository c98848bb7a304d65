using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Firewall;

public static class FirewallPolicySet
{
    static readonly Arg<string?> Direction = Arg.Enum("direction", "Which default: in, out or forward.", ["in", "out", "forward"], "in", aliases: ["chain"]);
    static readonly Arg<string?> Policy = Arg.Enum("policy", "What happens to traffic no rule accepted.", ["accept", "drop"], required: true);

    public static readonly VerbInfo Verb = VerbInfo.Define("policy.set", Effect.Mutate,
        "Set the default for traffic no rule matched (accept or drop) on resh's chain for a direction.",
        [Direction, Policy, FirewallFlow.Confirm, FirewallFlow.Force, FirewallFlow.BackendArg], () => FirewallJson.Default.FwChangeResult, RunAsync,
        examples: [new("'firewall://.policy.set(policy=drop,confirm=60s)'", "Default-deny incoming, rolled back unless confirmed.")],
        notes: "nftables: the policy of resh's base chain; iptables: the built-in chain's policy; ufw: `ufw default`; firewalld: the zone's target. "
            + "Dropping incoming traffic while no resh rule accepts the SSH session resh runs under is refused without force=true.",
        targetHelp: "Empty: firewall://.policy.set(...)");

    static async ValueTask<Outcome<FwChangeResult>> RunAsync(VerbContext ctx)
    {
        FirewallFlow.RequireRoot(ctx);
        var (backend, _) = FirewallFlow.Open(ctx);
        var current = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
        var desired = new DesiredState(current.Managed, new Dictionary<string, string> { [ctx.Get(Direction)!] = ctx.Get(Policy)! });
        return await FirewallFlow.ApplyAsync(ctx, backend, current, desired, "policy_set", [], ctx.Get(FirewallFlow.Force)).ConfigureAwait(false);
    }
}

public static class FirewallApply
{
    static readonly Arg<JsonNode?> Rules = Arg.Json("rules", "The complete list of rules resh should manage, in order: objects with action, port, proto, from, to, iface, direction, family, rate_limit, log, comment.",
        required: true, examples: ["[{\"action\":\"accept\",\"port\":\"443\",\"proto\":\"tcp\"}]", "@rules.json"]);
    static readonly Arg<JsonNode?> Policies = Arg.Json("policies", "Default policies to set, e.g. {\"in\":\"drop\"}.", examples: ["{\"in\":\"drop\"}"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("apply", Effect.Mutate,
        "Make resh's rules exactly this list (and policies) in one atomic change: rules not listed are removed; --dry-run shows the diff and the native commands.",
        [Rules, Policies, FirewallFlow.Confirm, FirewallFlow.Force, FirewallFlow.BackendArg], () => FirewallJson.Default.FwChangeResult, RunAsync,
        examples:
        [
            new("firewall://.apply 'rules:=[{\"action\":\"accept\",\"port\":\"443\",\"proto\":\"tcp\"}]' --dry-run", "What would change (rules=@rules.json reads a file)."),
            new("'firewall://.apply(rules:=[{\"action\":\"accept\",\"port\":\"22\",\"proto\":\"tcp\"}],policies:={\"in\":\"drop\"},confirm=60s)'", "SSH only, default drop, with a safety net."),
        ],
        notes: "The file may also be what firewall://.save (as=json, the default) wrote ({\"rules\": [...], \"policies\": {...}}). nftables and iptables apply it as one transaction; ufw and firewalld command by command.",
        targetHelp: "Empty: firewall://.apply(...)");

    static async ValueTask<Outcome<FwChangeResult>> RunAsync(VerbContext ctx)
    {
        FirewallFlow.RequireRoot(ctx);
        var (specs, pols) = Parse(ctx.Get(Rules), ctx.Get(Policies));
        var (backend, _) = FirewallFlow.Open(ctx);
        var current = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
        var desired = new DesiredState(specs, pols);
        return await FirewallFlow.ApplyAsync(ctx, backend, current, desired, "applied", specs.Select((s, i) => s.ToRule(backend.Name, i)).ToList(),
            ctx.Get(FirewallFlow.Force)).ConfigureAwait(false);
    }

    /// <summary>Rule objects (the apply/save JSON form) to validated specs; duplicates collapse to one.</summary>
    public static (List<RuleSpec> Rules, Dictionary<string, string> Policies) Parse(JsonNode? rulesNode, JsonNode? policiesNode)
    {
        JsonArray? arr = rulesNode as JsonArray;
        if (rulesNode is JsonObject whole)
        {
            arr = whole["rules"] as JsonArray;
            policiesNode ??= whole["policies"];
        }
        if (arr is null) throw ReshError.Usage("rules must be a JSON array of rule objects (or a saved {\"rules\": [...]} document).", "Example: rules:=[{\"action\":\"accept\",\"port\":\"443\"}]").ToException();
        var list = new List<RuleSpec>();
        int i = 0;
        foreach (var node in arr)
        {
            if (node is not JsonObject o) throw ReshError.Usage($"rules[{i}] is not an object.", null).ToException();
            try
            {
                var spec = RuleSpec.Create(S(o, "family"), S(o, "direction"), S(o, "proto"), Ports(o["ports"] ?? o["port"]), S(o, "from") ?? S(o, "source"),
                    S(o, "to") ?? S(o, "destination"), S(o, "iface"), S(o, "action") ?? throw ReshError.Usage($"rules[{i}] has no action.", null).ToException(),
                    S(o, "rate_limit"), o["log"] is JsonValue lv && lv.TryGetValue<bool>(out var b) && b, S(o, "comment"));
                if (!list.Any(x => x.Id == spec.Id)) list.Add(spec);
            }
            catch (ReshException e) when (e.Error.Code == ErrorCode.Usage)
            {
                throw ReshError.Usage($"rules[{i}]: {e.Error.Message}", e.Error.Hint).ToException();
            }
            i++;
        }
        var pols = new Dictionary<string, string>();
        if (policiesNode is JsonObject po)
            foreach (var (k, v) in po)
            {
                var val = v is JsonValue jv && jv.TryGetValue<string>(out var str) ? str : null;
                if (k is not ("in" or "out" or "forward") || val is not ("accept" or "drop"))
                    throw ReshError.Usage($"policies: `{k}` must be in/out/forward with accept or drop.", "Example: policies:={\"in\":\"drop\"}").ToException();
                pols[k] = val;
            }
        return (list, pols);
    }

    static string? S(JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => throw ReshError.Usage($"`{key}` must be a string.", null).ToException(),
    };

    static IEnumerable<string> Ports(JsonNode? n) => n switch
    {
        null => [],
        JsonArray a => a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : x?.ToJsonString() ?? ""),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        JsonValue v => [v.ToJsonString()],
        _ => throw ReshError.Usage("`port` must be a number, a string or a list.", null).ToException(),
    };
}

public static class FirewallSave
{
    static readonly Arg<string?> Format = Arg.Enum("as", "json (resh's model: its rules and policies; restorable on any backend) or native (the backend's own dump).", ["json", "native"], "json");
    static readonly Arg<string?> PathArg = Arg.String("path", "Write to this file (0600, atomically) instead of returning the content.", examples: ["/var/backups/firewall.json"], path: PathUse.Write);

    public static readonly VerbInfo Verb = VerbInfo.Define("save", Effect.Read,
        "Save the firewall: resh's rules and policies as JSON (for restore or apply), or the backend's native dump.",
        [Format, PathArg, FirewallFlow.BackendArg], () => FirewallJson.Default.FwSaveResult, RunAsync,
        examples: [new("firewall://.save path=/var/backups/firewall.json", "resh's rules, restorable with firewall://.restore."), new("firewall://.save as=native --format raw", "nft list ruleset / iptables-save.")],
        targetHelp: "Empty: firewall://.save");

    static async ValueTask<Outcome<FwSaveResult>> RunAsync(VerbContext ctx)
    {
        var (backend, _) = FirewallFlow.Open(ctx);
        string content;
        int count;
        if (ctx.Get(Format) == "native")
        {
            content = await backend.SaveNativeAsync(ctx.Cancellation).ConfigureAwait(false);
            // The rules the dump holds: nft's text has no per-rule marker, so they are counted from its JSON listing;
            // iptables-save rules are -A lines, ufw's ### tuple lines, firewalld's rich rules `rule ...` lines.
            count = backend is NftBackend
                ? (await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false)).Rules.Count
                : content.Split('\n').Select(l => l.TrimStart()).Count(l => l.StartsWith("-A ", StringComparison.Ordinal)
                    || l.StartsWith("### tuple", StringComparison.Ordinal) || l.StartsWith("rule ", StringComparison.Ordinal));
        }
        else
        {
            var state = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
            var snap = new FirewallSnapshot(backend.Name, state.Managed, state.Policies);
            content = JsonSerializer.Serialize(snap, FirewallJson.Default.FirewallSnapshot) + "\n";
            count = snap.Rules.Count;
        }
        if (ctx.Get(PathArg) is { } path)
        {
            AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(content), (UnixFileMode)0x180);
            return new FwSaveResult(backend.Name, ctx.Get(Format)!, Path.GetFullPath(path), count, null);
        }
        return new Outcome<FwSaveResult>(new FwSaveResult(backend.Name, ctx.Get(Format)!, null, count, content), false).WithRaw(RawPayload.FromText(content, newline: false));
    }
}

public static class FirewallRestore
{
    static readonly Arg<string?> PathArg = Arg.String("path", "A file written by firewall://.save (JSON or native).", required: true, examples: ["/var/backups/firewall.json"], path: PathUse.Read);

    public static readonly VerbInfo Verb = VerbInfo.Define("restore", Effect.Mutate,
        "Restore a saved firewall: a JSON save becomes resh's rules and policies (like apply); a native dump replaces the whole ruleset.",
        [PathArg, FirewallFlow.Confirm, FirewallFlow.Force, FirewallFlow.BackendArg], () => FirewallJson.Default.FwChangeResult, RunAsync,
        examples: [new("'firewall://.restore(path=/var/backups/firewall.json,confirm=60s)'", "Back to the saved rules, with a safety net.")],
        notes: "A native dump (nft list ruleset, iptables-save) replaces every table, other tools' included, so it needs force=true; JSON only touches resh's rules.",
        targetHelp: "Empty: firewall://.restore(path=...)");

    static async ValueTask<Outcome<FwChangeResult>> RunAsync(VerbContext ctx)
    {
        FirewallFlow.RequireRoot(ctx);
        var path = ctx.Get(PathArg)!;
        string text;
        try { text = await File.ReadAllTextAsync(path, ctx.Cancellation).ConfigureAwait(false); }
        catch (FileNotFoundException) { return ReshError.NotFound($"No file {path}.", null); }
        var (backend, _) = FirewallFlow.Open(ctx);
        var current = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
        if (text.TrimStart().StartsWith('{'))
        {
            JsonNode? node;
            try { node = JsonNode.Parse(text); }
            catch (JsonException) { return ReshError.Usage($"{path} is not valid JSON.", null); }
            var (specs, pols) = FirewallApply.Parse(node, null);
            return await FirewallFlow.ApplyAsync(ctx, backend, current, new DesiredState(specs, pols), "restored",
                specs.Select((s, i) => s.ToRule(backend.Name, i)).ToList(), ctx.Get(FirewallFlow.Force)).ConfigureAwait(false);
        }
        if (!ctx.Get(FirewallFlow.Force))
            return ReshError.Conflict("A native dump replaces the whole ruleset, other tools' rules included.", "Pass force=true (with confirm=60s for a safety net), or restore a JSON save.");
        var plan = backend.RestoreNative(text);
        if (ctx.DryRun) return Outcome.Changed(new FwChangeResult(backend.Name, "restored", [], plan.Display, null, null));
        PendingInfo? pending = ctx.Get(FirewallFlow.Confirm) is { } w ? PendingChanges.Begin(backend, current, w) : null;
        await backend.ExecuteAsync(plan, ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new FwChangeResult(backend.Name, "restored", [], plan.Display, null, pending));
    }
}

public static class FirewallToggle
{
    public static readonly VerbInfo Enable = Define("enable", true,
        "Switch resh's rules (or ufw) on: nftables recreates resh's table, iptables adds the jumps to resh's chains, ufw runs `ufw enable`.");

    public static readonly VerbInfo Disable = Define("disable", false,
        "Switch resh's rules (or ufw) off without losing them: nftables keeps resh's table aside, iptables removes the jumps and sets drop policies back to accept until enable, ufw runs `ufw disable`.");

    static VerbInfo Define(string name, bool on, string summary) => VerbInfo.Define(name, Effect.Mutate, summary,
        [FirewallFlow.BackendArg], () => FirewallJson.Default.FwChangeResult, ctx => RunAsync(ctx, on),
        examples: [new($"firewall://.{name}", on ? "Rules back in force." : "Traffic passes resh's rules untouched; enable brings them back.")],
        notes: "Other tools' rules are never touched. For firewalld, start or stop the service (svc://firewalld).",
        targetHelp: $"Empty: firewall://.{name}");

    static async ValueTask<Outcome<FwChangeResult>> RunAsync(VerbContext ctx, bool on)
    {
        FirewallFlow.RequireRoot(ctx);
        var (backend, _) = FirewallFlow.Open(ctx);
        var current = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
        var plan = await backend.SetActiveAsync(current, on, ctx.Cancellation).ConfigureAwait(false);
        var action = on ? "enabled" : "disabled";
        if (plan.IsEmpty) return new FwChangeResult(backend.Name, "none", [], [], null, null);
        if (ctx.DryRun) return Outcome.Changed(new FwChangeResult(backend.Name, action, current.ManagedRules.ToList(), plan.Display, null, null));
        // nftables keeps the rules and policies aside (its table goes); iptables keeps the built-in chains' policies,
        // which it sets back to ACCEPT while resh is off (as `ufw disable` does), so a drop policy cannot outlive the rules.
        var keepsAside = backend is NftBackend or IptablesBackend;
        if (!on && keepsAside) FirewallStateStore.SaveDisabled(new FirewallSnapshot(backend.Name, current.Managed, current.Policies));
        await backend.ExecuteAsync(plan, ctx.Cancellation).ConfigureAwait(false);
        if (on && keepsAside) FirewallStateStore.DeleteDisabled(backend.Name);
        if (!on && backend is IptablesBackend && current.Policies.Any(p => p.Value != "accept"))
            ctx.Warn($"The {string.Join(", ", current.Policies.Where(p => p.Value != "accept").Select(p => p.Key).Order(StringComparer.Ordinal))} policy is ACCEPT while resh is disabled; firewall://.enable sets it back to {current.Policies.First(p => p.Value != "accept").Value}.");
        return Outcome.Changed(new FwChangeResult(backend.Name, action, current.ManagedRules.ToList(), plan.Display, null, null));
    }
}

public static class FirewallConfirm
{
    public static readonly VerbInfo Verb = VerbInfo.Define("confirm", Effect.Mutate,
        "Keep a change made with confirm=: cancels its automatic rollback.",
        [FirewallFlow.BackendArg], () => FirewallJson.Default.FwChangeResult, RunAsync,
        examples: [new("firewall://.confirm", "The change made with confirm=60s stays.")],
        notes: "Without a pending change this is `changed: false`.", targetHelp: "Empty: firewall://.confirm");

    static async ValueTask<Outcome<FwChangeResult>> RunAsync(VerbContext ctx)
    {
        FirewallFlow.RequireRoot(ctx);
        var (backend, _) = FirewallFlow.Open(ctx);
        await Task.CompletedTask.ConfigureAwait(false);
        using var _ = FirewallStateStore.Lock(backend.Name);
        var p = FirewallStateStore.LoadPending(backend.Name);
        if (p is null) return new FwChangeResult(backend.Name, "none", [], [], null, null);
        var info = PendingChanges.Info(p);
        if (ctx.DryRun) return Outcome.Changed(new FwChangeResult(backend.Name, "confirmed", [], [], null, info));
        FirewallStateStore.DeletePending(backend.Name);
        PendingChanges.StopTimer(p);
        return Outcome.Changed(new FwChangeResult(backend.Name, "confirmed", [], [], null, info));
    }
}

public static class FirewallRollback
{
    static readonly Arg<string?> Id = Arg.String("id", "Only roll back this pending change (the timer passes its own).");
    static readonly Arg<long?> At = Arg.Int("at", "Wait until this Unix time first (used by the rollback timer).", min: 0);

    public static readonly VerbInfo Verb = VerbInfo.Define("rollback", Effect.Mutate,
        "Undo a change made with confirm= now, instead of waiting for its deadline.",
        [Id, At, FirewallFlow.BackendArg], () => FirewallJson.Default.FwChangeResult, RunAsync,
        examples: [new("firewall://.rollback", "Back to resh's rules as they were before the unconfirmed change.")],
        notes: "The detached timer started by confirm= runs this verb with id= and at=; if the change was confirmed meanwhile, it does nothing.",
        targetHelp: "Empty: firewall://.rollback");

    static async ValueTask<Outcome<FwChangeResult>> RunAsync(VerbContext ctx)
    {
        FirewallFlow.RequireRoot(ctx);
        if (ctx.Get(At) is { } at)
        {
            var wait = DateTimeOffset.FromUnixTimeSeconds(at) - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ctx.Cancellation).ConfigureAwait(false);
        }
        var (backend, _) = FirewallFlow.Open(ctx);
        using var _ = FirewallStateStore.Lock(backend.Name);
        var p = FirewallStateStore.LoadPending(backend.Name);
        if (p is null || (ctx.Get(Id) is { } id && p.Id != id)) return new FwChangeResult(backend.Name, "none", [], [], null, null);
        var current = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
        var desired = new DesiredState(p.Snapshot.Rules, p.Snapshot.Policies);
        var plan = backend.Plan(current, desired);
        var diff = Resh.Core.Text.Diff.Unified(FirewallFlow.Describe(current.Managed, current.Policies), FirewallFlow.Describe(desired.Rules, new Dictionary<string, string>(current.Policies.Concat(desired.Policies).GroupBy(k => k.Key).ToDictionary(g => g.Key, g => g.Last().Value))), "resh-rules");
        if (ctx.DryRun) return Outcome.Changed(new FwChangeResult(backend.Name, "rolled_back", [], plan.Display, diff, PendingChanges.Info(p)));
        await backend.ExecuteAsync(plan, ctx.Cancellation).ConfigureAwait(false);
        FirewallStateStore.DeletePending(backend.Name);
        if (ctx.Get(At) is null) PendingChanges.StopTimer(p);
        return Outcome.Changed(new FwChangeResult(backend.Name, "rolled_back", p.Snapshot.Rules.Select((s, i) => s.ToRule(backend.Name, i)).ToList(), plan.Display, diff, null));
    }
}
