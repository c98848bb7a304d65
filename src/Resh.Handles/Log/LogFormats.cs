using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Resh.Handles.Log;

/// <summary>
/// Parses one log line in a known format, or detects the format (auto): RFC 5424 and RFC 3164 syslog (with or
/// without the &lt;PRI&gt;, as rsyslog writes files, also with an RFC 3339 time), JSON lines, logfmt, the
/// nginx/apache combined (and common) access log, else plain text with a leading time and a level word.
/// </summary>
public static partial class LogFormats
{
    public static readonly string[] Names = ["auto", "rfc5424", "rfc3164", "json", "logfmt", "combined", "plain"];

    public static LogEntry Parse(string line, string format, DateTimeOffset now)
    {
        var e = format switch
        {
            "rfc5424" => Rfc5424(line),
            "rfc3164" => Rfc3164(line, now),
            "json" => Json(line, now),
            "logfmt" => Logfmt(line, now),
            "combined" => Combined(line),
            "plain" => null,
            _ => Auto(line, now),
        };
        return e ?? Plain(line, now);
    }

    static LogEntry? Auto(string line, DateTimeOffset now)
    {
        var s = line.AsSpan().TrimStart();
        if (s.Length == 0) return null;
        switch (s[0])
        {
            case '{': return Json(line, now);
            case '<': return s.IndexOf('>') is > 1 and < 5 && s.IndexOf('>') + 2 < s.Length && s[s.IndexOf('>') + 1] == '1' && s[s.IndexOf('>') + 2] == ' '
                ? Rfc5424(line) ?? Rfc3164(line, now) : Rfc3164(line, now);
        }
        if (char.IsAsciiDigit(s[0]) || s[0] == ':')
        {
            if (!LogTime.Iso(s, out _, out _) && Combined(line) is { } c) return c;
        }
        if (Rfc3164(line, now) is { } sys) return sys;
        if (LooksLogfmt(s)) return Logfmt(line, now);
        return null;
    }

    // ---- syslog --------------------------------------------------------------------------------------

    static bool Pri(ReadOnlySpan<char> s, out int pri, out int used)
    {
        pri = -1; used = 0;
        if (s.Length < 3 || s[0] != '<') return false;
        int end = s.IndexOf('>');
        if (end is < 2 or > 4 || !int.TryParse(s[1..end], NumberStyles.None, CultureInfo.InvariantCulture, out pri) || pri > 191) return false;
        used = end + 1;
        return true;
    }

    static readonly string[] Facilities =
        ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
         "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"];

    static void SetPri(LogEntry e, int pri)
    {
        e.Level = pri & 7;
        e.Set("facility", Facilities[pri >> 3]);
    }

    /// <summary>&lt;PRI&gt;1 TIMESTAMP HOST APP PROCID MSGID [SD-ID k="v"...] MSG</summary>
    static LogEntry? Rfc5424(string line)
    {
        var s = line.AsSpan();
        if (!Pri(s, out var pri, out var i) || i + 2 > s.Length || s[i] != '1' || s[i + 1] != ' ') return null;
        i += 2;
        var e = new LogEntry { Format = "rfc5424" };
        SetPri(e, pri);
        string? Word()
        {
            int start = i;
            while (i < line.Length && line[i] != ' ') i++;
            var w = line[start..i];
            if (i < line.Length) i++;
            return w == "-" ? null : w;
        }
        var ts = Word();
        if (ts is not null)
        {
            if (!LogTime.Iso(ts, out var t, out var used) || used != ts.Length) return null;
            e.Time = t;
        }
        e.Host = Word();
        e.App = Word();
        var procid = Word();
        if (procid is not null) { if (int.TryParse(procid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) e.Pid = pid; else e.Set("procid", procid); }
        if (Word() is { } msgid) e.Set("msgid", msgid);
        if (i < line.Length && line[i] == '-') { i++; if (i < line.Length && line[i] == ' ') i++; }
        else
        {
            while (i < line.Length && line[i] == '[')
            {
                // [id key="value" key="va\"lue"]
                i++;
                int idStart = i;
                while (i < line.Length && line[i] is not (' ' or ']')) i++;
                var id = line[idStart..i];
                while (i < line.Length && line[i] == ' ')
                {
                    i++;
                    int k = i;
                    while (i < line.Length && line[i] is not ('=' or ']' or ' ')) i++;
                    var key = line[k..i];
                    if (i + 1 >= line.Length || line[i] != '=' || line[i + 1] != '"') return null;
                    i += 2;
                    var val = new System.Text.StringBuilder();
                    while (i < line.Length && line[i] != '"')
                    {
                        if (line[i] == '\\' && i + 1 < line.Length) i++;
                        val.Append(line[i++]);
                    }
                    if (i >= line.Length) return null;
                    i++;
                    e.Set(id + "." + key, val.ToString());
                }
                if (i >= line.Length || line[i] != ']') return null;
                i++;
            }
            if (i < line.Length && line[i] == ' ') i++;
        }
        var msg = line[Math.Min(i, line.Length)..];
        if (msg.StartsWith('\uFEFF')) msg = msg[1..];
        e.Message = msg;
        return e;
    }

    /// <summary>[&lt;PRI&gt;]TIMESTAMP HOST TAG[PID]: MSG, TIMESTAMP as "Mmm dd HH:mm:ss" or RFC 3339 (rsyslog's file formats).</summary>
    static LogEntry? Rfc3164(string line, DateTimeOffset now)
    {
        var s = line.AsSpan();
        int i = 0;
        bool hasPri = Pri(s, out var pri, out i);
        DateTimeOffset t;
        int used;
        if (LogTime.Bsd(s[i..], now, out t, out used)) { }
        else if (LogTime.Iso(s[i..], out t, out used) && used > 10) { }
        else if (hasPri) { used = 0; t = default; }
        else return null;
        var e = new LogEntry { Format = "rfc3164" };
        if (hasPri) SetPri(e, pri);
        if (used > 0) e.Time = t;
        i += used;
        if (i < s.Length && s[i] == ' ') i++;
        // HOST, then TAG[PID]: — a line without the host ("Mmm dd HH:mm:ss app: msg") has its tag here.
        int w1 = i;
        while (i < s.Length && s[i] != ' ') i++;
        var first = line[w1..i];
        if (first.EndsWith(':') || first.Contains('['))
        {
            Tag(e, first);
            e.Message = i < line.Length ? line[(i + 1)..] : "";
        }
        else
        {
            e.Host = first.Length > 0 ? first : null;
            if (i < s.Length) i++;
            int w2 = i;
            while (i < s.Length && s[i] != ' ' && s[i] != ':' ) i++;
            if (i < s.Length && s[i] == ':' ) { Tag(e, line[w2..(i + 1)]); i++; if (i < s.Length && s[i] == ' ') i++; e.Message = line[i..]; }
            else
            {
                var tag = line[w2..i];
                if (tag.EndsWith(']') && tag.Contains('[')) { Tag(e, tag); if (i < s.Length) i++; e.Message = line[i..]; }
                else e.Message = line[w2..];
            }
        }
        e.Level ??= LogLevels.InText(e.Message);
        return e;
    }

    static void Tag(LogEntry e, string tag)
    {
        tag = tag.TrimEnd(':');
        int open = tag.IndexOf('[');
        if (open > 0 && tag.EndsWith(']'))
        {
            if (int.TryParse(tag.AsSpan(open + 1, tag.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) e.Pid = pid;
            tag = tag[..open];
        }
        e.App = tag.Length > 0 ? tag : null;
    }

    // ---- JSON lines ------------------------------------------------------------------------------------

    static readonly string[] TimeKeys = ["time", "ts", "timestamp", "@timestamp", "t", "date", "datetime", "__REALTIME_TIMESTAMP"];
    static readonly string[] LevelKeys = ["level", "lvl", "severity", "levelname", "log.level", "loglevel", "PRIORITY"];
    static readonly string[] MessageKeys = ["msg", "message", "MESSAGE", "log", "text"];
    static readonly string[] HostKeys = ["host", "hostname", "_HOSTNAME"];
    static readonly string[] AppKeys = ["app", "service", "logger", "name", "SYSLOG_IDENTIFIER", "_COMM"];
    static readonly string[] PidKeys = ["pid", "_PID", "process.pid"];

    static LogEntry? Json(string line, DateTimeOffset now)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 32 }); }
        catch (JsonException) { return null; }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            var e = new LogEntry { Format = "json" };
            int appRank = int.MaxValue;
            string? appKey = null;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                var v = p.Value;
                string text = v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString() ?? "",
                    JsonValueKind.Array when p.Name == "MESSAGE" && v.EnumerateArray().All(b => b.ValueKind == JsonValueKind.Number) =>
                        System.Text.Encoding.UTF8.GetString(v.EnumerateArray().Select(b => b.TryGetByte(out var x) ? x : (byte)'?').ToArray()),
                    _ => v.GetRawText(),
                };
                if (e.Time is null && TimeKeys.Contains(p.Name))
                {
                    e.Time = p.Name == "__REALTIME_TIMESTAMP" && long.TryParse(text, out var us)
                        ? DateTimeOffset.FromUnixTimeMilliseconds(us / 1000).AddTicks(us % 1000 * 10)
                        : v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var n) ? LogTime.Epoch(n) : LogTime.Any(text, now);
                    if (e.Time is not null) continue;
                }
                if (e.Level is null && LevelKeys.Contains(p.Name))
                {
                    e.Level = v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? LogLevels.OfNumber(n) : LogLevels.Of(text);
                    if (e.Level is not null) continue;
                }
                if (e.Message.Length == 0 && MessageKeys.Contains(p.Name) && v.ValueKind is JsonValueKind.String or JsonValueKind.Array) { e.Message = text; continue; }
                if (e.Host is null && HostKeys.Contains(p.Name) && v.ValueKind == JsonValueKind.String) { e.Host = text; continue; }
                if (Array.IndexOf(AppKeys, p.Name) is >= 0 and var rank && rank < appRank && v.ValueKind == JsonValueKind.String)
                {
                    // SYSLOG_IDENTIFIER names the program better than _COMM, whichever comes first in the object.
                    if (appKey is not null) e.Set(appKey, e.App!);
                    (e.App, appRank, appKey) = (text, rank, p.Name);
                    continue;
                }
                if (e.Pid is null && PidKeys.Contains(p.Name) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) { e.Pid = pid; continue; }
                e.Set(p.Name, text);
            }
            return e;
        }
    }

    // ---- logfmt ----------------------------------------------------------------------------------------

    static bool LooksLogfmt(ReadOnlySpan<char> s)
    {
        int pairs = 0, i = 0;
        while (i < s.Length && pairs < 2)
        {
            int k = i;
            while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '_' or '.' or '-' or '@')) i++;
            if (i == k || i >= s.Length || s[i] != '=') return false;
            i++;
            if (i < s.Length && s[i] == '"') { i++; while (i < s.Length && s[i] != '"') { if (s[i] == '\\') i++; i++; } i++; }
            else while (i < s.Length && s[i] != ' ') i++;
            pairs++;
            while (i < s.Length && s[i] == ' ') i++;
        }
        return pairs >= 2;
    }

    static LogEntry? Logfmt(string line, DateTimeOffset now)
    {
        var e = new LogEntry { Format = "logfmt" };
        int i = 0, pairs = 0;
        var s = line;
        while (i < s.Length)
        {
            while (i < s.Length && s[i] == ' ') i++;
            int k = i;
            while (i < s.Length && s[i] is not ('=' or ' ')) i++;
            if (i == k) { i++; continue; }
            var key = s[k..i];
            string value = "";
            if (i < s.Length && s[i] == '=')
            {
                i++;
                if (i < s.Length && s[i] == '"')
                {
                    var sb = new System.Text.StringBuilder();
                    i++;
                    while (i < s.Length && s[i] != '"')
                    {
                        if (s[i] == '\\' && i + 1 < s.Length) { i++; sb.Append(s[i] switch { 'n' => '\n', 't' => '\t', var c => c }); }
                        else sb.Append(s[i]);
                        i++;
                    }
                    i++;
                    value = sb.ToString();
                }
                else
                {
                    int v = i;
                    while (i < s.Length && s[i] != ' ') i++;
                    value = s[v..i];
                }
            }
            pairs++;
            if (e.Time is null && TimeKeys.Contains(key) && LogTime.Any(value, now) is { } t) { e.Time = t; continue; }
            if (e.Level is null && LevelKeys.Contains(key) && LogLevels.Of(value) is { } l) { e.Level = l; continue; }
            if (e.Message.Length == 0 && MessageKeys.Contains(key)) { e.Message = value; continue; }
            if (e.Host is null && HostKeys.Contains(key)) { e.Host = value; continue; }
            if (e.App is null && AppKeys.Contains(key)) { e.App = value; continue; }
            if (e.Pid is null && PidKeys.Contains(key) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) { e.Pid = pid; continue; }
            e.Set(key, value);
        }
        return pairs == 0 ? null : e;
    }

    // ---- combined / common access log ------------------------------------------------------------------

    [GeneratedRegex("""^(\S+) (\S+) (\S+) \[([^\]]{26})\] "([^"\\]*(?:\\.[^"\\]*)*)" (\d{3}) (\d+|-)(?: "([^"\\]*(?:\\.[^"\\]*)*)" "([^"\\]*(?:\\.[^"\\]*)*)")?""", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex CombinedLine();

    static LogEntry? Combined(string line)
    {
        Match m;
        try { m = CombinedLine().Match(line); }
        catch (RegexMatchTimeoutException) { return null; }
        if (!m.Success || !LogTime.Clf(m.Groups[4].ValueSpan, out var t)) return null;
        var e = new LogEntry { Format = "combined", Time = t, Host = null };
        e.Set("remote_addr", m.Groups[1].Value);
        if (m.Groups[3].Value != "-") e.Set("user", m.Groups[3].Value);
        var request = m.Groups[5].Value;
        e.Message = request;
        var parts = request.Split(' ');
        if (parts.Length == 3) { e.Set("method", parts[0]); e.Set("path", parts[1]); e.Set("protocol", parts[2]); }
        var status = int.Parse(m.Groups[6].ValueSpan, CultureInfo.InvariantCulture);
        e.Set("status", m.Groups[6].Value);
        e.Set("bytes", m.Groups[7].Value == "-" ? "0" : m.Groups[7].Value);
        if (m.Groups[8].Success) { e.Set("referer", m.Groups[8].Value); e.Set("user_agent", m.Groups[9].Value); }
        e.Level = status >= 500 ? 3 : status >= 400 ? 4 : 6;
        return e;
    }

    // ---- plain text ------------------------------------------------------------------------------------

    static LogEntry Plain(string line, DateTimeOffset now)
    {
        var e = new LogEntry { Format = "plain", Message = line };
        var s = line.AsSpan().TrimStart();
        if (s.Length > 0 && s[0] == '[' && s.IndexOf(']') is > 1 and var close)
        {
            if (LogTime.Iso(s[1..close], out var bt, out _) || LogTime.Clf(s[1..close], out bt)) e.Time = bt;
        }
        else if (LogTime.Iso(s, out var t, out var used) && used > 10) e.Time = t;
        else if (LogTime.Bsd(s, now, out t, out _)) e.Time = t;
        e.Level = LogLevels.InText(line);
        return e;
    }
}
