using System.Globalization;

namespace Resh.Handles.Fs;

/// <summary>
/// Compares asked mount options with a live mount's, as mountinfo shows them: per-mount flags
/// (ro, nosuid, noexec, relatime...) and file system options (size=65536k, mode=755...), with sizes
/// compared by value (size=64m equals size=65536k).
/// </summary>
public static class MountOptions
{
    /// <summary>Options that only steer mount(8) or fstab, never show in mountinfo.</summary>
    public static bool IsMountOnly(string option) =>
        option is "defaults" or "loop" or "bind" or "rbind" or "auto" or "noauto" or "user" or "nouser" or "users" or "owner" or "_netdev" or "nofail" or "sw"
        || option.StartsWith("x-", StringComparison.Ordinal) || option.StartsWith("comment=", StringComparison.Ordinal)
        || option.StartsWith("loop=", StringComparison.Ordinal) || option.StartsWith("offset=", StringComparison.Ordinal);

    /// <summary>The live options of a mount: per-mount first, then file system options not already listed.</summary>
    public static List<string> Live(MountEntry m)
    {
        var list = new List<string>();
        foreach (var o in m.Options.Split(',', StringSplitOptions.RemoveEmptyEntries)) if (!list.Contains(o)) list.Add(o);
        foreach (var o in m.SuperOptions.Split(',', StringSplitOptions.RemoveEmptyEntries)) if (!list.Contains(o)) list.Add(o);
        return list;
    }

    /// <summary>The asked options that the live mount does not have (ro/rw included).</summary>
    public static List<string> Differing(IEnumerable<string> asked, MountEntry current)
    {
        var live = Live(current);
        var differing = new List<string>();
        foreach (var option in asked)
        {
            if (IsMountOnly(option)) continue;
            if (option is "rw" or "ro")
            {
                if ((option == "ro") != current.ReadOnly) differing.Add(option);
                continue;
            }
            var eq = option.IndexOf('=');
            if (eq > 0)
            {
                var key = option[..eq];
                var have = live.FirstOrDefault(o => o.StartsWith(key + "=", StringComparison.Ordinal));
                if (have is null || !SameValue(option[(eq + 1)..], have[(eq + 1)..])) differing.Add(option);
                continue;
            }
            if (live.Contains(option)) continue;
            // A positive flag (exec, suid, dev, atime) holds unless its negation is live; noatime, relatime... must be live.
            if (!option.StartsWith("no", StringComparison.Ordinal) && !option.EndsWith("atime", StringComparison.Ordinal) && !live.Contains("no" + option)) continue;
            differing.Add(option);
        }
        return differing;
    }

    static bool SameValue(string a, string b)
    {
        if (a == b) return true;
        return Bytes(a) is { } x && Bytes(b) is { } y && x == y;
    }

    /// <summary>A size as tmpfs and friends take it (1024-based k, m, g, t suffixes), in bytes; null when not a size.</summary>
    static long? Bytes(string value)
    {
        if (value.Length == 0) return null;
        long mult = char.ToLowerInvariant(value[^1]) switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, _ => 1 };
        var digits = mult == 1 ? value : value[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n * mult : null;
    }
}
