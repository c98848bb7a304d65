using System.Text;
using System.Text.Json;
using Resh.Core.Errors;

namespace Resh.Handles.Firewall;

/// <summary>
/// firewalld through firewall-cmd: resh's rules are rich rules in the default zone, added to the runtime
/// and the permanent configuration alike. Rich rules carry no comment, so resh keeps which rich rules
/// are its own (and their comments) in its state directory. Rich rules are unordered (firewalld sorts
/// them by action), and only incoming traffic is filtered by zones.
/// </summary>
public sealed class FirewalldBackend : FirewallBackend
{
    readonly string _cmd = Require("firewall-cmd", "firewalld");
    string? _zone;

    public override string Name => "firewalld";
    public override string Where => "rich rules of the default zone (runtime and permanent)";

    async Task<string> ZoneAsync(CancellationToken ct) => _zone ??= (await RunAsync([_cmd, "--get-default-zone"], null, ct).ConfigureAwait(false)).Stdout.Trim();

    public override async Task<FwState> ReadAsync(CancellationToken ct)
    {
        var state = await ProcessRunnerState(ct).ConfigureAwait(false);
        if (state != "running") throw ReshError.Unavailable("firewalld is not running.", "Start it (svc://firewalld.start) or choose another backend=.").ToException();
        var zone = await ZoneAsync(ct).ConfigureAwait(false);
        var rich = (await RunAsync([_cmd, "--zone=" + zone, "--list-rich-rules"], null, ct).ConfigureAwait(false)).Stdout;
        var ports = (await RunAsync([_cmd, "--zone=" + zone, "--list-ports"], null, ct).ConfigureAwait(false)).Stdout;
        var target = (await RunAsync([_cmd, "--permanent", "--zone=" + zone, "--get-target"], null, ct).ConfigureAwait(false)).Stdout.Trim();
        return FirewalldRules.Parse(rich, ports, target, FirewallStateStore.LoadFirewalld(zone));
    }

    async Task<string> ProcessRunnerState(CancellationToken ct)
    {
        var r = await Resh.Core.Platform.ProcessRunner.RunAsync([_cmd, "--state"], null, ct).ConfigureAwait(false);
        return r.Stdout.Trim();
    }

    public override NativePlan Plan(FwState current, DesiredState desired)
    {
        var zone = _zone ?? "public";
        var plan = new NativePlan();
        foreach (var (dir, pol) in desired.Policies)
        {
            if (dir != "in") throw ReshError.Unsupported("firewalld zones have a policy for incoming traffic only.", null).ToException();
            if (current.Policies.GetValueOrDefault("in", "reject") == pol) continue;
            var target = pol switch { "accept" => "ACCEPT", "drop" => "DROP", _ => "%%REJECT%%" };
            Add(plan, [_cmd, "--permanent", "--zone=" + zone, "--set-target=" + target]);
            Add(plan, [_cmd, "--reload"]);
        }
        var have = current.ManagedRules.ToDictionary(r => r.Id + "|" + r.Comment);
        var wantKeys = desired.Rules.Select(r => r.Id + "|" + r.Comment).ToHashSet();
        var store = FirewallStateStore.LoadFirewalld(zone);
        var changed = false;
        foreach (var (key, r) in have)
        {
            if (wantKeys.Contains(key)) continue;
            foreach (var rich in RichRules(RuleSpec.FromRule(r)!))
            {
                Add(plan, [_cmd, "--zone=" + zone, "--remove-rich-rule=" + rich]);
                Add(plan, [_cmd, "--permanent", "--zone=" + zone, "--remove-rich-rule=" + rich]);
            }
            store.Remove(r.Id);
            changed = true;
        }
        foreach (var s in desired.Rules)
        {
            if (have.ContainsKey(s.Id + "|" + s.Comment)) continue;
            var rich = RichRules(s);
            foreach (var text in rich)
            {
                Add(plan, [_cmd, "--zone=" + zone, "--add-rich-rule=" + text]);
                Add(plan, [_cmd, "--permanent", "--zone=" + zone, "--add-rich-rule=" + text]);
            }
            store[s.Id] = new FirewalldEntry(s, rich);
            changed = true;
        }
        if (changed) plan.Steps.Add(_ => { FirewallStateStore.SaveFirewalld(zone, store); return Task.CompletedTask; });
        return plan;
    }

    void Add(NativePlan plan, IReadOnlyList<string> argv)
    {
        plan.Display.Add(string.Join(' ', argv.Select(a => a.Contains(' ') || a.Contains('"') ? "'" + a + "'" : a)));
        plan.Steps.Add(ct => RunAsync(argv, null, ct));
    }

    /// <summary>The rich rules of a spec, in firewalld's own normalized spelling (one per port and protocol).</summary>
    public static List<string> RichRules(RuleSpec s)
    {
        if (s.Direction != "in") throw ReshError.Unsupported("firewalld zones filter incoming traffic only.", "Use direction=in, or backend=nftables.").ToException();
        if (s.Iface is not null) throw ReshError.Unsupported("firewalld binds interfaces to zones, not rules.", "Leave iface out, or use backend=nftables.").ToException();
        var list = new List<string>();
        var protos = s.Proto is null && s.Ports.Count > 0 ? new string?[] { "tcp", "udp" } : [s.Proto];
        var ports = s.Ports.Count > 0 ? s.Ports.Cast<string?>().ToList() : [null];
        foreach (var proto in protos)
            foreach (var port in ports)
            {
                var sb = new StringBuilder("rule");
                if (s.Family != "any") sb.Append(" family=\"").Append(s.Family).Append('"');
                if (s.Source is not null) sb.Append(" source address=\"").Append(s.Source).Append('"');
                if (s.Destination is not null) sb.Append(" destination address=\"").Append(s.Destination).Append('"');
                if (port is not null) sb.Append(" port port=\"").Append(port).Append("\" protocol=\"").Append(proto).Append('"');
                else if (proto is "icmp" or "icmpv6") sb.Append(" protocol value=\"").Append(proto == "icmp" ? "icmp" : "ipv6-icmp").Append('"');
                else if (proto is not null) sb.Append(" protocol value=\"").Append(proto).Append('"');
                if (s.Log) sb.Append(" log prefix=\"").Append(RuleSpec.Marker).Append(s.Id).Append("\" level=\"info\"");
                sb.Append(' ').Append(s.Action);
                if (s.RateLimit is not null)
                {
                    var parts = s.RateLimit.Split('/');
                    sb.Append(" limit value=\"").Append(parts[0]).Append('/').Append(parts[1][0]).Append('"');
                }
                list.Add(sb.ToString());
            }
        return list;
    }

    public override async Task<string> SaveNativeAsync(CancellationToken ct)
    {
        var zone = await ZoneAsync(ct).ConfigureAwait(false);
        return (await RunAsync([_cmd, "--permanent", "--zone=" + zone, "--list-all"], null, ct).ConfigureAwait(false)).Stdout;
    }

    public override NativePlan RestoreNative(string content) =>
        throw ReshError.Unsupported("firewalld's own configuration is restored by firewalld; resh restores it from its JSON format.", "Save with format=json and restore that.").ToException();

    public override Task<NativePlan> SetActiveAsync(FwState current, bool active, CancellationToken ct) =>
        throw ReshError.Unsupported("firewalld is switched on and off as a service.", active ? "resh svc://firewalld.start" : "resh svc://firewalld.stop").ToException();
}

public sealed record FirewalldEntry(RuleSpec Spec, IReadOnlyList<string> Rich);

/// <summary>firewall-cmd's listings, read into the model; rich rules that resh's state names are its own.</summary>
public static class FirewalldRules
{
    public static FwState Parse(string richRules, string ports, string target, Dictionary<string, FirewalldEntry> mine)
    {
        var rules = new List<FwRule>();
        var lines = richRules.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var claimed = new HashSet<string>();
        foreach (var (id, entry) in mine)
        {
            if (!entry.Rich.All(lines.Contains)) continue;
            foreach (var r in entry.Rich) claimed.Add(r);
            rules.Add(entry.Spec.ToRule("firewalld", rules.Count, null, string.Join("\n", entry.Rich)));
        }
        int n = 0;
        foreach (var line in lines)
        {
            n++;
            if (claimed.Contains(line)) continue;
            rules.Add(Rich(line, rules.Count, n));
        }
        foreach (var p in ports.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var pp = p.Split('/');
            rules.Add(new FwRule("firewalld:port/" + p, false, "firewalld", "any", null, null, "in", pp.Length > 1 ? pp[1] : null, [pp[0]], null, null, null,
                "accept", null, false, null, null, null, rules.Count, null, "--add-port=" + p, false));
        }
        var policy = target switch { "ACCEPT" => "accept", "DROP" => "drop", _ => "reject" };
        return new FwState { Rules = rules, Policies = new Dictionary<string, string> { ["in"] = policy }, Active = true };
    }

    static FwRule Rich(string line, int position, int n)
    {
        string? Attr(string name)
        {
            var i = line.IndexOf(name + "=\"", StringComparison.Ordinal);
            if (i < 0) return null;
            var start = i + name.Length + 2;
            var end = line.IndexOf('"', start);
            return end < 0 ? null : line[start..end];
        }
        var family = Attr("family") ?? "any";
        string? src = line.Contains("source address=", StringComparison.Ordinal) ? Attr("source address") : null;
        string? dst = line.Contains("destination address=", StringComparison.Ordinal) ? Attr("destination address") : null;
        var port = line.Contains(" port port=", StringComparison.Ordinal) ? Attr("port port") : null;
        var proto = line.Contains(" port port=", StringComparison.Ordinal) ? Attr("protocol") : line.Contains("protocol value=", StringComparison.Ordinal) ? Attr("protocol value") : null;
        var words = line.Split(' ');
        string? action = words.Contains("accept") ? "accept" : words.Contains("drop") ? "drop" : words.Contains("reject") ? "reject" : null;
        var partial = action is null || line.Contains(" service ", StringComparison.Ordinal) || line.Contains("not=", StringComparison.Ordinal);
        return new FwRule("firewalld:rich/" + n, false, "firewalld", family, null, null, "in", proto == "ipv6-icmp" ? "icmpv6" : proto,
            port is null ? [] : [port], src, dst, null, action, Attr("limit value"), line.Contains(" log ", StringComparison.Ordinal), null,
            null, null, position, null, line, partial);
    }
}
