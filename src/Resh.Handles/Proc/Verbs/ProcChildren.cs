using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Proc;

public static class ProcChildren
{
    static readonly Arg<bool> Recursive = Arg.Bool("recursive", "All descendants, not only direct children.");

    public static readonly VerbInfo Verb = VerbInfo.Define("children", Effect.Read,
        "The processes a process started (direct children, or all descendants).",
        [Recursive], () => ProcJson.Default.ProcChildrenResult, Run,
        examples: [new("proc://1234.children", "Direct children of PID 1234."), new("'proc://1234.children(recursive=true)'", "All descendants.")]);

    static Outcome<ProcChildrenResult> Run(VerbContext ctx)
    {
        var target = ProcTarget.Parse(ctx);
        var matches = target.ResolveExisting(withStatus: false, withCmdline: false);
        if (matches.Count > 1)
            return ReshError.Conflict($"{matches.Count} processes are named `{target.Name}`; name one by PID.",
                $"Example: resh proc://{matches[0].Pid}.children",
                new JsonObject { ["pids"] = new JsonArray(matches.Select(e => (JsonNode?)e.Pid).ToArray()) });
        var root = matches[0].Pid;
        var all = new ProcTarget("", null, null).Resolve(withStatus: true, withCmdline: true);
        var recursive = ctx.Get(Recursive);
        var wanted = new HashSet<int> { root };
        var result = new List<ProcEntry>();
        // Parents have lower PIDs only until PIDs wrap, so iterate to a fixed point.
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (var e in all)
            {
                if (e.Pid == root || result.Contains(e) || !wanted.Contains(e.Ppid)) continue;
                if (!recursive && e.Ppid != root) continue;
                result.Add(e);
                if (recursive && wanted.Add(e.Pid)) grew = true;
            }
        }
        var rows = new ProcRows();
        var list = result.OrderBy(e => e.Pid).Select(rows.Summary).ToList();
        return new ProcChildrenResult(root, recursive, list.Count, list);
    }
}
