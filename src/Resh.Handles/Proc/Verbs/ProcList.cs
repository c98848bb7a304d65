using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Proc;

public static class ProcList
{
    static readonly Arg<string?> User = Arg.String("user", "Only processes whose effective user is this name or uid.", examples: ["root", "1000"]);
    static readonly Arg<IReadOnlyList<string>> State = Arg.List("state", "Only these states: letters (R,S,D,Z,T,I) or names (running, sleeping, zombie...).",
        examples: ["R,D", "zombie"]);
    static readonly Arg<string?> Match = Arg.String("match", "Only processes whose command line contains this text.", examples: ["java -jar"]);
    static readonly Arg<string?> Sort = Arg.Enum("sort", "Order of the rows (cpu and mem sort highest first).", ["pid", "cpu", "mem", "start", "name"], "pid");
    static readonly Arg<long?> Limit = Arg.Int("limit", "Return at most this many rows.", min: 1);

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "List processes (all, or those a name matches) with user, state, CPU and memory.",
        [User, State, Match, Sort, Limit], () => ProcJson.Default.ProcListResult, Run,
        examples:
        [
            new("proc://.list", "Every process."),
            new("proc://nginx.list", "Every process named nginx (command name or argv[0])."),
            new("'proc://.list(sort=mem,limit=5)'", "The five largest by resident memory."),
            new("'proc://.list(user=postgres,state=R)'", "Running processes of user postgres."),
        ],
        notes: "Read straight from /proc (no ps). cpu_percent is lifetime CPU time over elapsed time, as ps computes %CPU; use proc://.top for current use.");

    static Outcome<ProcListResult> Run(VerbContext ctx)
    {
        var target = ProcTarget.Parse(ctx);
        uint? uid = null;
        if (ctx.Get(User) is { } u)
        {
            uid = Users.ResolveUid(u);
            if (uid is null) return ReshError.NotFound($"No user `{u}`.", "Give a user name or a numeric uid.");
        }
        var states = ParseStates(ctx.Get(State));
        var match = ctx.Get(Match);

        var rows = new ProcRows();
        var entries = target.Resolve(withStatus: true, withCmdline: true);
        var list = new List<ProcSummary>(entries.Count);
        foreach (var e in entries)
        {
            if (uid is { } id && e.Uid != id) continue;
            if (states is not null && !states.Contains(e.State)) continue;
            var s = rows.Summary(e);
            if (match is not null && !s.Command.Contains(match, StringComparison.Ordinal)) continue;
            list.Add(s);
        }
        IEnumerable<ProcSummary> ordered = ctx.Get(Sort) switch
        {
            "cpu" => list.OrderByDescending(p => p.CpuPercent).ThenBy(p => p.Pid),
            "mem" => list.OrderByDescending(p => p.RssBytes).ThenBy(p => p.Pid),
            "start" => list.OrderBy(p => p.StartTime, StringComparer.Ordinal).ThenBy(p => p.Pid),
            "name" => list.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Pid),
            _ => list,
        };
        var limited = ctx.Get(Limit) is { } limit ? ordered.Take((int)Math.Min(limit, int.MaxValue)).ToList() : ordered.ToList();
        return new ProcListResult(limited.Count, list.Count, limited);
    }

    internal static HashSet<char>? ParseStates(IReadOnlyList<string> given)
    {
        if (given.Count == 0) return null;
        var set = new HashSet<char>();
        foreach (var s in given)
        {
            char? c = s.Length == 1 && "RSDZTtXIPWK".Contains(s[0]) ? s[0] : s.ToLowerInvariant() switch
            {
                "running" => 'R', "sleeping" => 'S', "disk-sleep" or "uninterruptible" => 'D', "zombie" => 'Z',
                "stopped" => 'T', "tracing-stop" => 't', "dead" => 'X', "idle" => 'I', "parked" => 'P', _ => null,
            };
            if (c is null)
                throw ReshError.Usage($"`{s}` is not a process state.", "Use R, S, D, Z, T, I or running, sleeping, disk-sleep, zombie, stopped, idle.").ToException();
            set.Add(c.Value);
        }
        return set;
    }
}
