using System.Globalization;
using System.Text;

namespace Resh.Handles.Firewall;

/// <summary>
/// iptables/ip6tables through iptables-save and iptables-restore. resh's rules live in its own chains
/// (RESH-INPUT, RESH-OUTPUT, RESH-FORWARD of the filter table) that the built-in chains jump to first,
/// each rule marked with `-m comment --comment "resh:ID ..."`. A change is one `iptables-restore --noflush`
/// per family: declaring resh's chains empties them and the wanted rules follow, committed atomically.
/// </summary>
public sealed class IptablesBackend : FirewallBackend
{
    public const string Jump = "resh:jump";
    static readonly Dictionary<string, string> ChainOf = new() { ["in"] = "RESH-INPUT", ["out"] = "RESH-OUTPUT", ["forward"] = "RESH-FORWARD" };
    static readonly Dictionary<string, string> BuiltinOf = new() { ["in"] = "INPUT", ["out"] = "OUTPUT", ["forward"] = "FORWARD" };

    readonly string _save4 = Require("iptables-save", "iptables");
    readonly string _restore4 = Require("iptables-restore", "iptables");
    readonly string? _save6 = Resh.Core.Platform.ProcessRunner.Which("ip6tables-save");
    readonly string? _restore6 = Resh.Core.Platform.ProcessRunner.Which("ip6tables-restore");

    public override string Name => "iptables";
    public override string Where => "filter chains RESH-INPUT, RESH-OUTPUT, RESH-FORWARD (jumped to first from INPUT, OUTPUT, FORWARD)";

    public override async Task<FwState> ReadAsync(CancellationToken ct)
    {
        var v4 = (await RunAsync([_save4, "-c", "-t", "filter"], null, ct).ConfigureAwait(false)).Stdout;
        var v6 = _save6 is null ? "" : (await RunAsync([_save6, "-c", "-t", "filter"], null, ct).ConfigureAwait(false)).Stdout;
        return IptablesSave.Parse(v4, v6);
    }

    public override NativePlan Plan(FwState current, DesiredState desired)
    {
        CheckMultiportSlots(desired, "iptables");
        var haveKeys = current.ManagedRules.Select(r => r.Direction + "|" + r.Id + "|" + r.Comment).ToList();
        var wantKeys = desired.Rules.Select(r => r.Direction + "|" + r.Id + "|" + r.Comment).ToList();
        var policiesChanged = desired.Policies.Any(p => current.Policies.GetValueOrDefault(p.Key, "accept") != p.Value);
        var jumpsMissing = !current.Active;
        if (haveKeys.SequenceEqual(wantKeys) && !policiesChanged && !(jumpsMissing && desired.Rules.Count > 0)) return new NativePlan();
        var plan = new NativePlan();
        foreach (var (family, restore) in Families())
        {
            var text = RestoreInput(current, desired, family);
            plan.Display.Add($"# {Path.GetFileName(restore)} -w 5 --noflush <<EOF");
            plan.Display.AddRange(text.TrimEnd('\n').Split('\n'));
            plan.Display.Add("EOF");
            plan.Steps.Add(ct => RunAsync([restore, "-w", "5", "--noflush"], text, ct));
        }
        return plan;
    }

    IEnumerable<(string Family, string Restore)> Families()
    {
        yield return ("ipv4", _restore4);
        if (_restore6 is not null) yield return ("ipv6", _restore6);
    }

    string RestoreInput(FwState current, DesiredState desired, string family)
    {
        var sb = new StringBuilder("*filter\n");
        foreach (var dir in Directions)
        {
            var pol = desired.Policies.GetValueOrDefault(dir, current.Policies.GetValueOrDefault(dir, "accept"));
            // Declaring a built-in chain with --noflush sets its policy and keeps its rules.
            sb.Append(CultureInfo.InvariantCulture, $":{BuiltinOf[dir]} {(pol == "accept" ? "ACCEPT" : "DROP")} [0:0]\n");
        }
        foreach (var dir in Directions) sb.Append(CultureInfo.InvariantCulture, $":{ChainOf[dir]} - [0:0]\n"); // empties resh's chains
        foreach (var s in desired.Rules)
            if (s.Family == "any" || s.Family == family)
                foreach (var line in RuleLines(s, family)) sb.Append(line).Append('\n');
        if (!current.Active)
            foreach (var dir in Directions)
                sb.Append(CultureInfo.InvariantCulture, $"-I {BuiltinOf[dir]} 1 -m comment --comment \"{Jump}\" -j {ChainOf[dir]}\n");
        sb.Append("COMMIT\n");
        return sb.ToString();
    }

    /// <summary>The iptables-restore lines of one spec: one per protocol when both tcp and udp are meant, and a LOG rule before the verdict when log=true.</summary>
    public static List<string> RuleLines(RuleSpec s, string family)
    {
        var lines = new List<string>();
        IEnumerable<string?> protos = s.Proto switch
        {
            null when s.Ports.Count > 0 => ["tcp", "udp"],
            "icmpv6" => ["ipv6-icmp"],
            var p => [p],
        };
        foreach (var proto in protos)
        {
            var m = new StringBuilder("-A ").Append(ChainOf[s.Direction]);
            if (s.Iface is not null) m.Append(s.Direction == "out" ? " -o " : " -i ").Append(s.Iface);
            if (s.Source is not null) m.Append(" -s ").Append(s.Source);
            if (s.Destination is not null) m.Append(" -d ").Append(s.Destination);
            if (proto is not null) m.Append(" -p ").Append(proto);
            if (s.Ports.Count == 1) m.Append(" --dport ").Append(s.Ports[0].Replace('-', ':'));
            else if (s.Ports.Count > 1) m.Append(" -m multiport --dports ").Append(string.Join(',', s.Ports.Select(p => p.Replace('-', ':'))));
            m.Append(" -m comment --comment \"").Append(s.MarkedComment).Append('"');
            var match = m.ToString();
            if (s.Log) lines.Add($"{match} -j LOG --log-prefix \"{RuleSpec.Marker}{s.Id} \"");
            var limit = s.RateLimit is null ? "" : $" -m limit --limit {s.RateLimit}";
            var target = s.Action switch { "accept" => "ACCEPT", "drop" => "DROP", _ when proto == "tcp" => "REJECT --reject-with tcp-reset", _ => "REJECT" };
            lines.Add($"{match}{limit} -j {target}");
        }
        _ = family;
        return lines;
    }

    public const string Ip6Separator = "# resh: ip6tables-save follows";

    public override async Task<string> SaveNativeAsync(CancellationToken ct)
    {
        var sb = new StringBuilder((await RunAsync([_save4], null, ct).ConfigureAwait(false)).Stdout);
        if (_save6 is not null) sb.Append(Ip6Separator).Append('\n').Append((await RunAsync([_save6], null, ct).ConfigureAwait(false)).Stdout);
        return sb.ToString();
    }

    public override NativePlan RestoreNative(string content)
    {
        var parts = content.Split(Ip6Separator + "\n", 2);
        var plan = new NativePlan();
        plan.Display.Add($"# {Path.GetFileName(_restore4)} -w 5 (whole ruleset from the saved file)");
        plan.Steps.Add(ct => RunAsync([_restore4, "-w", "5"], parts[0], ct));
        if (parts.Length == 2 && _restore6 is not null)
        {
            plan.Display.Add($"# {Path.GetFileName(_restore6)} -w 5 (whole ruleset from the saved file)");
            plan.Steps.Add(ct => RunAsync([_restore6, "-w", "5"], parts[1], ct));
        }
        return plan;
    }

    public override Task<NativePlan> SetActiveAsync(FwState current, bool active, CancellationToken ct)
    {
        var plan = new NativePlan();
        if (active == current.Active) return Task.FromResult(plan);
        // Off: the built-in policies go back to ACCEPT (resh's drop policy must not outlive its rules and lock everyone
        // out); on: the policies kept by disable come back.
        var policies = active ? FirewallStateStore.LoadDisabled(Name)?.Policies ?? new Dictionary<string, string>() : current.Policies;
        foreach (var (_, restore) in Families())
        {
            var sb = new StringBuilder("*filter\n");
            foreach (var dir in Directions)
                if (policies.GetValueOrDefault(dir, "accept") != "accept")
                    sb.Append(CultureInfo.InvariantCulture, $":{BuiltinOf[dir]} {(active ? "DROP" : "ACCEPT")} [0:0]\n");
            foreach (var dir in Directions)
            {
                if (active)
                {
                    if (!current.Chains.Contains(ChainOf[dir]))
                        sb.Append(CultureInfo.InvariantCulture, $":{ChainOf[dir]} - [0:0]\n");
                    sb.Append(CultureInfo.InvariantCulture, $"-I {BuiltinOf[dir]} 1 -m comment --comment \"{Jump}\" -j {ChainOf[dir]}\n");
                }
                else sb.Append(CultureInfo.InvariantCulture, $"-D {BuiltinOf[dir]} -m comment --comment \"{Jump}\" -j {ChainOf[dir]}\n");
            }
            sb.Append("COMMIT\n");
            var text = sb.ToString();
            plan.Display.AddRange(text.TrimEnd('\n').Split('\n'));
            plan.Steps.Add(c => RunAsync([restore, "-w", "5", "--noflush"], text, c));
        }
        return Task.FromResult(plan);
    }
}
