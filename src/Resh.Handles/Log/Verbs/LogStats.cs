using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Values;

namespace Resh.Handles.Log;

public static class LogStats
{
    static readonly Arg<string?> By = Arg.String("by", "Count lines by level (default) or by a field: app, host, status, method, facility, or any JSON/logfmt key.", "level", examples: ["level", "app", "status"]);
    static readonly Arg<TimeSpan?> Bucket = Arg.Duration("bucket", "Also count per time bucket of this width (aligned to the epoch, UTC).", examples: ["1m", "1h", "1d"]);
    static readonly Arg<long?> MaxKeys = Arg.Int("max_keys", "At most this many distinct values are counted; the rest count as \"(other)\" (a field with unbounded values cannot exhaust memory).", 1000, min: 1, max: 100_000);

    public static readonly VerbInfo Verb = VerbInfo.Define("stats", Effect.Read,
        "Counts of log lines by level or by a field, in total and per time bucket.",
        [By, Bucket, MaxKeys, LogArgs.Pattern, LogArgs.IgnoreCase, LogArgs.Level, LogArgs.Since, LogArgs.Until, LogArgs.Where,
         LogArgs.Rotated, LogArgs.Format, LogArgs.MaxLine, LogArgs.MaxUnzipped, LogArgs.Directory, LogArgs.Identifier],
        () => LogJson.Default.LogStatsResult, RunAsync,
        examples:
        [
            new("log:///var/log/syslog.stats bucket=1h since=1d", "Lines per level for each hour of the last day."),
            new("log:///var/log/nginx/access.log.stats by=status bucket=5m", "Requests per status code per five minutes."),
            new("log://journal.stats by=app", "Journal entries per program."),
        ],
        notes: "A line without the field counts as \"-\"; a line without a time (and no earlier timed line in its file) is in the totals but in no bucket (`untimed`).",
        targetHelp: "A file (log:///var/log/syslog, a glob), log://journal, log://journal/UNIT, or log://- for stdin.");

    static async ValueTask<Outcome<LogStatsResult>> RunAsync(VerbContext ctx)
    {
        var source = LogSource.Of(ctx);
        var filter = LogFilter.From(ctx, LogArgs.Pattern, LogArgs.IgnoreCase, LogArgs.Level, LogArgs.Where, LogArgs.Format);
        var by = ctx.Get(By) ?? "level";
        var bucket = ctx.Get(Bucket);
        if (bucket is { } b && b < TimeSpan.FromSeconds(1)) return ReshError.Usage("bucket= must be at least 1s.", "Example: bucket=1h");
        var maxKeys = (int)(ctx.Get(MaxKeys) ?? 1000);
        var maxLine = LogArgs.LineLimit(ctx);
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        var buckets = new SortedDictionary<long, Dictionary<string, long>>();
        long total = 0, untimed = 0;

        void Count(LogEntry e, DateTimeOffset? time)
        {
            var key = e.Get(by) ?? "-";
            if (!totals.ContainsKey(key) && totals.Count >= maxKeys) key = "(other)";
            totals[key] = totals.GetValueOrDefault(key) + 1;
            total++;
            if (bucket is not { } width) return;
            if (time is not { } t) { untimed++; return; }
            var start = t.UtcTicks / width.Ticks * width.Ticks;
            if (!buckets.TryGetValue(start, out var counts))
            {
                if (buckets.Count >= 100_000) { untimed++; return; }
                buckets[start] = counts = new Dictionary<string, long>(StringComparer.Ordinal);
            }
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        IReadOnlyList<string> read;
        ScanTotals? scan = null;
        if (source.Kind == LogSourceKind.Journal)
        {
            await JournalReader.ReadAsync(ctx, JournalReader.From(ctx, source, filter, null, false), maxLine, (e, _) =>
            {
                if (filter.Pattern is { } p && !p.IsMatch(e.Message)) return true;
                if (filter.Passes(e, e.Time)) Count(e, e.Time);
                return true;
            }).ConfigureAwait(false);
            read = ["journal"];
        }
        else
        {
            var files = source.Kind == LogSourceKind.File ? LogFiles.Resolve(source.Path!, ctx.Get(LogArgs.Rotated)) : [];
            DateTimeOffset? last = null;
            LogFile? current = null;
            scan = LogScan.Lines(ctx, source, files, maxLine, LogArgs.UnzipLimit(ctx), (file, no, bytes, cut) =>
            {
                if (file != current) { current = file; last = null; }
                if (bytes.IsEmpty) return true;
                var e = LogFormats.Parse(LogScan.Text(bytes), filter.Format, filter.Now);
                if (e.Time is not null) last = e.Time;
                if (filter.Pattern is { } p && !p.IsMatch(bytes)) return true;
                if (filter.Passes(e, e.Time ?? last)) Count(e, e.Time ?? last);
                return true;
            });
            read = scan.Files;
        }
        var list = buckets.Select(kv => new LogBucket(LogTime.Format(new DateTimeOffset(kv.Key, TimeSpan.Zero)), kv.Value.Values.Sum(),
            new SortedDictionary<string, long>(kv.Value, StringComparer.Ordinal))).ToList();
        var result = new LogStatsResult(source.Display, read, by, bucket is { } w ? DurationValue.Format(w) : null, total,
            new SortedDictionary<string, long>(totals, StringComparer.Ordinal), list, untimed);
        return scan is null ? Outcome.Unchanged(result) : LogScan.Finish(result, scan, maxLine);
    }
}
