using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Firewall;

/// <summary>The SSH connection resh runs under: the client's address and the server's address and port.</summary>
public sealed record SshSession(IPAddress Client, IPAddress Server, int Port)
{
    public override string ToString() => $"{Client} -> {Server}:{Port}";

    /// <summary>
    /// From SSH_CONNECTION, or, when sudo or su dropped it, from the nearest ancestor process that has it
    /// (root can read any process's environment).
    /// </summary>
    public static SshSession? Current()
    {
        if (Parse(Environment.GetEnvironmentVariable("SSH_CONNECTION")) is { } s) return s;
        var pid = Environment.ProcessId;
        for (int depth = 0; depth < 32 && pid > 1; depth++)
        {
            pid = ParentOf(pid);
            if (pid <= 1) break;
            try
            {
                foreach (var kv in File.ReadAllText($"/proc/{pid}/environ").Split('\0'))
                    if (kv.StartsWith("SSH_CONNECTION=", StringComparison.Ordinal) && Parse(kv[15..]) is { } found) return found;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }

    public static SshSession? Parse(string? value)
    {
        var f = value?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f is not { Length: 4 }) return null;
        if (!IPAddress.TryParse(f[0], out var client) || !IPAddress.TryParse(f[2], out var server)
            || !int.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) return null;
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        if (server.IsIPv4MappedToIPv6) server = server.MapToIPv4();
        return new SshSession(client, server, port);
    }

    static int ParentOf(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("PPid:", StringComparison.Ordinal)) return int.Parse(line[5..].Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        return 0;
    }
}

/// <summary>
/// Refuses a change that would cut off the SSH session resh runs under: the new rule set (resh's rules in
/// order, then the incoming policy) is evaluated for a TCP connection from the session's client to its
/// server port. Rules of other tools are not evaluated; interfaces are assumed to match.
/// </summary>
public static class LockoutGuard
{
    public static string Verdict(IEnumerable<RuleSpec> rules, IReadOnlyDictionary<string, string> policies, SshSession s)
    {
        foreach (var r in rules)
            if (r.MatchesTcp(s.Client, s.Server, s.Port)) return r.Action;
        return policies.GetValueOrDefault("in", "accept");
    }

    /// <summary>What happens to the session's replies going out (resh keeps no established-connection rule).</summary>
    public static string OutboundVerdict(IEnumerable<RuleSpec> rules, IReadOnlyDictionary<string, string> policies, SshSession s)
    {
        foreach (var r in rules)
            if (r.MatchesTcpReply(s.Client, s.Server)) return r.Action;
        return policies.GetValueOrDefault("out", "accept");
    }

    public static void Check(FwState current, DesiredState desired, bool force)
    {
        if (force) return;
        var session = SshSession.Current();
        if (session is null) return;
        var merged = Merge(current.Policies, desired.Policies);
        var before = Verdict(current.Managed, current.Policies, session);
        var after = Verdict(desired.Rules, merged, session);
        if (after == "accept" || before != "accept")
        {
            // Inbound still passes: the replies must leave too.
            before = OutboundVerdict(current.Managed, current.Policies, session);
            after = OutboundVerdict(desired.Rules, merged, session);
        }
        if (after != "accept" && before == "accept")
            throw ReshError.Conflict($"This change would {after} the SSH session resh runs under ({session}).",
                "Allow that connection first, or pass force=true (with confirm=60s for an automatic rollback) if you are sure.",
                new JsonObject { ["ssh_client"] = session.Client.ToString(), ["ssh_port"] = session.Port }).ToException();
    }

    static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
    {
        var d = new Dictionary<string, string>(a);
        foreach (var (k, v) in b) d[k] = v;
        return d;
    }
}
