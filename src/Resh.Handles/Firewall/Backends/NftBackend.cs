using System.Globalization;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Firewall;

/// <summary>
/// nftables, natively: the ruleset is read as JSON (`nft -j list ruleset`) and every change is one nft
/// script applied with `nft -f -`, which the kernel commits as a single transaction (all or nothing).
/// resh's rules live in their own table, `inet resh`, with base chains input/output/forward at
/// priority -10 (before the usual filter chains).
/// </summary>
public sealed class NftBackend : FirewallBackend
{
    public const string Table = "resh";
    readonly string? _nft = NftLib.Available ? null : Require("nft", "nftables");

    public override string Name => "nftables";
    public override string Where => "table inet resh (chains input, output, forward; priority -10)";

    static readonly Dictionary<string, string> ChainOf = new() { ["in"] = "input", ["out"] = "output", ["forward"] = "forward" };

    public override async Task<FwState> ReadAsync(CancellationToken ct)
    {
        return NftJson.Parse(await NftAsync(["-j", "list", "ruleset"], null, ct).ConfigureAwait(false));
    }

    public override NativePlan Plan(FwState current, DesiredState desired)
    {
        var script = new StringBuilder();
        var tableExists = current.Active;
        bool changed = false;
        var body = new StringBuilder();
        var curPolicies = current.Policies;
        foreach (var dir in Directions)
        {
            var chain = ChainOf[dir];
            var want = Dir(desired.Rules, dir);
            var have = current.ManagedRules.Where(r => r.Direction == dir).OrderBy(r => r.Position).ToList();
            var policy = desired.Policies.GetValueOrDefault(dir, curPolicies.GetValueOrDefault(dir, "accept"));
            if (policy != curPolicies.GetValueOrDefault(dir, "accept")) changed = true;
            RenderChain(body, chain, want, have, ref changed);
        }
        if (!changed) return new NativePlan();
        script.Append("add table inet ").Append(Table).Append('\n');
        foreach (var dir in Directions)
        {
            var policy = desired.Policies.GetValueOrDefault(dir, curPolicies.GetValueOrDefault(dir, "accept"));
            script.Append(CultureInfo.InvariantCulture, $"add chain inet {Table} {ChainOf[dir]} {{ type filter hook {ChainOf[dir]} priority -10; policy {policy}; }}\n");
        }
        script.Append(body);
        _ = tableExists;
        return Script(script.ToString());
    }

    /// <summary>
    /// Deletes what is no longer wanted by handle and places new rules relative to the rules that stay
    /// (insert before the next kept rule, or append), so kept rules keep their counters. When the kept
    /// rules would change order, the chain is flushed and rebuilt instead (still in the same transaction).
    /// </summary>
    static void RenderChain(StringBuilder sb, string chain, List<RuleSpec> want, List<FwRule> have, ref bool changed)
    {
        var haveKeys = have.Select(Key).ToList();
        var wantKeys = want.Select(s => s.Id + "|" + s.Comment).ToList();
        if (haveKeys.SequenceEqual(wantKeys)) return;
        changed = true;
        var keptInWantOrder = wantKeys.Where(haveKeys.Contains).ToList();
        var keptInHaveOrder = haveKeys.Where(wantKeys.Contains).ToList();
        if (!keptInWantOrder.SequenceEqual(keptInHaveOrder) || wantKeys.Distinct().Count() != wantKeys.Count)
        {
            sb.Append(CultureInfo.InvariantCulture, $"flush chain inet {Table} {chain}\n");
            foreach (var s in want) sb.Append(CultureInfo.InvariantCulture, $"add rule inet {Table} {chain} {RuleText(s)}\n");
            return;
        }
        foreach (var r in have.Where(r => !wantKeys.Contains(Key(r))))
            sb.Append(CultureInfo.InvariantCulture, $"delete rule inet {Table} {chain} handle {r.Handle}\n");
        for (int i = 0; i < want.Count; i++)
        {
            if (haveKeys.Contains(wantKeys[i])) continue;
            var next = wantKeys.Skip(i + 1).FirstOrDefault(haveKeys.Contains);
            if (next is not null)
                sb.Append(CultureInfo.InvariantCulture, $"insert rule inet {Table} {chain} position {have[haveKeys.IndexOf(next)].Handle} {RuleText(want[i])}\n");
            else
                sb.Append(CultureInfo.InvariantCulture, $"add rule inet {Table} {chain} {RuleText(want[i])}\n");
        }
    }

    static string Key(FwRule r) => r.Id + "|" + r.Comment;

    NativePlan Script(string text)
    {
        var plan = new NativePlan();
        plan.Display.AddRange(text.TrimEnd('\n').Split('\n'));
        plan.Steps.Add(ct => NftAsync(["-f", "-"], text, ct));
        return plan;
    }

    /// <summary>The nft statement for a spec (after `add rule inet resh CHAIN`).</summary>
    public static string RuleText(RuleSpec s)
    {
        var p = new List<string>();
        if (s.Iface is not null) p.Add($"{(s.Direction == "out" ? "oifname" : "iifname")} \"{s.Iface}\"");
        var ipKw = s.Family == "ipv6" ? "ip6" : "ip";
        if (s.Source is null && s.Destination is null && s.Family != "any" && s.Proto is not ("icmp" or "icmpv6"))
            p.Add($"meta nfproto {s.Family}");
        if (s.Source is not null) p.Add($"{ipKw} saddr {s.Source}");
        if (s.Destination is not null) p.Add($"{ipKw} daddr {s.Destination}");
        var ports = s.Ports.Count == 1 ? s.Ports[0] : $"{{ {string.Join(", ", s.Ports)} }}";
        switch (s.Proto)
        {
            case "tcp" or "udp" when s.Ports.Count > 0: p.Add($"{s.Proto} dport {ports}"); break;
            case "tcp" or "udp": p.Add($"meta l4proto {s.Proto}"); break;
            case "icmp": p.Add("meta l4proto icmp"); break;
            case "icmpv6": p.Add("meta l4proto ipv6-icmp"); break;
            case null when s.Ports.Count > 0: p.Add($"meta l4proto {{ tcp, udp }} th dport {ports}"); break;
        }
        p.Add("counter");
        if (s.RateLimit is not null) p.Add($"limit rate {s.RateLimit}");
        if (s.Log) p.Add($"log prefix \"{RuleSpec.Marker}{s.Id} \"");
        // reject answers TCP with a reset (as the help says and ufw does), anything else with ICMP unreachable.
        p.Add(s.Action == "reject" && s.Proto == "tcp" ? "reject with tcp reset" : s.Action);
        p.Add($"comment \"{s.MarkedComment}\"");
        return string.Join(' ', p);
    }

    public override Task<string> SaveNativeAsync(CancellationToken ct) => NftAsync(["list", "ruleset"], null, ct);

    /// <summary>
    /// `nft ARGS` (with a script on stdin for -f -): in-process through libnftables when it is there,
    /// else the nft binary. Failures are translated the same way either way.
    /// </summary>
    async Task<string> NftAsync(IReadOnlyList<string> args, string? script, CancellationToken ct)
    {
        if (_nft is not null) return (await RunAsync([_nft, .. args], script, ct).ConfigureAwait(false)).Stdout;
        ct.ThrowIfCancellationRequested();
        var json = args.Contains("-j");
        var commands = script ?? string.Join(' ', args.Where(a => a != "-j"));
        var (code, output, error) = NftLib.Run(commands, json);
        Resh.Core.Platform.ProcessRunner.Trace?.Invoke($"libnftables [{(script is null ? commands : "nft -f -")}] -> {code}");
        if (code != 0) throw Failure(["nft", .. args], error, script);
        return output;
    }

    static ReshException Failure(IReadOnlyList<string> argv, string error, string? script)
    {
        var lower = error.ToLowerInvariant();
        var line = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "failed";
        var details = new System.Text.Json.Nodes.JsonObject
        {
            ["command"] = new System.Text.Json.Nodes.JsonArray(argv.Select(a => (System.Text.Json.Nodes.JsonNode?)a).ToArray()),
            ["stderr"] = error.Length > 2000 ? error[..2000] : error,
        };
        if (script is not null) details["input"] = script.Length > 4000 ? script[..4000] + "…" : script;
        if (lower.Contains("operation not permitted") || lower.Contains("permission denied"))
            return ReshError.PermissionDenied($"nft failed: {line}", "Changing or reading the firewall needs root (CAP_NET_ADMIN).", details).ToException();
        return ReshError.Failed($"nft failed: {line}", null, details).ToException();
    }

    public override NativePlan RestoreNative(string content) => Script("flush ruleset\n" + content.TrimEnd('\n') + "\n");

    public override Task<NativePlan> SetActiveAsync(FwState current, bool active, CancellationToken ct)
    {
        if (active == current.Active) return Task.FromResult(new NativePlan());
        if (!active) return Task.FromResult(Script($"delete table inet {Table}\n"));
        var saved = FirewallStateStore.LoadDisabled(Name);
        var desired = new DesiredState(saved?.Specs() ?? [], saved?.Policies ?? new Dictionary<string, string>());
        var plan = Plan(current, desired);
        return Task.FromResult(plan.IsEmpty ? Script($"add table inet {Table}\n") : plan);
    }

    public static void ThrowIfNotRoot()
    {
        if (Resh.Core.Platform.LibC.GetEUid() != 0)
            throw ReshError.PermissionDenied("Changing the firewall needs root (CAP_NET_ADMIN).", "Run resh as root.").ToException();
    }
}
