using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Firewall;

/// <summary>What a backend read: every rule it can see (resh's and others'), the policies of resh's chains, and whether it is on.</summary>
public sealed class FwState
{
    public required List<FwRule> Rules { get; init; }
    public required Dictionary<string, string> Policies { get; init; }
    public required bool Active { get; init; }
    /// <summary>Chains that exist (iptables: to know whether resh's chains must be created).</summary>
    public HashSet<string> Chains { get; init; } = [];

    /// <summary>resh's rules in evaluation order, as specs (direction by direction: in, out, forward).</summary>
    public List<RuleSpec> Managed => Rules.Where(r => r.Managed).Select(r => RuleSpec.FromRule(r) ?? FromMarkerOnly(r)).ToList();

    public IEnumerable<FwRule> ManagedRules => Rules.Where(r => r.Managed);

    static RuleSpec FromMarkerOnly(FwRule r) => new(r.Family, r.Direction, r.Proto, r.Ports, r.Source, r.Destination, r.Iface, r.Action ?? "accept", r.RateLimit, r.Log, r.Comment);
}

/// <summary>The managed rules and policies resh wants; every change verb computes one and lets the backend plan the transition.</summary>
public sealed record DesiredState(IReadOnlyList<RuleSpec> Rules, IReadOnlyDictionary<string, string> Policies);

/// <summary>The native commands of a change: shown under --dry-run, run otherwise.</summary>
public sealed class NativePlan
{
    public List<string> Display { get; } = [];
    public List<Func<CancellationToken, Task>> Steps { get; } = [];
    public bool IsEmpty => Steps.Count == 0;
}

/// <summary>
/// One firewall implementation. Backends only read and render: the verbs decide what the managed rule
/// set should be, then ask the backend for the native commands that get there (atomically where the
/// backend allows it: one nft transaction, one iptables-restore per family).
/// </summary>
public abstract class FirewallBackend
{
    public abstract string Name { get; }
    /// <summary>The chains resh manages, by direction, for messages and docs.</summary>
    public abstract string Where { get; }
    public abstract Task<FwState> ReadAsync(CancellationToken ct);
    public abstract NativePlan Plan(FwState current, DesiredState desired);
    public abstract Task<string> SaveNativeAsync(CancellationToken ct);
    public abstract NativePlan RestoreNative(string content);
    public abstract Task<NativePlan> SetActiveAsync(FwState current, bool active, CancellationToken ct);

    /// <summary>
    /// iptables' multiport match and ufw take at most 15 ports per rule and count a range as two; resh's own limit
    /// counts entries, so a rule of several ranges passes it and only failed when the command ran. Refused while
    /// planning (dry runs too), before anything is applied.
    /// </summary>
    protected static void CheckMultiportSlots(DesiredState desired, string tool)
    {
        foreach (var rule in desired.Rules)
        {
            var slots = rule.Ports.Sum(p => p.Contains('-') ? 2 : 1);
            if (slots > 15)
                throw ReshError.Usage(
                    $"{tool} takes at most 15 ports per rule and counts a range as two; ports {string.Join(',', rule.Ports)} need {slots}.",
                    "Split the ports over two rules (two calls), or use the nftables backend, which has no such limit.").ToException();
        }
    }

    public virtual async Task ExecuteAsync(NativePlan plan, CancellationToken ct)
    {
        foreach (var step in plan.Steps) await step(ct).ConfigureAwait(false);
    }

    protected static async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, string? stdin, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(argv, new ProcessOptions { Stdin = stdin is null ? null : System.Text.Encoding.UTF8.GetBytes(stdin) }, ct).ConfigureAwait(false);
        if (!r.Succeeded)
        {
            var lower = (r.Stderr + r.Stdout).ToLowerInvariant();
            var msg = $"{Path.GetFileName(argv[0])} failed: {r.LastErrorLine}";
            var details = new System.Text.Json.Nodes.JsonObject
            {
                ["command"] = new System.Text.Json.Nodes.JsonArray(argv.Select(a => (System.Text.Json.Nodes.JsonNode?)a).ToArray()),
                ["exit_code"] = r.ExitCode,
                ["stderr"] = r.Stderr.Length > 2000 ? r.Stderr[^2000..] : r.Stderr,
            };
            if (stdin is not null) details["input"] = stdin.Length > 4000 ? stdin[..4000] + "…" : stdin;
            if (lower.Contains("operation not permitted") || lower.Contains("permission denied") || lower.Contains("you need to be root") || lower.Contains("must be root"))
                throw ReshError.PermissionDenied(msg, "Changing the firewall needs root (CAP_NET_ADMIN).", details).ToException();
            if (lower.Contains("resource temporarily unavailable") || lower.Contains("another app is currently holding the xtables lock"))
                throw (ReshError.Conflict(msg, "Another program is changing the firewall; try again.", details) with { Transient = true }).ToException();
            throw ReshError.Failed(msg, null, details).ToException();
        }
        return r;
    }

    protected static string Require(string tool, string package) => ProcessRunner.Which(tool)
        ?? throw ReshError.Unavailable($"{tool} is not installed.", $"Install the {package} package, or choose another backend=.").ToException();

    /// <summary>The managed rules of one direction, in order.</summary>
    protected static List<RuleSpec> Dir(IEnumerable<RuleSpec> rules, string direction) => rules.Where(r => r.Direction == direction).ToList();

    public static readonly string[] Directions = ["in", "out", "forward"];
}
