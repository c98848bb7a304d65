using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Backup;

public static partial class BackupForget
{
    static readonly Arg<long?> Last = Arg.Int("keep_last", "Keep the newest N snapshots.", min: 1);
    static readonly Arg<long?> Hourly = Arg.Int("keep_hourly", "Keep the newest snapshot of each of the last N hours that have one.", min: 1);
    static readonly Arg<long?> Daily = Arg.Int("keep_daily", "Keep one snapshot per day for the last N days that have one.", min: 1);
    static readonly Arg<long?> Weekly = Arg.Int("keep_weekly", "Keep one per week for the last N weeks that have one.", min: 1);
    static readonly Arg<long?> Monthly = Arg.Int("keep_monthly", "Keep one per month for the last N months that have one.", min: 1);
    static readonly Arg<long?> Yearly = Arg.Int("keep_yearly", "Keep one per year for the last N years that have one.", min: 1);
    static readonly Arg<bool> Prune = Arg.Bool("prune", "Then delete the data no snapshot uses any more (restic prune, borg compact).");

    static readonly (Arg<long?> Arg, string Flag)[] Rules =
        [(Last, "--keep-last"), (Hourly, "--keep-hourly"), (Daily, "--keep-daily"), (Weekly, "--keep-weekly"), (Monthly, "--keep-monthly"), (Yearly, "--keep-yearly")];

    public static readonly VerbInfo Verb = VerbInfo.Define("forget", Effect.Destroy,
        "Remove snapshots the keep rules do not keep; --dry-run lists what would go.",
        [Last, Hourly, Daily, Weekly, Monthly, Yearly, Prune, .. BackupArgs.Common], () => BackupJson.Default.BackupForgetResult, RunAsync,
        examples:
        [
            new("backup:///srv/backup/repo.forget keep_daily=7 keep_weekly=4 --dry-run password=env:RESTIC_PASSWORD", "What a 7 daily + 4 weekly policy would remove."),
            new("'backup:///srv/backup/repo.forget(keep_last=10,prune=true,password=env:RESTIC_PASSWORD)'", "Keep 10 and free the space."),
        ],
        notes: "restic applies the rules per host and path set (its default grouping); borg per repository. `changed` is true when a snapshot was removed.");

    static async ValueTask<Outcome<BackupForgetResult>> RunAsync(VerbContext ctx)
    {
        var flags = new List<string>();
        foreach (var (arg, flag) in Rules)
            if (ctx.Get(arg) is { } n) flags.AddRange([flag, n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (flags.Count == 0) return ReshError.Usage("forget needs at least one keep rule.", "Example: keep_last=7, or keep_daily=7 keep_weekly=4.");
        using var s = BackupSession.Open(ctx);
        List<string> kept = [], removed = [];
        if (s.IsBorg)
        {
            var names = (await BackupSnapshots.ListAsync(s).ConfigureAwait(false)).ToDictionary(x => x.FullId, x => x.Id);
            var argv = new List<string> { "prune", "--list", "--log-json" };
            if (ctx.DryRun) argv.Add("--dry-run");
            argv.AddRange(flags);
            argv.Add(s.Repo);
            var r = await s.RunAsync(argv).ConfigureAwait(false);
            foreach (var (name, _, message) in BorgOutput.LogMessages(r.Stderr))
            {
                if (name != "borg.output.list") continue;
                var id = ArchiveId().Match(message);
                var shown = id.Success && names.TryGetValue(id.Groups[1].Value, out var n) ? n : id.Success ? id.Groups[1].Value : message.Trim();
                if (message.StartsWith("Keeping", StringComparison.Ordinal)) kept.Add(shown);
                else if (message.StartsWith("Would prune", StringComparison.Ordinal) || message.StartsWith("Pruning", StringComparison.Ordinal)) removed.Add(shown);
            }
        }
        else
        {
            var argv = new List<string> { "forget", "--json" };
            if (ctx.DryRun) argv.Add("--dry-run");
            argv.AddRange(flags);
            var r = await s.RunAsync(argv).ConfigureAwait(false);
            foreach (var group in (ResticOutput.Parse(r.Stdout) as JsonArray ?? []).OfType<JsonObject>())
            {
                kept.AddRange((group["keep"] as JsonArray ?? []).OfType<JsonObject>().Select(x => ResticOutput.Str(x, "short_id") ?? ResticOutput.Short(ResticOutput.Str(x, "id"))));
                removed.AddRange((group["remove"] as JsonArray ?? []).OfType<JsonObject>().Select(x => ResticOutput.Str(x, "short_id") ?? ResticOutput.Short(ResticOutput.Str(x, "id"))));
            }
        }
        var pruned = false;
        if (ctx.Get(Prune) && removed.Count > 0 && !ctx.DryRun)
        {
            await s.RunAsync(s.IsBorg ? ["compact", "--log-json", s.Repo] : ["prune"]).ConfigureAwait(false);
            pruned = true;
        }
        return Outcome.Changed(new BackupForgetResult(s.Target.Display, s.Kind, kept, removed, pruned), removed.Count > 0);
    }

    [GeneratedRegex(@"\[([0-9a-f]{64})\]\s*$")]
    private static partial Regex ArchiveId();
}
