using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.Fs;

/// <summary>Edits one mount point's line in an fstab file, atomically; other lines and comments stay as they are.</summary>
public static class Fstab
{
    /// <summary>Plans the new content: the line for <paramref name="mountPoint"/> set to <paramref name="line"/> (null removes it).</summary>
    public static (string Old, string New) Plan(string fstab, string mountPoint, string? line)
    {
        var old = System.IO.File.Exists(fstab) ? System.IO.File.ReadAllText(fstab) : "";
        var lines = old.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1] == "") lines.RemoveAt(lines.Count - 1);
        var index = lines.FindIndex(l => MountPointOf(l) == mountPoint);
        if (index >= 0)
        {
            if (line is null) lines.RemoveAt(index);
            else if (Normalize(lines[index]) != Normalize(line)) lines[index] = line;
        }
        else if (line is not null) lines.Add(line);
        var updated = lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";
        return (old, updated);
    }

    public static string? Apply(string fstab, string oldText, string newText, bool dryRun)
    {
        if (oldText == newText) return null;
        var diff = Diff.Unified(oldText, newText, fstab);
        if (!dryRun)
        {
            var mode = System.IO.File.Exists(fstab) ? System.IO.File.GetUnixFileMode(fstab) : (UnixFileMode)0x1A4;
            AtomicFile.Write(fstab, System.Text.Encoding.UTF8.GetBytes(newText), mode);
        }
        return diff;
    }

    public static string Line(string source, string mountPoint, string fsType, string options) =>
        $"{MountTable.Escape(source)} {MountTable.Escape(mountPoint)} {fsType} {(options.Length == 0 ? "defaults" : options)} 0 0";

    static string? MountPointOf(string line)
    {
        var t = line.Trim();
        if (t.Length == 0 || t.StartsWith('#')) return null;
        var fields = t.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 ? MountTable.Unescape(fields[1]) : null;
    }

    static string Normalize(string line) => string.Join(' ', line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
}
