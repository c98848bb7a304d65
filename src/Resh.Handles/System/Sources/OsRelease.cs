using System.Text;

namespace Resh.Handles.Sys;

/// <summary>os-release(5): shell-style KEY=value lines, values optionally quoted.</summary>
public static class OsRelease
{
    public static readonly string[] Paths = ["/etc/os-release", "/usr/lib/os-release"];

    public static Dictionary<string, string> Read()
    {
        foreach (var path in Paths)
        {
            var text = ProcFile.ReadText(path, 64 << 10);
            if (text is not null) return Parse(text);
        }
        return new Dictionary<string, string>(StringComparer.Ordinal);
    }

    public static Dictionary<string, string> Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            values[line[..eq].Trim()] = Unquote(line[(eq + 1)..].Trim());
        }
        return values;
    }

    /// <summary>Removes one level of "..." or '...' quoting; inside double quotes \" \\ \$ \` are escapes, as the spec says.</summary>
    static string Unquote(string value)
    {
        if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'') return value[1..^1];
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"') return value;
        var inner = value.AsSpan(1, value.Length - 2);
        if (inner.IndexOf('\\') < 0) return inner.ToString();
        var sb = new StringBuilder(inner.Length);
        for (int i = 0; i < inner.Length; i++)
        {
            if (inner[i] == '\\' && i + 1 < inner.Length && inner[i + 1] is '"' or '\\' or '$' or '`') i++;
            sb.Append(inner[i]);
        }
        return sb.ToString();
    }
}
