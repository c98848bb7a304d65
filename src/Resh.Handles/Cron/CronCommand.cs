using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Cron;

/// <summary>
/// Turns argv and environment into the command field of a crontab line. cron hands that field to /bin/sh
/// after turning every unescaped % into a newline, so arguments are single-quoted for sh and each % is
/// written as '\%' (outside the quotes, so a backslash inside an argument can never pair with it).
/// </summary>
internal static class CronCommand
{
    public static string Build(IReadOnlyList<string> argv, IReadOnlyList<string> env)
    {
        var sb = new StringBuilder();
        foreach (var e in env)
        {
            var eq = e.IndexOf('=');
            var name = eq > 0 ? e[..eq] : "";
            if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw ReshError.Usage($"env entry `{(eq > 0 ? name : e)}` is not NAME=value.", "Example: env=LANG=C.UTF-8").ToException();
            sb.Append(name).Append('=').Append(Quote(e[(eq + 1)..])).Append(' ');
        }
        for (int i = 0; i < argv.Count; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(Quote(argv[i]));
        }
        return sb.ToString();
    }

    public static string Quote(string arg)
    {
        if (arg.Contains('\n') || arg.Contains('\r') || arg.Contains('\0'))
            throw ReshError.Usage("A cron command cannot contain a newline or NUL byte.", "Put multi-line logic in a script and schedule the script.").ToException();
        if (arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or ':' or '=' or ',' or '+' or '@' or '-'))
            return arg;
        return "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal).Replace("%", "'\\%'", StringComparison.Ordinal) + "'";
    }

    /// <summary>What cron passes to /bin/sh for a command field: \% becomes %, and an unescaped % ends the command (the rest is stdin).</summary>
    public static (string Command, string? Stdin) AsShellSees(string field)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < field.Length; i++)
        {
            var c = field[i];
            if (c == '\\' && i + 1 < field.Length && field[i + 1] == '%') { sb.Append('%'); i++; continue; }
            if (c == '\\' && i + 1 < field.Length) { sb.Append(c).Append(field[i + 1]); i++; continue; }
            if (c == '%') return (sb.ToString(), field[(i + 1)..].Replace('%', '\n') + "\n");
            sb.Append(c);
        }
        return (sb.ToString(), null);
    }
}
