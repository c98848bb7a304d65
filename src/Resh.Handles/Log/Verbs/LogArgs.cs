using Resh.Core.Model;

namespace Resh.Handles.Log;

static class LogArgs
{
    public static readonly Arg<string?> Since = Arg.String("since", "Only lines at or after this time: a duration back from now (1h, 2d), a date or time (2026-12-06, 2026-12-06T10:00:00Z; local time without an offset), @UNIXSECONDS, today, yesterday.",
        examples: ["1h", "today", "2026-12-06T10:00:00Z"]);
    public static readonly Arg<string?> Until = Arg.String("until", "Only lines before this time (same forms as since).", examples: ["30m", "2026-12-06"]);
    public static readonly Arg<string?> Pattern = Arg.String("pattern", "A word or a regular expression (.NET syntax) a line must contain.", examples: ["error", "timeout|refused", "user=\\w+"]);
    public static readonly Arg<bool> IgnoreCase = Arg.Bool("ignore_case", "Match pattern= without regard to case.", aliases: ["i"]);
    public static readonly Arg<string?> Level = Arg.Enum("level", "Only lines of this level and more severe (syslog levels; error and warn are accepted).", LogLevels.Choices);
    public static readonly Arg<IReadOnlyList<string>> Where = Arg.List("where", "FIELD=VALUE a parsed line must have (repeatable): app, host, pid, level, or a field of the format (status, method, ...).",
        examples: ["status=500", "app=sshd"]);
    public static readonly Arg<string?> Format = Arg.Enum("format_in", "How the lines are written; auto detects per line.", LogFormats.Names, "auto", aliases: ["log_format"]);
    public static readonly Arg<bool> Rotated = Arg.Bool("rotated", "Read the rotated copies too (NAME.1, NAME.2.gz, NAME.3.zst, NAME-YYYYMMDD.gz), oldest first.");
    public static readonly Arg<long?> MaxLine = Arg.Size("max_line", "Longer lines are cut to this many bytes (only their head is matched and shown; cut lines are counted).", 64 * 1024);
    public static readonly Arg<long?> MaxUnzipped = Arg.Size("max_unzipped", "A compressed rotated file is read only up to this many decompressed bytes (a gzip bomb stops there; the call is then `partial`).", 4L << 30);
    public static readonly Arg<string?> Directory = Arg.String("directory", "Journal only: read the journal files in this directory (journalctl -D) instead of the system journal.", path: PathUse.Read);
    public static readonly Arg<string?> Identifier = Arg.String("identifier", "Journal only: only entries with this syslog identifier (journalctl -t).", examples: ["sshd", "CRON"]);

    public static int LineLimit(Resh.Core.Execution.VerbContext ctx)
    {
        var v = ctx.Get(MaxLine) ?? 64 * 1024;
        if (v < 16 || v > 64L << 20) throw Resh.Core.Errors.ReshError.Usage("max_line= must be between 16 bytes and 64MiB.", "Example: max_line=1MiB").ToException();
        return (int)v;
    }

    public static long UnzipLimit(Resh.Core.Execution.VerbContext ctx) => ctx.Get(MaxUnzipped) ?? (4L << 30);
}
