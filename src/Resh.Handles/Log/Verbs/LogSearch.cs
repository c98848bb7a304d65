using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Log;

public static class LogSearch
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "How many matching lines the result shows (count= counts them all).", 100, min: 0, max: 1_000_000);
    static readonly Arg<bool> CountOnly = Arg.Bool("count_only", "Only count the matching lines (like grep -c).", aliases: ["c"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("search", Effect.Read,
        "Lines that match a pattern, a level, a time range or fields, in log files (rotated and compressed copies too), stdin or the journal; streams multi-GB files in bounded memory.",
        [LogArgs.Pattern, LogArgs.IgnoreCase, LogArgs.Level, LogArgs.Since, LogArgs.Until, LogArgs.Where, Limit, CountOnly,
         LogArgs.Rotated, LogArgs.Format, LogArgs.MaxLine, LogArgs.MaxUnzipped, LogArgs.Directory, LogArgs.Identifier],
        () => LogJson.Default.LogSearchResult, RunAsync,
        examples:
        [
            new("log:///var/log/syslog.search pattern=error since=1h", "Lines with `error` from the last hour."),
            new("log:///var/log/nginx/access.log.search where=status=502 rotated=true count_only=true", "How many 502s, across the rotated copies."),
            new("log://journal/ssh.service.search pattern='Failed password' level=warning", "Failed logins in sshd's journal."),
        ],
        notes: "A plain word is searched as bytes (as fast as grep -F); a regular expression runs on a linear-time engine, so no line can make it run away. "
            + "Lines longer than max_line (64KiB) are cut: only their head is matched and shown. Invalid UTF-8 is shown as U+FFFD. "
            + "level=, since=, until= and where= parse every line (auto-detecting its format, or format_in=); a line without a time takes the time of the line before it. "
            + "A compressed copy that decompresses past max_unzipped (a gzip bomb) is read to that point and the call ends `partial`, naming it.",
        targetHelp: "A file (log:///var/log/syslog, log:///var/log/nginx/*.log), log://journal, log://journal/UNIT, or log://- for stdin.");

    static async ValueTask<Outcome<LogSearchResult>> RunAsync(VerbContext ctx)
    {
        var source = LogSource.Of(ctx);
        var filter = LogFilter.From(ctx, LogArgs.Pattern, LogArgs.IgnoreCase, LogArgs.Level, LogArgs.Where, LogArgs.Format);
        if (filter.Pattern is null && !filter.NeedsEntry)
            return ReshError.Usage("search needs something to look for.", "Give pattern=, level=, since=/until= or where=; to see the last lines use .read");
        var countOnly = ctx.Get(CountOnly);
        var limit = countOnly ? 0 : (int)(ctx.Get(Limit) ?? 100);
        var maxLine = LogArgs.LineLimit(ctx);
        var matches = new List<LogLine>();
        long count = 0, chars = 0;
        // Matches are kept up to limit= and up to the result's text budget; the count goes on.
        bool Room(string text) => matches.Count < limit && (chars += text.Length) <= LogLines.MaxResultChars;

        if (source.Kind == LogSourceKind.Journal)
        {
            long scanned = await JournalReader.ReadAsync(ctx, JournalReader.From(ctx, source, filter, null, false), maxLine, (e, text) =>
            {
                if (filter.Pattern is { } p && !p.IsMatch(e.Message)) return true;
                if (!filter.Passes(e, e.Time)) return true;
                count++;
                if (Room(text)) matches.Add(LogLines.Line(null, null, text, e, e.Time, false));
                return true;
            }).ConfigureAwait(false);
            return Outcome.Unchanged(new LogSearchResult(source.Display, ["journal"], count, matches, count > matches.Count && !countOnly, scanned, 0, 0))
                .WithRaw(LogLines.Raw(matches.Select(m => m.Text)));
        }

        var files = source.Kind == LogSourceKind.File ? LogFiles.Resolve(source.Path!, ctx.Get(LogArgs.Rotated)) : [];
        ScanTotals totals;
        if (!filter.NeedsEntry && filter.Pattern is { IsLiteral: true } literal)
            totals = Literal(ctx, source, files, literal, maxLine, limit, matches, ref count, Room);
        else
        {
            DateTimeOffset? last = null;
            LogFile? current = null;
            long n = 0;
            totals = LogScan.Lines(ctx, source, files, maxLine, LogArgs.UnzipLimit(ctx), (file, no, bytes, cut) =>
            {
                if (file != current) { current = file; last = null; }
                LogEntry? e = null;
                string? text = null;
                if (filter.NeedsEntry)
                {
                    text = LogScan.Text(bytes);
                    e = LogFormats.Parse(text, filter.Format, filter.Now);
                    if (e.Time is not null) last = e.Time;
                    if (!filter.Passes(e, e.Time ?? last)) return true;
                }
                if (filter.Pattern is { } p && !p.IsMatch(bytes)) return true;
                n++;
                if (matches.Count < limit && chars <= LogLines.MaxResultChars)
                {
                    text ??= LogScan.Text(bytes);
                    if (!Room(text)) return true;
                    e ??= LogFormats.Parse(text, filter.Format, filter.Now);
                    matches.Add(LogLines.Line(file, no, text, e, e.Time ?? last, cut));
                }
                return true;
            });
            count = n;
        }
        var result = new LogSearchResult(source.Display, totals.Files, count, matches, count > matches.Count && !countOnly, totals.Lines, totals.Bytes, totals.CutLines);
        return LogScan.Finish(result, totals, maxLine).WithRaw(countOnly ? Resh.Core.Execution.RawPayload.FromText(count.ToString(System.Globalization.CultureInfo.InvariantCulture)) : LogLines.Raw(matches.Select(m => m.Text)));
    }

    /// <summary>
    /// The fast path for a plain word and no other filter: a vectorised byte search over whole blocks, line boundaries
    /// found only around a hit. A hit past a line's max_line head does not count, as it would not in the slow path.
    /// </summary>
    static ScanTotals Literal(VerbContext ctx, LogSource source, IReadOnlyList<LogFile> files, LogMatcher literal, int maxLine, int limit, List<LogLine> matches, ref long count, Func<string, bool> room)
    {
        long n = 0, cut = 0;
        var needle = literal.Literal.ToArray();
        var now = DateTimeOffset.Now;
        var totals = LogScan.Blocks(ctx, source, files, maxLine, LogArgs.UnzipLimit(ctx), (file, firstLine, block) =>
        {
            int pos = 0;
            long lineNo = firstLine;
            int counted = 0; // newlines counted up to here, for line numbers
            while (pos < block.Length)
            {
                int hit = block[pos..].IndexOf(needle);
                if (hit < 0) break;
                hit += pos;
                int start = block[..hit].LastIndexOf((byte)'\n') + 1;
                int nl = block[hit..].IndexOf((byte)'\n');
                int end = nl < 0 ? block.Length : hit + nl;
                int lineLen = end - start;
                if (lineLen > 0 && block[end - 1] == '\r') lineLen--;
                bool isCut = lineLen > maxLine;
                if (isCut) cut++;
                if (hit + needle.Length - start <= maxLine)
                {
                    n++;
                    if (matches.Count < limit && room(""))
                    {
                        lineNo += block[counted..start].Count((byte)'\n');
                        counted = start;
                        var text = LogScan.Text(block.Slice(start, Math.Min(lineLen, maxLine)));
                        var e = LogFormats.Parse(text, "auto", now);
                        if (room(text)) matches.Add(LogLines.Line(file, lineNo, text, e, e.Time, isCut));
                    }
                }
                pos = end + 1;
            }
            return true;
        });
        totals.CutLines = cut;
        count = n;
        return totals;
    }
}
