using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Firewall;

/// <summary>allow / deny / reject: the everyday verbs, idempotent by the rule's id.</summary>
public static class FirewallEveryday
{
    public static readonly VerbInfo Allow = Define("allow", "accept",
        "Let traffic in (or out): port, proto, from, to, iface; an identical rule already there is `changed: false`.",
        [
            new("'firewall://.allow(port=443,proto=tcp,comment=web)'", "HTTPS from anywhere."),
            new("'firewall://.allow(port=22,proto=tcp,from=10.0.0.0/8)'", "SSH from the internal network only."),
        ]);

    public static readonly VerbInfo Deny = Define("deny", "drop",
        "Drop matching traffic silently (placed before resh's allow rules, so it wins).",
        [
            new("'firewall://.deny(from=10.0.0.0/8,port=22,confirm=60s)'", "Rolled back after 60 s unless firewall://.confirm is called."),
            new("'firewall://.deny(from=203.0.113.7)'", "Everything from one address."),
        ]);

    public static readonly VerbInfo Reject = Define("reject", "reject",
        "Refuse matching traffic (TCP reset / ICMP unreachable), placed before resh's allow rules.",
        [new("'firewall://.reject(port=25,proto=tcp)'", "Refuse SMTP quickly instead of timing out.")]);

    static VerbInfo Define(string name, string action, string summary, Example[] examples) => VerbInfo.Define(name, Effect.Mutate, summary,
        [.. RuleArgs.Match, FirewallFlow.Confirm, FirewallFlow.Force, FirewallFlow.BackendArg], () => FirewallJson.Default.FwChangeResult,
        ctx => RunAsync(ctx, action), examples: examples,
        notes: "The rule gets an id from its fields (same request, same id) and resh's marker in its comment; running the call again is `changed: false`, and a different comment updates it. "
            + "deny and reject go before resh's allow rules, allow goes after them. A rule that would drop the SSH session resh runs under is refused without force=true.",
        targetHelp: "Empty: firewall://.allow(...)");

    static async ValueTask<Outcome<FwChangeResult>> RunAsync(VerbContext ctx, string action)
    {
        FirewallFlow.RequireRoot(ctx);
        var spec = RuleArgs.Spec(ctx, action);
        return await AddAsync(ctx, spec, action == "accept" ? "bottom" : "top").ConfigureAwait(false);
    }

    /// <summary>Adds (or updates the comment of) one managed rule at the top or bottom of resh's rules, or at an index.</summary>
    public static async Task<Outcome<FwChangeResult>> AddAsync(VerbContext ctx, RuleSpec spec, string position)
    {
        var (backend, _) = FirewallFlow.Open(ctx);
        var current = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
        var rules = current.Managed;
        var existing = rules.FindIndex(r => r.Id == spec.Id);
        string action;
        if (existing >= 0)
        {
            if (rules[existing].Comment == spec.Comment) return new FwChangeResult(backend.Name, "none", [spec.ToRule(backend.Name, existing)], [], null, null);
            rules[existing] = spec;
            action = "updated";
        }
        else
        {
            var sameDir = rules.Where(r => r.Direction == spec.Direction).ToList();
            int at;
            if (position == "top") at = sameDir.Count == 0 ? rules.Count : rules.IndexOf(sameDir[0]);
            else if (position == "bottom") at = sameDir.Count == 0 ? rules.Count : rules.IndexOf(sameDir[^1]) + 1;
            else
            {
                var n = int.Parse(position, System.Globalization.CultureInfo.InvariantCulture);
                at = n >= sameDir.Count ? (sameDir.Count == 0 ? rules.Count : rules.IndexOf(sameDir[^1]) + 1) : rules.IndexOf(sameDir[n]);
            }
            rules.Insert(at, spec);
            action = "added";
        }
        var desired = new DesiredState(rules, new Dictionary<string, string>());
        return await FirewallFlow.ApplyAsync(ctx, backend, current, desired, action, [spec.ToRule(backend.Name, rules.IndexOf(spec))], ctx.Get(FirewallFlow.Force)).ConfigureAwait(false);
    }
}

public static class FirewallRulesAdd
{
    static readonly Arg<string?> Action = Arg.Enum("action", "What to do with matching traffic.", ["accept", "drop", "reject"], required: true);
    static readonly Arg<string?> Position = Arg.String("position", "Where among resh's rules of that direction: top, bottom, or a 0-based index.", "bottom", examples: ["top", "0", "3"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("rules.add", Effect.Mutate,
        "Add a rule with the full model (action, direction, family, proto, ports, addresses, interface, rate limit, log, comment) at a chosen position.",
        [Action, Position, .. RuleArgs.Match, FirewallFlow.Confirm, FirewallFlow.Force, FirewallFlow.BackendArg], () => FirewallJson.Default.FwChangeResult, RunAsync,
        examples:
        [
            new("'firewall://.rules.add(action=accept,proto=tcp,port=22,rate_limit=10/minute,log=true,position=top)'", "Rate-limited, logged SSH at the top."),
            new("'firewall://.rules.add(action=drop,direction=out,to=198.51.100.0/24)'", "Block traffic to a network."),
        ],
        targetHelp: "Empty: firewall://.rules.add(...)");

    static async ValueTask<Outcome<FwChangeResult>> RunAsync(VerbContext ctx)
    {
        FirewallFlow.RequireRoot(ctx);
        var pos = ctx.Get(Position)!;
        if (pos is not ("top" or "bottom") && (!int.TryParse(pos, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n > 100000))
            return ReshError.Usage($"position must be top, bottom or a 0-based index, not `{pos}`.", "Example: position=top");
        return await FirewallEveryday.AddAsync(ctx, RuleArgs.Spec(ctx, ctx.Get(Action)!), pos).ConfigureAwait(false);
    }
}

public static class FirewallRulesDelete
{
    static readonly Arg<string?> Id = Arg.String("id", "The rule's id (from rules.list), or give match fields instead.", examples: ["r1a2b3c4d"]);
    static readonly Arg<string?> Action = Arg.Enum("action", "Only rules with this action.", ["accept", "drop", "reject"]);
    static readonly Arg<bool> All = Arg.Bool("all", "With no id or fields: delete every rule resh manages; with fields: every rule that has them (port=22 all=true also takes port 22 from 10.0.0.0/8).");

    public static readonly VerbInfo Verb = VerbInfo.Define("rules.delete", Effect.Mutate,
        "Delete resh's rules by id (firewall://ID.rules.delete) or by matching fields; none matching is `changed: false`.",
        [Id, Action, .. RuleArgs.Match, All, FirewallFlow.Confirm, FirewallFlow.Force, FirewallFlow.BackendArg], () => FirewallJson.Default.FwChangeResult, RunAsync,
        examples:
        [
            new("firewall://r1a2b3c4d.rules.delete", "One rule by id."),
            new("'firewall://.rules.delete(port=443,proto=tcp)'", "The rule for tcp/443 from anywhere (not one limited to from=...)."),
            new("'firewall://.rules.delete(port=443,all=true)'", "Every resh rule for port 443, whatever its other fields."),
        ],
        notes: "Match fields name one rule as allow/deny/rules.add would make it (like `ufw delete allow 443/tcp`): fields not given must be unset on the rule; action= and comment= narrow it when given. "
            + "all=true turns the fields into a filter. Only rules resh added (with its marker) are deleted; other tools' rules are left alone.",
        targetHelp: "A rule id (firewall://r1a2b3c4d.rules.delete), or empty with id= or match fields.");

    static async ValueTask<Outcome<FwChangeResult>> RunAsync(VerbContext ctx)
    {
        FirewallFlow.RequireRoot(ctx);
        var id = ctx.Get(Id) ?? (ctx.Target.Length > 0 ? ctx.Target : null);
        var anyField = RuleArgs.Match.Any(ctx.IsSet) || ctx.IsSet(Action);
        if (id is null && !anyField && !ctx.Get(All))
            return ReshError.Usage("Say which rules: an id, match fields (port=, from=...), or all=true.", "Example: firewall://.rules.delete(port=443,proto=tcp)");
        var (backend, _) = FirewallFlow.Open(ctx);
        var current = await backend.ReadAsync(ctx.Cancellation).ConfigureAwait(false);
        if (id is not null && !current.Rules.Any(r => r.Id == id))
            return new FwChangeResult(backend.Name, "none", [], [], null, null);
        if (id is not null && current.Rules.First(r => r.Id == id) is { Managed: false } foreign)
            return ReshError.Conflict($"Rule {id} was not added by resh; resh changes only its own rules.", "Delete it with the backend's own tool.");
        var rules = current.Managed;
        var filter = ctx.Get(All) || !RuleArgs.Match.Any(ctx.IsSet); // all=true, or action= alone: a filter
        var drop = rules.Where(r => id is not null ? r.Id == id
            : filter ? RuleArgs.Matches(ctx, r, ctx.Get(Action))
            : RuleArgs.MatchesExactly(ctx, r, ctx.Get(Action))).ToList();
        if (drop.Count == 0)
        {
            var near = id is null && !filter ? rules.Where(r => RuleArgs.Matches(ctx, r, ctx.Get(Action))).ToList() : new List<RuleSpec>();
            if (near.Count > 0)
                ctx.Warn($"No rule is exactly these fields; {string.Join(", ", near.Select(r => r.Id + " (" + r.Describe() + ")"))} also {(near.Count == 1 ? "has" : "have")} others. "
                    + "Give the rule's other fields, its id, or all=true to delete every rule with these fields.");
            return new FwChangeResult(backend.Name, "none", [], [], null, null);
        }
        var desired = new DesiredState(rules.Except(drop).ToList(), new Dictionary<string, string>());
        return await FirewallFlow.ApplyAsync(ctx, backend, current, desired, "deleted", drop.Select((d, i) => d.ToRule(backend.Name, i)).ToList(), ctx.Get(FirewallFlow.Force)).ConfigureAwait(false);
    }
}
