using System.Globalization;
using Resh.Core.Platform;

namespace Resh.Handles.Proc;

/// <summary>Turns /proc entries into result rows; user names are looked up once per uid.</summary>
internal sealed class ProcRows
{
    readonly Dictionary<uint, string> _users = [];

    public double Uptime { get; } = ProcFs.Uptime();
    public long BootTime { get; } = ProcFs.BootTime();

    public string User(uint uid)
    {
        if (uid == uint.MaxValue) return "?";
        if (_users.TryGetValue(uid, out var n)) return n;
        n = Users.UserName(uid) ?? uid.ToString(CultureInfo.InvariantCulture);
        _users[uid] = n;
        return n;
    }

    public ProcSummary Summary(ProcEntry e) => new(
        e.Pid, e.Ppid, User(e.Uid), e.Uid == uint.MaxValue ? -1 : e.Uid, e.State.ToString(), e.Comm, e.Command,
        ProcFs.CpuPercent(e, Uptime), e.RssBytes, e.VsizeBytes, e.Threads, e.Nice, ProcFs.StartTime(e, BootTime));

    public ProcTreeNode Node(ProcEntry e, IReadOnlyList<ProcTreeNode> children) => new(e.Pid, e.Comm, User(e.Uid), e.Command, children);
}
