using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cron;

/// <summary>Where cron keeps its tables, below an optional root (for images, chroots and tests).</summary>
internal sealed record CronLocations(string Root)
{
    public static readonly Arg<string?> RootArg = Arg.String("root", "Treat this directory as / for crontab locations (spool, /etc/crontab, /etc/cron.d).", "/",
        examples: ["/mnt/image"]);

    public static CronLocations From(VerbContext ctx) => new(Path.GetFullPath(ctx.Get(RootArg) ?? "/"));

    public bool IsHostRoot => Root == "/";
    public string Spool => Path.Combine(Root, "var/spool/cron/crontabs");
    public string SystemCrontab => Path.Combine(Root, "etc/crontab");
    public string CronD => Path.Combine(Root, "etc/cron.d");
    public string UserCrontab(string user) => Path.Combine(Spool, user);
}
