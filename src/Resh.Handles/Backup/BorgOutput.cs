using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Handles.Backup;

/// <summary>Reading borg's --json / --json-lines output and its --log-json messages (stderr).</summary>
public static class BorgOutput
{
    /// <summary>The last ERROR (or CRITICAL) log message and its msgid; without --log-json lines, the last stderr line.</summary>
    public static (string Message, string? MsgId) LastError(string stderr)
    {
        string? message = null, msgid = null, last = null;
        foreach (var raw in stderr.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            last = line;
            if (!line.StartsWith('{')) continue;
            JsonObject? o = null;
            try { o = JsonNode.Parse(line) as JsonObject; } catch (JsonException) { }
            if (o is null || ResticOutput.Str(o, "type") != "log_message") continue;
            if (ResticOutput.Str(o, "levelname") is "ERROR" or "CRITICAL")
            {
                message = ResticOutput.Str(o, "message")?.Trim();
                msgid = ResticOutput.Str(o, "msgid") ?? msgid;
            }
        }
        message ??= last ?? "no message";
        message = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? message;
        return (message.Length > 300 ? message[..300] + "…" : message, msgid);
    }

    /// <summary>The log messages of --log-json output (stderr), as (logger name, level, message).</summary>
    public static IEnumerable<(string Name, string Level, string Message)> LogMessages(string stderr)
    {
        foreach (var o in ResticOutput.Lines(stderr))
            if (ResticOutput.Str(o, "type") == "log_message")
                yield return (ResticOutput.Str(o, "name") ?? "", ResticOutput.Str(o, "levelname") ?? "", ResticOutput.Str(o, "message") ?? "");
    }

    /// <summary>An `ls -l` mode string (drwxr-xr-x, -rwsr-xr-t) as octal permission bits.</summary>
    public static string Mode(string text)
    {
        if (text.Length < 10) return "0000";
        int m = 0;
        var p = text[1..10];
        for (int i = 0; i < 9; i++)
            if (p[i] is not '-' and not 'S' and not 'T') m |= 1 << (8 - i);
        if (p[2] is 's' or 'S') m |= 0x800;
        if (p[5] is 's' or 'S') m |= 0x400;
        if (p[8] is 't' or 'T') m |= 0x200;
        if (p[2] == 'S') m &= ~0x40;
        if (p[5] == 'S') m &= ~0x8;
        if (p[8] == 'T') m &= ~0x1;
        return Convert.ToString(m, 8).PadLeft(4, '0');
    }

    /// <summary>borg's local time stamps (2026-12-06T23:07:56.000000) as ISO 8601 with the offset.</summary>
    public static string Time(string? text)
    {
        if (text is null) return "";
        return DateTime.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeLocal, out var t)
            ? new DateTimeOffset(t).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFzzz", System.Globalization.CultureInfo.InvariantCulture) : text;
    }

    /// <summary>Tags kept in a borg archive's comment (borg has no tags): `resh-tags: a,b`.</summary>
    public const string TagPrefix = "resh-tags: ";

    public static IReadOnlyList<string> Tags(string? comment) =>
        comment is not null && comment.StartsWith(TagPrefix, StringComparison.Ordinal)
            ? comment[TagPrefix.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
}
