using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Log;

public enum LogSourceKind { File, Journal, Stdin }

/// <summary>
/// What a log:// target names: files (`log:///var/log/syslog`, a glob, `log://./journal` for a file called journal),
/// the systemd journal (`log://journal`, `log://journal/UNIT`), or standard input (`log://-` or `log://stdin`).
/// </summary>
public sealed class LogSource
{
    public LogSourceKind Kind { get; private init; }
    /// <summary>The file path (a glob allowed) for files; the unit for the journal (null: the whole journal).</summary>
    public string? Path { get; private init; }
    public string? Unit { get; private init; }
    public string Display { get; private init; } = "";

    public static LogSource Of(VerbContext ctx)
    {
        var t = ctx.Target;
        if (t.Length == 0)
            throw ReshError.Usage("The log:// target is empty.", "Name a file (log:///var/log/syslog), the journal (log://journal/UNIT) or stdin (log://-).").ToException();
        if (t.Contains('\0')) throw ReshError.Usage("The log path contains a NUL byte.", "Give a path without NUL bytes.").ToException();
        if (t is "-" or "stdin") return new LogSource { Kind = LogSourceKind.Stdin, Display = "stdin" };
        if (t == "syslog")
            throw ReshError.Unsupported("log://syslog is the syslog socket: it can only be written to.",
                "Read what syslog wrote from its file: log:///var/log/syslog (or log:///var/log/messages); a file named syslog here: log://./syslog").ToException();
        if (t == "journal") return new LogSource { Kind = LogSourceKind.Journal, Display = "journal" };
        if (t.StartsWith("journal/", StringComparison.Ordinal))
        {
            var unit = t["journal/".Length..];
            if (unit.Length == 0 || unit.Contains('/') || unit.StartsWith('-'))
                throw ReshError.Usage($"`{unit}` is not a unit name.", "Example: log://journal/cron.service").ToException();
            return new LogSource { Kind = LogSourceKind.Journal, Unit = unit, Display = "journal/" + unit };
        }
        var path = Resh.Handles.Files.FilePaths.Resolve(t, ctx.Runtime.Paths.Home);
        return new LogSource { Kind = LogSourceKind.File, Path = path, Display = Resh.Handles.Files.FilePaths.Display(path) };
    }

    public ReshException NotForJournal(string verb) =>
        ReshError.Unsupported($"{verb} works on files, not on the journal.", "Give a file: log:///var/log/app.log." + verb).ToException();
}
