using System.Security.Cryptography;
using System.Text;

namespace Resh.Handles.Cron;

/// <summary>A job line found in a crontab.</summary>
internal sealed record CrontabJob(string Schedule, string? User, string Command, bool Enabled, string? ManagedId, string? Comment, string Line);

/// <summary>
/// Reads and edits crontab text. resh owns only marked blocks (# BEGIN resh ID ... # END resh ID); every
/// other byte of the file is carried over unchanged.
/// </summary>
internal static class Crontab
{
    public const string DisabledPrefix = "# disabled: ";
    public const string CommentPrefix = "# comment: ";

    static string Begin(string id) => $"# BEGIN resh {id}";
    static string End(string id) => $"# END resh {id}";

    /// <summary>Splits "m h dom mon dow [user] command" keeping the command's own spacing; null when not a job line.</summary>
    public static (string Schedule, string? User, string Command)? ParseJob(string line, bool systemFormat)
    {
        var t = line.TrimStart(' ', '\t');
        if (t.Length == 0 || t[0] == '#') return null;
        int fieldsWanted = t[0] == '@' ? 1 : 5;
        var fields = new List<string>();
        int i = 0;
        while (fields.Count < fieldsWanted + (systemFormat ? 1 : 0))
        {
            while (i < t.Length && t[i] is ' ' or '\t') i++;
            int s = i;
            while (i < t.Length && t[i] is not (' ' or '\t')) i++;
            if (s == i) return null;
            fields.Add(t[s..i]);
        }
        while (i < t.Length && t[i] is ' ' or '\t') i++;
        var command = t[i..].TrimEnd('\r');
        if (command.Length == 0) return null;
        // NAME=value lines set the environment; they are not jobs.
        if (fieldsWanted == 5 && fields[0].Contains('=')) return null;
        var schedule = string.Join(' ', fields.Take(fieldsWanted));
        if (!CronSchedule.TryParse(schedule, out _, out _)) return null;
        return (schedule, systemFormat ? fields[^1] : null, command);
    }

    public static List<CrontabJob> Jobs(string text, bool systemFormat)
    {
        var jobs = new List<CrontabJob>();
        string? id = null, comment = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("# BEGIN resh ", StringComparison.Ordinal)) { id = line[13..].Trim(); comment = null; continue; }
            if (line.StartsWith("# END resh ", StringComparison.Ordinal)) { id = null; continue; }
            if (id is not null && line.StartsWith(CommentPrefix, StringComparison.Ordinal)) { comment = line[CommentPrefix.Length..]; continue; }
            bool enabled = true;
            var body = line;
            if (id is not null && line.StartsWith(DisabledPrefix, StringComparison.Ordinal)) { enabled = false; body = line[DisabledPrefix.Length..]; }
            if (ParseJob(body, systemFormat) is not { } job) continue;
            jobs.Add(new CrontabJob(job.Schedule, job.User, job.Command, enabled, id, id is null ? null : comment, line));
        }
        return jobs;
    }

    public static string ForeignId(string source, string line) =>
        "c-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(source + "\n" + line)))[..10].ToLowerInvariant();

    public static List<string> Block(string id, string? comment, string jobLine, bool enabled)
    {
        var lines = new List<string> { Begin(id) };
        if (comment is not null) lines.Add(CommentPrefix + comment);
        lines.Add(enabled ? jobLine : DisabledPrefix + jobLine);
        lines.Add(End(id));
        return lines;
    }

    public static bool HasBlock(string text, string id) => FindBlock(Lines(text), id).Start >= 0;

    /// <summary>The text after the last newline, which cron never reads; null when the text ends with a newline.</summary>
    public static string? UnterminatedLastLine(string text) => Trailer(text) is { Length: > 0 } t && t.Trim().Length > 0 ? t : null;

    /// <summary>
    /// The environment a crontab gives a job, as cron builds it while reading the file: each NAME=value line
    /// (spaces around = allowed, a value in matching quotes loses them) applies to the jobs after it.
    /// </summary>
    public static List<(string Name, string Value)> EnvironmentFor(string text, string jobLine)
    {
        var env = new List<(string, string)>();
        foreach (var raw in Lines(text))
        {
            var line = raw.TrimEnd('\r');
            if (line == jobLine) break;
            if (ParseAssignment(line) is { } a)
            {
                env.RemoveAll(e => e.Item1 == a.Name);
                env.Add(a);
            }
        }
        return env;
    }

    static (string Name, string Value)? ParseAssignment(string line)
    {
        var t = line.TrimStart(' ', '\t');
        if (t.Length == 0 || t[0] == '#') return null;
        var eq = t.IndexOf('=');
        if (eq <= 0) return null;
        var name = t[..eq].TrimEnd(' ', '\t');
        if (name.Length == 0 || name.Any(c => c is ' ' or '\t')) return null;
        var value = t[(eq + 1)..].Trim(' ', '\t');
        if (value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\'')) value = value[1..^1];
        return (name, value);
    }

    /// <summary>The text with the block replaced (or appended when absent, or removed when <paramref name="block"/> is null).</summary>
    public static string SetBlock(string text, string id, IReadOnlyList<string>? block)
    {
        var lines = Lines(text);
        var trailer = Trailer(text);
        var (start, end) = FindBlock(lines, id);
        if (start >= 0)
        {
            lines.RemoveRange(start, end - start + 1);
            if (block is not null) lines.InsertRange(start, block);
        }
        else if (block is not null)
        {
            // A last line without a newline (which cron ignores) stays last and unterminated: the block goes
            // before it, so adding and removing a job leaves the file byte for byte as it was.
            lines.AddRange(block);
        }
        return string.Concat(lines.Select(l => l + "\n")) + trailer;
    }

    /// <summary>The job line of a block with enabled toggled; null when the block is absent.</summary>
    public static string? SetEnabled(string text, string id, bool enabled)
    {
        var lines = Lines(text);
        var (start, end) = FindBlock(lines, id);
        if (start < 0) return null;
        for (int i = start + 1; i < end; i++)
        {
            if (lines[i].StartsWith(CommentPrefix, StringComparison.Ordinal)) continue;
            var isDisabled = lines[i].StartsWith(DisabledPrefix, StringComparison.Ordinal);
            if (enabled && isDisabled) lines[i] = lines[i][DisabledPrefix.Length..];
            else if (!enabled && !isDisabled) lines[i] = DisabledPrefix + lines[i];
        }
        return string.Concat(lines.Select(l => l + "\n")) + Trailer(text);
    }

    /// <summary>Complete lines of the text (a final line without newline is kept as a line; see <see cref="Trailer"/>).</summary>
    static List<string> Lines(string text)
    {
        if (text.Length == 0) return [];
        var parts = text.Split('\n').ToList();
        parts.RemoveAt(parts.Count - 1); // the text after the last newline is the trailer
        return parts;
    }

    /// <summary>Text after the last newline (a final line without newline), kept verbatim at the end... except that cron
    /// ignores it, so when resh appends a block it terminates that line first.</summary>
    static string Trailer(string text)
    {
        var nl = text.LastIndexOf('\n');
        return nl < 0 ? text : text[(nl + 1)..];
    }

    static (int Start, int End) FindBlock(List<string> lines, string id)
    {
        var b = Begin(id);
        var e = End(id);
        var start = lines.FindIndex(l => l.TrimEnd('\r') == b);
        if (start < 0) return (-1, -1);
        var end = lines.FindIndex(start + 1, l => l.TrimEnd('\r') == e);
        return end < 0 ? (-1, -1) : (start, end);
    }
}
