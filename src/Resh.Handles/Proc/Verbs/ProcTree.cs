using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcTree
{
    static readonly Arg<bool> Kernel = Arg.Bool("kernel", "Include kernel threads (kthreadd and its children) when showing every process.");

    public static readonly VerbInfo Verb = VerbInfo.Define("tree", Effect.Read,
        "The process tree: every process, or the subtrees rooted at the target's processes.",
        [Kernel], () => ProcJson.Default.ProcTreeResult, Run,
        examples: [new("proc://.tree", "Every process, nested under its parent."), new("proc://sshd.tree", "sshd and everything it started.")]);

    static Outcome<ProcTreeResult> Run(VerbContext ctx)
    {
        var target = ProcTarget.Parse(ctx);
        var all = new ProcTarget("", null, null).Resolve(withStatus: true, withCmdline: true);
        var byPid = all.ToDictionary(e => e.Pid);
        var children = new Dictionary<int, List<ProcEntry>>();
        foreach (var e in all)
        {
            if (!children.TryGetValue(e.Ppid, out var l)) children[e.Ppid] = l = [];
            l.Add(e);
        }
        List<ProcEntry> roots;
        if (target.All)
        {
            var kernel = ctx.Get(Kernel);
            roots = all.Where(e => !byPid.ContainsKey(e.Ppid) || e.Ppid == e.Pid).Where(e => kernel || e.Pid != 2).ToList();
        }
        else
        {
            var matches = target.ResolveExisting(withStatus: false, withCmdline: false).Select(e => e.Pid).ToHashSet();
            // A match nested under another match is already shown inside that subtree.
            roots = all.Where(e => matches.Contains(e.Pid) && !HasAncestorIn(e, matches, byPid)).ToList();
        }
        var rows = new ProcRows();
        int count = 0;
        ProcTreeNode Build(ProcEntry e, int depth)
        {
            count++;
            var kids = depth > 512 || !children.TryGetValue(e.Pid, out var l)
                ? []
                : l.Where(c => c.Pid != e.Pid).Select(c => Build(c, depth + 1)).ToList();
            return rows.Node(e, kids);
        }
        var nodes = roots.Select(r => Build(r, 0)).ToList();
        return new ProcTreeResult(count, nodes);
    }

    static bool HasAncestorIn(ProcEntry e, HashSet<int> set, Dictionary<int, ProcEntry> byPid)
    {
        var seen = 0;
        var cur = e;
        while (byPid.TryGetValue(cur.Ppid, out var parent) && parent.Pid != cur.Pid && seen++ < 4096)
        {
            if (set.Contains(parent.Pid)) return true;
            cur = parent;
        }
        return false;
    }
}
