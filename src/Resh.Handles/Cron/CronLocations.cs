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

    /// <summary>
    /// The 0600 file a job's line sources for its secret environment: under root's /etc/resh/cron (below
    /// root=) when resh may write there, else in the user's own ~/.config/resh/cron.
    /// </summary>
    public string SecretEnvFile(string id, string user)
    {
        if (Resh.Core.Platform.LibC.GetEUid() == 0 || !IsHostRoot) return Path.Combine(Root, "etc/resh/cron", id + ".env");
        var home = Resh.Core.Platform.Users.User(user)?.Home ?? Environment.GetEnvironmentVariable("HOME") ?? "/";
        return Path.Combine(home, ".config/resh/cron", id + ".env");
    }
}
