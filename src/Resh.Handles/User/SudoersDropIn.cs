using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.User;

/// <summary>
/// One resh-managed drop-in in /etc/sudoers.d per user or group. The file is written to a temporary
/// sibling (a name with a dot, which sudo ignores), checked with `visudo -cf` and only then renamed into
/// place, so a bad rule can never lock everybody out of sudo.
/// </summary>
public static class SudoersDropIn
{
    /// <summary>sudo skips file names containing '.' or ending in '~', so dots in a name become '_'.</summary>
    public static string FileName(string principal, bool isGroup) => "resh-" + (isGroup ? "group-" : "") + principal.Replace('.', '_');

    public static string Rule(string principal, bool isGroup, string runAs, bool noPassword, IReadOnlyList<string> commands)
    {
        var who = isGroup ? "%" + principal : principal;
        if (commands.Count > 1 && commands.Contains("ALL"))
            throw ReshError.Usage("ALL cannot be mixed with other commands: it would allow everything.",
                "Give commands=ALL alone, or only absolute paths (a comma in a command string separates commands).").ToException();
        var cmds = commands.Count == 0 ? "ALL" : string.Join(", ", commands.Select(Escape));
        var runas = runAs == "ALL" ? "(ALL:ALL)" : $"({runAs})";
        return $"{who} ALL={runas} {(noPassword ? "NOPASSWD: " : "")}{cmds}";
    }

    public static string Content(string target, string rule) =>
        $"# Managed by resh ({target}.sudo.grant); edits here are overwritten, remove with {target}.sudo.revoke.\n{rule}\n";

    /// <summary>A command for a sudoers rule: an absolute path (plus arguments), special characters escaped.</summary>
    public static string Escape(string command)
    {
        if (command.Length == 0 || command.Any(char.IsControl))
            throw ReshError.Usage("A sudo command may not be empty or contain control characters.", null).ToException();
        if (command != "ALL" && command != "sudoedit" && !command.StartsWith('/') && !command.StartsWith("sudoedit ", StringComparison.Ordinal))
            throw ReshError.Usage($"sudo commands must be absolute paths, got `{AccountNames.Shown(command)}`.", "Example: commands=/usr/bin/systemctl restart nginx").ToException();
        var sb = new StringBuilder();
        foreach (var c in command)
        {
            if (c is ',' or ':' or '=' or '\\' or '(' or ')' or '!' or '#' or '"') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// The root's /etc/sudoers.d, opened through descriptors (in an image, never through a link that leaves it);
    /// created 0755 when missing and create is set, else null.
    /// </summary>
    public static DirHandle? OpenDir(UserRoot root, bool create)
    {
        var d = root.OpenDir("/etc/sudoers.d");
        if (d is not null || !create) return d;
        using var etc = root.OpenDir("/etc")
            ?? throw ReshError.NotFound($"{root.File("/etc")} does not exist.", "Give the directory that holds the system's /etc.").ToException();
        try { return etc.OpenBeneath("sudoers.d", create: true, mode: 0x1ed)!; }
        catch (IOException e) { throw UserRoot.Refused(e, root.SudoersD).ToException(); }
    }

    /// <summary>A drop-in's text, or null when there is none (a link or anything but a regular file is never read).</summary>
    public static string? Read(DirHandle dir, string name)
    {
        using var fs = dir.OpenRead(name);
        if (fs is null) return null;
        using var reader = new StreamReader(fs, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>Whom a drop-in's rule is for (its first word: user, or %group), null when it holds no rule.</summary>
    public static string? PrincipalOf(string content)
    {
        foreach (var line in content.Split('\n'))
        {
            var t = line.Trim();
            if (t.Length == 0 || t.StartsWith('#')) continue;
            var end = t.IndexOfAny([' ', '\t']);
            return end < 0 ? t : t[..end];
        }
        return null;
    }

    /// <summary>
    /// Writes the drop-in atomically after visudo accepted the exact bytes that will be renamed into place: a
    /// temporary file created O_EXCL|O_NOFOLLOW below the held directory (its name has a dot, which sudo skips),
    /// checked, then renamed within that directory; removed on any failure.
    /// </summary>
    public static void Install(DirHandle dir, string name, string content, CancellationToken ct)
    {
        var visudo = ProcessRunner.Which("visudo")
            ?? throw ReshError.Unavailable("visudo is not installed, so the rule cannot be checked before it is installed.", "Install the sudo package.").ToException();
        var display = Path.Combine(dir.Display, name);
        try
        {
            dir.Replace(name, 0x120 /* 0440 */, fs => fs.Write(Encoding.UTF8.GetBytes(content)), temp =>
            {
                var r = ProcessRunner.RunAsync([visudo, "-c", "-f", dir.PathOf(temp)], null, ct).GetAwaiter().GetResult();
                if (r.Succeeded) return;
                var output = (r.Stderr + r.Stdout).Replace(dir.PathOf(temp), display, StringComparison.Ordinal).Trim();
                var first = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.EndsWith("parsed OK", StringComparison.Ordinal)) ?? "no message";
                throw ReshError.Usage($"visudo rejected the rule: {first}", "Check the commands and runas values.",
                    new System.Text.Json.Nodes.JsonObject { ["visudo"] = output }).ToException();
            });
        }
        catch (IOException e) { throw ReshError.Conflict($"Cannot write {display}: {e.Message}", null).ToException(); }
    }

    /// <summary>Removes a drop-in (unlinkat on the held directory, then fsync).</summary>
    public static void Remove(DirHandle dir, string name)
    {
        dir.Unlink(name);
        Posix.FSync(dir.Fd);
    }

    /// <summary>Whether the main sudoers file reads the drop-in directory at all.</summary>
    public static bool Included(UserRoot root)
    {
        try
        {
            foreach (var line in File.ReadLines(root.Sudoers))
            {
                var t = line.Trim();
                if ((t.StartsWith("@includedir", StringComparison.Ordinal) || t.StartsWith("#includedir", StringComparison.Ordinal)) && t.Contains("/etc/sudoers.d"))
                    return true;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return false;
    }
}
