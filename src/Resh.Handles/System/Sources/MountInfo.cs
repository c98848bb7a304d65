using System.Globalization;
using System.Text;

namespace Resh.Handles.Sys;

/// <summary>One line of /proc/self/mountinfo (proc(5)), with the kernel's octal escapes decoded.</summary>
public sealed record MountEntry(
    int MountId, int ParentId, string MajorMinor, string Root, string MountPoint, IReadOnlyList<string> Options,
    IReadOnlyList<string> OptionalFields, string FsType, string Source, IReadOnlyList<string> SuperOptions)
{
    public bool ReadOnly => Options.Contains("ro");
}

/// <summary>
/// Parses mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue".
/// Paths escape space, tab, newline and backslash as \040 \011 \012 \134.
/// </summary>
public static class MountInfo
{
    public const string Path = "/proc/self/mountinfo";

    public static List<MountEntry> Parse(string text)
    {
        var mounts = new List<MountEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ParseLine(line) is { } entry) mounts.Add(entry);
        }
        return mounts;
    }

    public static MountEntry? ParseLine(string line)
    {
        var f = line.Split(' ');
        if (f.Length < 10) return null;
        var dash = Array.IndexOf(f, "-", 6);
        if (dash < 0 || dash + 3 > f.Length) return null;
        if (!int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id)) return null;
        if (!int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)) return null;
        return new MountEntry(id, parent, f[2], Unescape(f[3]), Unescape(f[4]), f[5].Split(','),
            f[6..dash], Unescape(f[dash + 1]), Unescape(f[dash + 2]),
            dash + 3 < f.Length ? f[dash + 3].Split(',') : []);
    }

    /// <summary>Decodes \NNN octal escapes (as bytes, so escaped UTF-8 survives).</summary>
    public static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var bytes = new List<byte>(s.Length);
        var utf8 = Encoding.UTF8.GetBytes(s);
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == '\\' && i + 3 < utf8.Length && IsOctal(utf8[i + 1]) && IsOctal(utf8[i + 2]) && IsOctal(utf8[i + 3]))
            {
                bytes.Add((byte)(((utf8[i + 1] - '0') << 6) | ((utf8[i + 2] - '0') << 3) | (utf8[i + 3] - '0')));
                i += 3;
            }
            else bytes.Add(utf8[i]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';
}
