using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Proc;

namespace Resh.Handles.Net.Network;

public static class NetListening
{
    static readonly Arg<string?> Protocol = Arg.Enum("protocol", "Which sockets.", ["all", "tcp", "udp"], "all");
    static readonly Arg<long?> Port = Arg.Int("port", "Only this local port.", min: 0, max: 65535);

    public static readonly VerbInfo Verb = VerbInfo.Define("listening", Effect.Read,
        "Listening sockets (TCP listen, bound UDP) and the processes that own them (ss -ltunp).",
        [Protocol, Port], () => NetJson.Default.NetListeningResult, Run,
        examples: [new("net://.listening", "Every listening socket and its owner."), new("net://.listening protocol=tcp port=22", "Who listens on TCP port 22.")],
        notes: "Sockets from /proc/net/{tcp,tcp6,udp,udp6} of the current network namespace; owners by matching socket inodes with /proc/PID/fd. " +
               "Without root, sockets of other users' processes show pid null.");

    static Outcome<NetListeningResult> Run(VerbContext ctx)
    {
        var port = ctx.Get(Port);
        var sockets = ProcNet.Read(ctx.Get(Protocol)!)
            .Where(s => s.State is "listen" || (s.Protocol.StartsWith("udp", StringComparison.Ordinal) && s.State == "unconnected"))
            .Where(s => port is null || s.Port == port)
            .ToList();
        var owners = ProcNet.SocketOwners(ProcFs.Pids());
        var rows = new ProcRows();
        var names = new Dictionary<int, ProcEntry?>();
        var list = new List<NetListener>();
        foreach (var s in sockets)
        {
            int? pid = owners.TryGetValue(s.Inode, out var p) ? p : null;
            ProcEntry? owner = null;
            if (pid is { } op && !names.TryGetValue(op, out owner)) names[op] = owner = ProcFs.ReadStat(op);
            list.Add(new NetListener(s.Protocol, s.Address, s.Port, pid, owner?.Comm, rows.User(s.Uid), s.Inode));
        }
        list = list.OrderBy(l => l.Protocol, StringComparer.Ordinal).ThenBy(l => l.Port).ThenBy(l => l.Address, StringComparer.Ordinal).ToList();
        return new NetListeningResult(list.Count, list);
    }
}
