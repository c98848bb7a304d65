using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcPorts
{
    static readonly Arg<string?> Protocol = Arg.Enum("protocol", "Which sockets.", ["all", "tcp", "udp"], "all");
    static readonly Arg<bool> AllStates = Arg.Bool("connections", "Include connected sockets, not only listening ones.");
    static readonly Arg<long?> Port = Arg.Int("port", "Only this local port.", min: 0, max: 65535);

    public static readonly VerbInfo Verb = VerbInfo.Define("ports", Effect.Read,
        "Listening sockets (TCP listen, bound UDP) and the processes that own them, from /proc/net.",
        [Protocol, AllStates, Port], () => ProcJson.Default.ProcPortsResult, Run,
        examples:
        [
            new("proc://.ports", "Every listening port and its process (like ss -lntup)."),
            new("proc://nginx.ports", "The ports nginx listens on."),
            new("'proc://.ports(port=22)'", "Who listens on port 22."),
        ],
        notes: "Sockets of the current network namespace. Owners are found through /proc/PID/fd; without root, other users' sockets show pid null.");

    static Outcome<ProcPortsResult> Run(VerbContext ctx)
    {
        var target = ProcTarget.Parse(ctx);
        var connections = ctx.Get(AllStates);
        var port = ctx.Get(Port);
        var sockets = ProcNet.Read(ctx.Get(Protocol)!)
            .Where(s => connections || s.State is "listen" || (s.Protocol.StartsWith("udp", StringComparison.Ordinal) && s.State == "unconnected"))
            .Where(s => port is null || s.Port == port)
            .ToList();
        var scope = target.All ? ProcFs.Pids() : target.ResolveExisting(false, false).Select(e => e.Pid).ToList();
        var owners = ProcNet.SocketOwners(scope);
        var rows = new ProcRows();
        var names = new Dictionary<int, ProcEntry?>();
        var list = new List<ProcPort>();
        foreach (var s in sockets)
        {
            int? pid = owners.TryGetValue(s.Inode, out var p) ? p : null;
            if (!target.All && pid is null) continue;
            ProcEntry? owner = null;
            if (pid is { } op && !names.TryGetValue(op, out owner)) names[op] = owner = ProcFs.ReadStat(op);
            var listening = s.State is "listen" or "unconnected";
            list.Add(new ProcPort(s.Protocol, s.Address, s.Port, s.State,
                listening ? null : s.RemoteAddress, listening ? null : s.RemotePort, pid, owner?.Comm, rows.User(s.Uid), s.Inode));
        }
        list = list.OrderBy(p => p.Protocol, StringComparer.Ordinal).ThenBy(p => p.Port).ThenBy(p => p.Address, StringComparer.Ordinal).ToList();
        return new ProcPortsResult(list.Count, list);
    }
}
