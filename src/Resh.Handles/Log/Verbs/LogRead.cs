using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Log;

public static class LogRead
{
    static readonly Arg<long?> Lines = Arg.Int("lines", "How many of the last lines (that pass since/until/level).", 100, min: 1, max: 1_000_000, aliases: ["n"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("read", Effect.Read,
        "The last lines of a log file, files or the journal, optionally only those between since and until or of a level.",
        [Lines, LogArgs.Since, LogArgs.Until, LogArgs.Level, LogArgs.Rotated, LogArgs.Format, LogArgs.MaxLine, LogArgs.MaxUnzipped, LogArgs.Directory, LogArgs.Identifier],
        () => LogJson.Default.LogReadResult, RunAsync,
        examples:
        [
            new("log:///var/log/syslog.read lines=20", "The last 20 lines, each with its time and level when the line has them."),
            new("log:///var/log/syslog.read since=1h rotated=true", "The last 100 lines of the past hour, across syslog.1 and syslog.2.gz too."),
            new("log://journal/cron.service.read lines=50", "The last 50 journal entries of cron.service."),
        ],
        notes: "A time filter uses each line's own time; a line without one (a stack trace under its message) takes the time of the line before it. "
            + "Without since/until/level a single uncompressed file is read backwards from its end, so a multi-GB file costs only its tail. "
            + "`--format raw` prints the lines as text.",
        targetHelp: "A file (log:///var/log/syslog, a glob in the last part: log:///var/log/nginx/*.log), log://journal, log://journal/UNIT, or log://- for stdin.");

    static async ValueTask<Outcome<LogReadResult>> RunAsync(VerbContext ctx)
    {
        var source = LogSource.Of(ctx);
        var want = (int)(ctx.Get(Lines) ?? 100);
        var filter = LogFilter.From(ctx, null, null, LogArgs.Level, null, LogArgs.Format);
        var maxLine = LogArgs.LineLimit(ctx);
        var kept = new Ring(want);

        if (source.Kind == LogSourceKind.Journal)
        {
            await JournalReader.ReadAsync(ctx, JournalReader.From(ctx, source, filter, want, false), maxLine, (e, text) =>
            {
                kept.Add(LogLines.Line(null, null, text, e, e.Time, false));
                return true;
            }).ConfigureAwait(false);
            kept.WarnIfShort(ctx);
            return Done(source, ["journal"], kept.Lines, 0);
        }

        var files = source.Kind == LogSourceKind.File ? LogFiles.Resolve(source.Path!, ctx.Get(LogArgs.Rotated)) : [];
        if (!filter.NeedsEntry && files.Count == 1 && !files[0].Compressed && source.Kind == LogSourceKind.File && files[0].Size > 0)
            return FromEnd(ctx, source, files[0], want, maxLine, filter);

        DateTimeOffset? last = null;
        LogFile? current = null;
        var totals = LogScan.Lines(ctx, source, files, maxLine, LogArgs.UnzipLimit(ctx), (file, no, bytes, cut) =>
        {
            if (file != current) { current = file; last = null; }
            var text = LogScan.Text(bytes);
            LogEntry? e = null;
            if (filter.NeedsEntry)
            {
                e = LogFormats.Parse(text, filter.Format, filter.Now);
                if (e.Time is not null) last = e.Time;
                if (!filter.Passes(e, e.Time ?? last)) return true;
            }
            kept.Add(new LogLine(LogLines.FileName(file), no, null, null, text, cut));
            return true;
        });
        kept.WarnIfShort(ctx);
        return LogScan.Finish(Result(source, totals.Files, Annotate(kept.Lines, filter), totals.CutLines), totals, maxLine)
            .WithRaw(LogLines.Raw(kept.Lines.Select(l => l.Text)));
    }

    static Outcome<LogReadResult> FromEnd(VerbContext ctx, LogSource source, LogFile file, int want, int maxLine, LogFilter filter)
    {
        var kept = new Ring(want);
        long cut = 0;
        using (var stream = LogFiles.Open(file, long.MaxValue))
        {
            var size = stream.Length;
            var start = LogTail.StartOfLast(stream, size, want, maxLine);
            stream.Position = start;
            bool partialFirst = start > 0 && !AfterNewline(stream, start);
            stream.Position = start;
            LogScan.ReadAll(stream, maxLine, (bytes, isCut) =>
            {
                if (partialFirst) { partialFirst = false; return true; }
                if (isCut) cut++;
                kept.Add(new LogLine(LogLines.FileName(file), null, null, null, LogScan.Text(bytes), isCut));
                return true;
            }, ctx.Cancellation);
        }
        kept.WarnIfShort(ctx);
        return Outcome.Unchanged(Result(source, [LogLines.FileName(file)!], Annotate(kept.Lines, filter), cut)).WithRaw(LogLines.Raw(kept.Lines.Select(l => l.Text)));
    }

    static bool AfterNewline(Stream s, long at)
    {
        s.Position = at - 1;
        return s.ReadByte() == '\n';
    }

    /// <summary>Adds each kept line's time and level (parsed only for the lines shown).</summary>
    static List<LogLine> Annotate(IEnumerable<LogLine> lines, LogFilter filter) =>
        lines.Select(l =>
        {
            var e = LogFormats.Parse(l.Text, filter.Format, filter.Now);
            return l with { Ts = e.Time is { } t ? LogTime.Format(t) : null, Level = LogLevels.Name(e.Level) };
        }).ToList();

    /// <summary>The last lines, at most <c>want</c> of them and at most <see cref="LogLines.MaxResultChars"/> of text.</summary>
    sealed class Ring(int want)
    {
        readonly Queue<LogLine> _lines = new();
        long _chars;
        bool _short;

        public IEnumerable<LogLine> Lines => _lines;

        public void Add(LogLine line)
        {
            _lines.Enqueue(line);
            _chars += line.Text.Length;
            while (_lines.Count > want || _chars > LogLines.MaxResultChars && _lines.Count > 1)
            {
                if (_lines.Count <= want) _short = true;
                _chars -= _lines.Dequeue().Text.Length;
            }
        }

        public void WarnIfShort(VerbContext ctx)
        {
            if (_short) ctx.Warn($"Only the last {_lines.Count} lines are shown: a result holds at most {LogLines.MaxResultChars >> 20} Mi characters of lines.");
        }
    }

    static Outcome<LogReadResult> Done(LogSource source, IReadOnlyList<string> files, IEnumerable<LogLine> kept, long cut) =>
        Outcome.Unchanged(Result(source, files, kept.ToList(), cut)).WithRaw(LogLines.Raw(kept.Select(l => l.Text)));

    static LogReadResult Result(LogSource source, IReadOnlyList<string> files, List<LogLine> lines, long cut) =>
        new(source.Display, files, lines, lines.Count, cut);
}
