using Resh.Core.Execution;

namespace Resh.Handles.Log;

/// <summary>Turns lines and parsed entries into result records.</summary>
static class LogLines
{
    /// <summary>The text a result may hold (lines, matches, records): 32 Mi characters, whatever lines= or limit= say.</summary>
    public const long MaxResultChars = 32L << 20;

    public static string? FileName(LogFile? f) => f is null ? null : Resh.Handles.Files.FilePaths.Display(f.Path);

    public static LogLine Line(LogFile? file, long? no, string text, LogEntry? e, DateTimeOffset? time, bool cut) =>
        new(FileName(file), no, time is { } t ? LogTime.Format(t) : null, LogLevels.Name(e?.Level), text, cut);

    public static LogRecord Record(LogFile? file, long? no, LogEntry e) =>
        new(FileName(file), no, e.Format, e.Time is { } t ? LogTime.Format(t) : null, LogLevels.Name(e.Level), e.Host, e.App, e.Pid, e.Message, e.Fields);

    public static RawPayload Raw(IEnumerable<string> lines)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var l in lines) sb.Append(l).Append('\n');
        return RawPayload.FromText(sb.ToString(), newline: false);
    }
}
