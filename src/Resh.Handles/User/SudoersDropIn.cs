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

    /// <summary>Writes the drop-in atomically after visudo accepted the exact bytes that will be renamed into place.</summary>
    public static void Install(string path, string content, CancellationToken ct)
    {
        var visudo = ProcessRunner.Which("visudo")
            ?? throw ReshError.Unavailable("visudo is not installed, so the rule cannot be checked before it is installed.", "Install the sudo package.").ToException();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(content), (UnixFileMode)0x120 /* 0440 */, temp =>
        {
            var r = ProcessRunner.RunAsync([visudo, "-c", "-q", "-f", temp], null, ct).GetAwaiter().GetResult();
            if (!r.Succeeded)
                throw ReshError.Usage($"visudo rejected the rule: {r.LastErrorLine}", "Check the commands and runas values.",
                    new System.Text.Json.Nodes.JsonObject { ["visudo"] = r.Stderr + r.Stdout }).ToException();
        });
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
