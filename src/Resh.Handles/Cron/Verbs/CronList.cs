using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Cron;

public static class CronList
{
    static readonly Arg<string?> User = Arg.String("user", "Only jobs that run as this user.");
    static readonly Arg<string?> Backend = Arg.Enum("backend", "Only cron jobs or only systemd timers.", ["all", "cron", "systemd"], "all");
    static readonly Arg<long?> Count = Arg.Int("count", "How many next run times per job.", 3, min: 0, max: 100);
    static readonly Arg<bool> ManagedOnly = Arg.Bool("managed", "Only jobs resh manages.");

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "Every scheduled job: user crontabs, /etc/crontab, /etc/cron.d and systemd timers, with ids and next run times.",
        [User, Backend, Count, ManagedOnly, CronJobs.TimeZoneArg, CronLocations.RootArg], () => CronJson.Default.CronListResult, RunAsync,
        examples: [new("cron://.list", "All jobs and timers."), new("'cron://.list(user=www-data,count=5)'", "www-data's jobs with 5 next runs each.")],
        notes: "Ids are stable: a resh-managed job keeps the id it was added with; another crontab line is c-<hash of its file and text>; a timer is its unit name.",
        targetHelp: "Empty: cron://.list");

    static async ValueTask<Outcome<CronListResult>> RunAsync(VerbContext ctx)
    {
        var store = new CronStore(CronLocations.From(ctx));
        var backend = ctx.Get(Backend);
        var all = await CronJobs.AllAsync(store, CronJobs.Zone(ctx), (int)ctx.Get(Count)!.Value, backend != "cron", ctx.Cancellation).ConfigureAwait(false);
        var user = ctx.Get(User);
        var list = all.Where(e => backend == "all" || e.Backend == backend)
            .Where(e => user is null || e.User == user)
            .Where(e => !ctx.Get(ManagedOnly) || e.Managed).ToList();
        return new CronListResult(list.Count, list);
    }
}
