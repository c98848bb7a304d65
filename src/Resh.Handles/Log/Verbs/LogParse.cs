using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Log;

public static class LogParse
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "How many records the result holds (the first ones that pass the filters).", 1000, min: 1, max: 1_000_000);

    public static readonly VerbInfo Verb = VerbInfo.Define("parse", Effect.Read,
        "Log lines as records: time, level, host, app, pid, message and fields, from syslog (RFC 3164/5424), JSON lines, logfmt or the nginx/apache combined format.",
        [LogArgs.Format, LogArgs.Pattern, LogArgs.IgnoreCase, LogArgs.Level, LogArgs.Since, LogArgs.Until, LogArgs.Where, Limit,
         LogArgs.Rotated, LogArgs.MaxLine, LogArgs.MaxUnzipped, LogArgs.Directory, LogArgs.Identifier],
        () => LogJson.Default.LogParseResult, RunAsync,
        examples:
        [
            new("log:///var/log/nginx/access.log.parse limit=10", "Remote address, method, path, status, bytes, referer and user agent of the first ten requests."),
            new("log:///var/log/app.jsonl.parse format_in=json level=err", "Errors of a JSON-lines log as records."),
            new("log:///var/log/syslog.parse where=app=sshd --format ndjson", "sshd's lines, one record per line."),
        ],
        notes: "format_in=auto detects each line's format: `<PRI>1 ` is RFC 5424, `<PRI>` or a leading time with host and tag is RFC 3164 (as rsyslog writes files), "
            + "`{` is JSON, `IP - user [time] \"request\" status bytes` is the access log, two or more key=value pairs logfmt, anything else plain text "
            + "(a leading time and a level word such as ERROR or [warn]). Times without an offset are local; RFC 3164 times take the year that puts them nearest before now. "
            + "Access-log levels come from the status: 5xx err, 4xx warning, else info.",
        targetHelp: "A file (log:///var/log/syslog, a glob), log://journal, log://journal/UNIT, or log://- for stdin.");

    static async ValueTask<Outcome<LogParseResult>> RunAsync(VerbContext ctx)
    {
        var source = LogSource.Of(ctx);
        var filter = LogFilter.From(ctx, LogArgs.Pattern, LogArgs.IgnoreCase, LogArgs.Level, LogArgs.Where, LogArgs.Format);
        var limit = (int)(ctx.Get(Limit) ?? 1000);
        var maxLine = LogArgs.LineLimit(ctx);
        var records = new List<LogRecord>();
        var formats = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long count = 0, chars = 0;
        bool Room(LogEntry e) => records.Count < limit && (chars += e.Message.Length + 64 + (e.Fields?.Sum(f => f.Key.Length + f.Value.Length) ?? 0)) <= LogLines.MaxResultChars;

        if (source.Kind == LogSourceKind.Journal)
        {
            await JournalReader.ReadAsync(ctx, JournalReader.From(ctx, source, filter, null, false), maxLine, (e, _) =>
            {
                if (filter.Pattern is { } p && !p.IsMatch(e.Message)) return true;
                if (!filter.Passes(e, e.Time)) return true;
                count++;
                formats["journal"] = formats.GetValueOrDefault("journal") + 1;
                if (Room(e)) records.Add(LogLines.Record(null, null, e));
                return true;
            }).ConfigureAwait(false);
            return new LogParseResult(source.Display, ["journal"], records, count, formats, count > records.Count, 0);
        }

        var files = source.Kind == LogSourceKind.File ? LogFiles.Resolve(source.Path!, ctx.Get(LogArgs.Rotated)) : [];
        DateTimeOffset? last = null;
        LogFile? current = null;
        var totals = LogScan.Lines(ctx, source, files, maxLine, LogArgs.UnzipLimit(ctx), (file, no, bytes, cut) =>
        {
            if (file != current) { current = file; last = null; }
            if (bytes.IsEmpty) return true;
            if (filter.Pattern is { } p && !p.IsMatch(bytes) && !filter.HasTime) return true;
            var e = LogFormats.Parse(LogScan.Text(bytes), filter.Format, filter.Now);
            if (e.Time is not null) last = e.Time;
            if (filter.Pattern is { } p2 && !p2.IsMatch(bytes)) return true;
            if (!filter.Passes(e, e.Time ?? last)) return true;
            if (cut) e.Set("cut", "true");
            count++;
            formats[e.Format] = formats.GetValueOrDefault(e.Format) + 1;
            if (Room(e)) records.Add(LogLines.Record(file, no, e));
            return true;
        });
        return LogScan.Finish(new LogParseResult(source.Display, totals.Files, records, count, formats, count > records.Count, totals.CutLines), totals, maxLine);
    }
}
