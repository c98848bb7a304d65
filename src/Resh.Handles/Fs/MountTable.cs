using System.Text;

namespace Resh.Handles.Fs;

/// <summary>One line of /proc/self/mountinfo.</summary>
public sealed record MountEntry(long MountId, long ParentId, string Device, string Root, string MountPoint, string Options,
    string FsType, string Source, string SuperOptions)
{
    /// <summary>Pseudo file systems that df hides by default.</summary>
    public bool IsPseudo => FsType is "proc" or "sysfs" or "cgroup" or "cgroup2" or "devpts" or "mqueue" or "debugfs" or "tracefs" or "securityfs"
        or "pstore" or "bpf" or "configfs" or "fusectl" or "hugetlbfs" or "autofs" or "binfmt_misc" or "rpc_pipefs" or "nsfs" or "efivarfs" or "selinuxfs";

    public bool ReadOnly => Options.Split(',').Contains("ro");
}

/// <summary>Reads the mount table of this process's mount namespace.</summary>
public static class MountTable
{
    public static List<MountEntry> Read()
    {
        var list = new List<MountEntry>();
        // Names are bytes: a mount point that is not UTF-8 keeps its exact bytes (PathBytes), not U+FFFD.
        var text = Resh.Core.Text.PathBytes.Decode(System.IO.File.ReadAllBytes("/proc/self/mountinfo"));
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            var left = line[..dash].Split(' ');
            var right = line[(dash + 3)..].Split(' ');
            if (left.Length < 6 || right.Length < 2) continue;
            list.Add(new MountEntry(long.Parse(left[0]), long.Parse(left[1]), left[2], Unescape(left[3]), Unescape(left[4]), left[5],
                right[0], Unescape(right[1]), right.Length > 2 ? right[2] : ""));
        }
        return list;
    }

    /// <summary>The mount that holds <paramref name="path"/> (by statx mount id when the kernel reports it, else the longest mount point prefix).</summary>
    public static MountEntry? Containing(string path, List<MountEntry> mounts)
    {
        var st = Resh.Core.Platform.Posix.Stat(path, follow: true, out _);
        if (st?.MountId is { } id && mounts.LastOrDefault(m => m.MountId == (long)id) is { } byId) return byId;
        MountEntry? best = null;
        foreach (var m in mounts)
        {
            var mp = m.MountPoint;
            if (path == mp || mp == "/" || path.StartsWith(mp + "/", StringComparison.Ordinal))
                if (best is null || mp.Length >= best.MountPoint.Length) best = m;
        }
        return best;
    }

    /// <summary>The top mount at a mount point (the last one mounted there), or null.</summary>
    public static MountEntry? At(string mountPoint, List<MountEntry> mounts) => mounts.LastOrDefault(m => m.MountPoint == mountPoint);

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    public static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                var b = Convert.ToInt32(s.Substring(i + 1, 3), 8);
                sb.Append(b < 0x80 ? (char)b : (char)(0xDC00 + b)); // an escaped high byte is a raw byte
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    static bool IsOctal(string s, int at) => at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';

    /// <summary>fstab escapes the same characters the same way.</summary>
    public static string Escape(string s) => s.Replace("\\", "\\134").Replace(" ", "\\040").Replace("\t", "\\011").Replace("\n", "\\012");

    /// <summary>The backing file of a loop device (/sys/block/loopN/loop/backing_file), or null.</summary>
    public static string? LoopBackingFile(string device)
    {
        var name = Path.GetFileName(device);
        if (!name.StartsWith("loop", StringComparison.Ordinal)) return null;
        var p = $"/sys/block/{name}/loop/backing_file";
        return System.IO.File.Exists(p) ? System.IO.File.ReadAllText(p).Trim() : null;
    }
}
