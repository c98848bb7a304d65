using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Secrets;

namespace Resh.Handles.Svc;

/// <summary>
/// Secret environment variables kept out of world-readable files: a 0600 file (owned by the user that
/// runs the job) that a unit names with EnvironmentFile= (svc://, cron:// timers) or that a crontab line
/// sources (cron://). Its diff shows names only, never values.
/// </summary>
internal static class SecretEnvFile
{
    /// <summary>Where svc:// units and cron:// timers keep theirs (root's, 0700): NAME.env.</summary>
    public const string SystemdDir = "/etc/resh/env";

    /// <summary>systemd's EnvironmentFile= syntax: NAME="value" with backslash and quote escaped (no specifiers, no expansion).</summary>
    public static string SystemdText(IReadOnlyList<(string Name, SecretValue Value)> vars)
    {
        var sb = new StringBuilder("# Written by resh: secret environment, names only in the unit file. Do not edit.\n");
        foreach (var (name, value) in vars)
            sb.Append(name).Append("=\"").Append(Checked(name, value).Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("$", "\\$").Replace("`", "\\`")).Append("\"\n");
        return sb.ToString();
    }

    /// <summary>A POSIX shell file for `. FILE`: export NAME='value'.</summary>
    public static string ShellText(IReadOnlyList<(string Name, SecretValue Value)> vars)
    {
        var sb = new StringBuilder("# Written by resh: secret environment, sourced by the job's line. Do not edit.\n");
        foreach (var (name, value) in vars)
            sb.Append("export ").Append(name).Append("='").Append(Checked(name, value).Replace("'", "'\\''")).Append("'\n");
        return sb.ToString();
    }

    static string Checked(string name, SecretValue value)
    {
        var text = value.Reveal();
        if (text.Contains('\n') || text.Contains('\r') || text.Contains('\0'))
            throw ReshError.Usage($"The secret for {name} spans lines; an environment file holds one line per variable.", "Keep multi-line secrets in a file and pass its path instead.").ToException();
        return text;
    }

    public static string? Read(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path) : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>A diff of the file with every value shown as *** (a changed value is marked, not shown).</summary>
    public static string? MaskedDiff(string? oldText, string? newText, string path)
    {
        if (oldText == newText) return null;
        var oldVars = Parse(oldText);
        var newVars = Parse(newText);
        string Masked(Dictionary<string, string> vars, Dictionary<string, string> other, bool isNew) =>
            string.Concat(vars.Select(kv => $"{kv.Key}=***{(isNew && other.TryGetValue(kv.Key, out var o) && o != kv.Value ? " (new value)" : "")}\n"));
        return Resh.Core.Text.Diff.Unified(oldText is null ? null : Masked(oldVars, newVars, false), newText is null ? "" : Masked(newVars, oldVars, true), path);
    }

    static Dictionary<string, string> Parse(string? text)
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in (text ?? "").Split('\n'))
        {
            var line = raw.StartsWith("export ", StringComparison.Ordinal) ? raw[7..] : raw;
            var eq = line.IndexOf('=');
            if (eq > 0 && !line.StartsWith('#')) vars[line[..eq]] = line[(eq + 1)..];
        }
        return vars;
    }

    /// <summary>Removes the file when it is there (its directory may not be).</summary>
    public static void Delete(string path)
    {
        if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>
    /// Registers the values of a file written by <see cref="ShellText"/> or <see cref="SystemdText"/> as secrets,
    /// so a job that echoes one (cron://ID.run-now) shows *** in the envelope.
    /// </summary>
    public static void RegisterValues(string path)
    {
        if (Read(path) is not { } text) return;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.StartsWith("export ", StringComparison.Ordinal) ? raw[7..] : raw;
            var eq = line.IndexOf('=');
            if (eq <= 0 || line.StartsWith('#')) continue;
            var v = line[(eq + 1)..];
            if (v.Length >= 2 && v[0] == '\'' && v[^1] == '\'') v = v[1..^1].Replace("'\\''", "'");
            else if (v.Length >= 2 && v[0] == '"' && v[^1] == '"') v = v[1..^1].Replace("\\\"", "\"").Replace("\\$", "$").Replace("\\`", "`").Replace("\\\\", "\\");
            SecretRedactor.Register(v);
        }
    }

    /// <summary>Writes (or, with no variables, removes) the file: 0600, owned by uid:gid, in a directory only root may list.</summary>
    public static void Write(string path, string? text, uint uid = 0, uint gid = 0)
    {
        if (text is null)
        {
            Delete(path);
            return;
        }
        var dir = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            // Others may reach their own file by its name (a job's user sources it) but not list the directory.
            File.SetUnixFileMode(dir, uid == 0 ? (UnixFileMode)0x1c0 : (UnixFileMode)0x1c9);
        }
        else if (uid != 0 && (File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0)
            File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(text), (UnixFileMode)0x180,
            uid == 0 && gid == 0 ? null : temp => Posix.Chown(temp, (int)uid, (int)gid, follow: false));
    }
}
