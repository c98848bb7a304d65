using System.Globalization;
using System.Text;

namespace Resh.Handles.Svc.Systemd;

/// <summary>Writes values into unit files with systemd's quoting rules (systemd.service(5), systemd.syntax(7)).</summary>
internal static class UnitFileText
{
    public const string Marker = "# Created by resh (svc://NAME.create); edit with resh or replace this line to take it over.";

    /// <summary>
    /// One ExecStart= argument. `%` starts a specifier and `$` a variable everywhere, so they are doubled;
    /// anything beyond a conservative safe set is double-quoted with C escapes, which also keeps a lone `;`
    /// from being read as a command separator. Quotes do not keep systemd from reading a leading @-:+! of the first word as
    /// a prefix (it unquotes first): svc.create refuses such a program name.
    /// </summary>
    public static string ExecArg(string arg)
    {
        var doubled = arg.Replace("%", "%%", StringComparison.Ordinal).Replace("$", "$$", StringComparison.Ordinal);
        if (arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or ':' or '=' or ',' or '+' or '-' or '%')
            && arg[0] is not ('@' or '-' or ':' or '+' or '!'))
            return doubled;
        return "\"" + CEscape(doubled) + "\"";
    }

    public static string ExecLine(IReadOnlyList<string> argv) => string.Join(' ', argv.Select(ExecArg));

    /// <summary>Environment="NAME=value" (quoted, C escapes, specifiers doubled; no variable expansion happens there).</summary>
    public static string EnvironmentValue(string nameEqualsValue) => "\"" + CEscape(nameEqualsValue.Replace("%", "%%", StringComparison.Ordinal)) + "\"";

    /// <summary>A plain setting value (Description=, User=...): specifiers doubled; newlines are refused by the caller.</summary>
    public static string Plain(string value) => value.Replace("%", "%%", StringComparison.Ordinal);

    static string CEscape(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// Sets keys in one section of an INI-style unit file: earlier assignments of those keys in the section
    /// are dropped, new lines are appended at the end of the section (created when missing); everything
    /// else stays as it was.
    /// </summary>
    public static string SetInSection(string? existing, string section, IReadOnlyList<(string Key, IReadOnlyList<string> Values)> settings, ISet<string> resetFirst)
    {
        var lines = (existing ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        var keys = settings.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        int start = lines.FindIndex(l => l.Trim() == $"[{section}]");
        var newLines = new List<string>();
        foreach (var (key, values) in settings)
        {
            if (resetFirst.Contains(key)) newLines.Add(key + "=");
            foreach (var v in values) newLines.Add($"{key}={v}");
        }
        if (start < 0)
        {
            if (lines.Count > 0 && lines[^1].Trim().Length > 0) lines.Add("");
            lines.Add($"[{section}]");
            lines.AddRange(newLines);
        }
        else
        {
            int end = lines.FindIndex(start + 1, l => l.TrimStart().StartsWith('['));
            if (end < 0) end = lines.Count;
            for (int i = end - 1; i > start; i--)
            {
                var t = lines[i].TrimStart();
                var eq = t.IndexOf('=');
                if (eq > 0 && keys.Contains(t[..eq].Trim())) { lines.RemoveAt(i); end--; }
            }
            // Keep blank lines that separate sections after the new settings.
            int insert = end;
            while (insert > start + 1 && lines[insert - 1].Trim().Length == 0) insert--;
            lines.InsertRange(insert, newLines);
        }
        return string.Join('\n', lines) + "\n";
    }
}
