using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Firewall;

/// <summary>The rule fields every rule verb takes (allow, deny, reject, rules.add, rules.delete).</summary>
public static class RuleArgs
{
    public static readonly Arg<IReadOnlyList<string>> Port = Arg.List("port", "Destination ports or ranges.", examples: ["443", "80,443", "8000-8100"], aliases: ["ports"]);
    public static readonly Arg<string?> Proto = Arg.Enum("proto", "Protocol (any = tcp and udp when ports are given).", ["any", "tcp", "udp", "icmp", "icmpv6"], aliases: ["protocol"]);
    public static readonly Arg<string?> From = Arg.String("from", "Source address or network.", examples: ["10.0.0.0/8", "203.0.113.7"], aliases: ["source"]);
    public static readonly Arg<string?> To = Arg.String("to", "Destination address or network.", examples: ["192.0.2.10"], aliases: ["destination"]);
    public static readonly Arg<string?> Iface = Arg.String("iface", "Interface (incoming for in/forward, outgoing for out).", examples: ["eth0"], aliases: ["interface"]);
    public static readonly Arg<string?> Direction = Arg.Enum("direction", "Which traffic: in (to this host), out (from it), forward (through it).", ["in", "out", "forward"], "in");
    public static readonly Arg<string?> Family = Arg.Enum("family", "IP version (any = both; set by an address when one is given).", ["any", "ipv4", "ipv6"], "any");
    public static readonly Arg<string?> Comment = Arg.String("comment", "A note kept with the rule (after resh's marker).", examples: ["web"]);
    public static readonly Arg<bool> Log = Arg.Bool("log", "Log matching packets (prefix resh:ID).");
    public static readonly Arg<string?> RateLimit = Arg.String("rate_limit", "Only up to this rate: N/second, N/minute, N/hour or N/day.", examples: ["10/minute"]);

    public static readonly ArgInfo[] Match = [Port, Proto, From, To, Iface, Direction, Family, Comment, Log, RateLimit];

    public static RuleSpec Spec(VerbContext ctx, string action) => RuleSpec.Create(ctx.Get(Family), ctx.Get(Direction), ctx.Get(Proto), ctx.Get(Port),
        ctx.Get(From), ctx.Get(To), ctx.Get(Iface), action, ctx.Get(RateLimit), ctx.Get(Log), ctx.Get(Comment));

    /// <summary>
    /// Whether a managed rule is the one the fields describe, as `ufw delete allow 22/tcp` means: unset fields
    /// must have their defaults (no from=, no iface=...), so port=22 does not also take the rule for port 22 from
    /// 10.0.0.0/8. action and comment are compared only when given.
    /// </summary>
    public static bool MatchesExactly(VerbContext ctx, RuleSpec r, string? action)
    {
        var want = RuleSpec.Create(ctx.Get(Family), ctx.Get(Direction), ctx.Get(Proto), ctx.Get(Port), ctx.Get(From), ctx.Get(To), ctx.Get(Iface),
            action ?? r.Action, ctx.Get(RateLimit), ctx.Get(Log), ctx.Get(Comment));
        return want.Id == r.Id && (!ctx.IsSet(Comment) || want.Comment == r.Comment);
    }

    /// <summary>Whether a managed rule matches the fields given (unset fields match anything): rules.delete with all=true.</summary>
    public static bool Matches(VerbContext ctx, RuleSpec r, string? action)
    {
        if (action is not null && r.Action != action) return false;
        if (ctx.IsSet(Direction) && r.Direction != ctx.Get(Direction)) return false;
        if (ctx.IsSet(Proto) && (r.Proto ?? "any") != ctx.Get(Proto)) return false;
        if (ctx.IsSet(Port) && !r.Ports.SequenceEqual(RuleSpec.NormalizePorts(ctx.Get(Port)))) return false;
        if (ctx.IsSet(From) && r.Source != RuleSpec.NormalizeAddress(ctx.Get(From), "from")) return false;
        if (ctx.IsSet(To) && r.Destination != RuleSpec.NormalizeAddress(ctx.Get(To), "to")) return false;
        if (ctx.IsSet(Iface) && r.Iface != ctx.Get(Iface)) return false;
        if (ctx.IsSet(Comment) && r.Comment != ctx.Get(Comment)) return false;
        if (ctx.IsSet(Family) && ctx.Get(Family) != "any" && r.Family != ctx.Get(Family)) return false;
        return true;
    }
}
