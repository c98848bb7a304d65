using System.Globalization;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Snapshot;

public static class SnapshotPrune
{
    static readonly Arg<long?> KeepLast = Arg.Int("keep_last", "Keep the newest N snapshots.", min: 0);
    static readonly Arg<long?> KeepDaily = Arg.Int("keep_daily", "Keep the newest snapshot of each of the last N days that have one.", min: 0);
    static readonly Arg<long?> KeepWeekly = Arg.Int("keep_weekly", "Keep the newest snapshot of each of the last N ISO weeks that have one.", min: 0);
    static readonly Arg<TimeSpan?> OlderThan = Arg.Duration("older_than", "Only remove snapshots older than this.", examples: ["30d", "720h"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("prune", Effect.Destroy,
        "Remove old snapshots by policy (keep-last, keep-daily, keep-weekly, by age), then free unused content.",
        [KeepLast, KeepDaily, KeepWeekly, OlderThan, SnapshotArgs.Repo], () => SnapshotJson.Default.SnapshotPruneResult, RunAsync,
        examples: [new("'snapshot:///tmp/src.prune(keep_last=3)'", "Keep the 3 newest."), new("'snapshot:///etc.prune(keep_daily=7,keep_weekly=4)' --dry-run", "Preview a restic-style policy.")],
        notes: "A snapshot survives when any keep rule keeps it (as restic forget). With only older_than, every snapshot older than that goes. Under --dry-run, freed_objects and freed_bytes say what the prune would free.");

    static async ValueTask<Outcome<SnapshotPruneResult>> RunAsync(VerbContext ctx)
    {
        var tree = SnapshotArgs.Tree(ctx, mustExist: false);
        var repo = SnapshotRepo.For(ctx, ctx.Get(SnapshotArgs.Repo));
        var last = ctx.Get(KeepLast);
        var daily = ctx.Get(KeepDaily);
        var weekly = ctx.Get(KeepWeekly);
        var age = ctx.Get(OlderThan);
        if (last is null && daily is null && weekly is null && age is null)
            return ReshError.Usage("No prune policy given.", "Pass keep_last, keep_daily, keep_weekly and/or older_than.");
        using var repoLock = ctx.DryRun ? null : repo.Lock(ctx.Cancellation);
        var all = repo.List(tree);
        var newestFirst = all.AsEnumerable().Reverse().ToList();
        var keep = new HashSet<string>(StringComparer.Ordinal);
        var anyKeepRule = last is not null || daily is not null || weekly is not null;
        if (last is { } n) foreach (var m in newestFirst.Take((int)n)) keep.Add(m.Name);
        if (daily is { } d) KeepPerBucket(newestFirst, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), (int)d, keep);
        if (weekly is { } w) KeepPerBucket(newestFirst, t => $"{ISOWeek.GetYear(t.UtcDateTime)}-{ISOWeek.GetWeekOfYear(t.UtcDateTime)}", (int)w, keep);
        var cutoff = age is { } a ? DateTimeOffset.UtcNow - a : (DateTimeOffset?)null;
        var remove = all.Where(m => !keep.Contains(m.Name) && (cutoff is null || Created(m) < cutoff)).ToList();
        if (!anyKeepRule && cutoff is null) remove.Clear();
        var kept = all.Where(m => !remove.Contains(m)).Select(m => m.Name).ToList();
        if (remove.Count == 0)
            return Outcome.Changed(new SnapshotPruneResult(Resh.Core.Text.PathBytes.Display(tree), kept, [], 0, 0), false);
        if (ctx.DryRun)
        {
            // What the removal would free: objects no remaining snapshot (of any tree) references.
            var (wouldCount, wouldBytes) = repo.Garbage(remove, delete: false);
            return Outcome.Changed(new SnapshotPruneResult(Resh.Core.Text.PathBytes.Display(tree), kept, remove.Select(m => m.Name).ToList(), wouldCount, wouldBytes));
        }
        var (count, bytes) = await SnapshotDelete.Remove(repo, remove, ctx.Cancellation).ConfigureAwait(false);
        return Outcome.Changed(new SnapshotPruneResult(Resh.Core.Text.PathBytes.Display(tree), kept, remove.Select(m => m.Name).ToList(), count, bytes));
    }

    static DateTimeOffset Created(Manifest m) => DateTimeOffset.Parse(m.Created, CultureInfo.InvariantCulture);

    static void KeepPerBucket(List<Manifest> newestFirst, Func<DateTimeOffset, string> bucket, int count, HashSet<string> keep)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in newestFirst)
        {
            if (seen.Count >= count) break;
            if (seen.Add(bucket(Created(m)))) keep.Add(m.Name);
        }
    }
}
