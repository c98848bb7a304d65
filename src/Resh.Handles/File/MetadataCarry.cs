using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// Carries what a file holds besides its bytes, mode and owner onto the new inode that replaces it:
/// extended attributes (ACLs are system.posix_acl_*; security.* such as capabilities and SELinux labels
/// included where the caller may set them) and inode flags (chattr +A, +d, +C, ...). Whatever cannot be
/// carried is named, so the caller can warn instead of dropping it silently.
/// </summary>
internal static class MetadataCarry
{
    /// <summary>Inode flags worth keeping and settable on a regular file: s u c S A d j t C (not i and a:
    /// an immutable or append-only file cannot be replaced in the first place).</summary>
    const uint CarriedFlags = 0x1 | 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x4000 | 0x8000 | 0x800000;

    /// <summary>Flags read before the content is written (NOCOW only takes on an empty file).</summary>
    public static uint? ReadFlags(int oldFd) => oldFd >= 0 ? Posix.GetInodeFlags(oldFd, out _) : null;

    /// <summary>Sets the carried inode flags on the new file; returns a description of what was not kept, or null.</summary>
    public static string? ApplyFlags(int newFd, uint? oldFlags)
    {
        if (oldFlags is not { } old || (old & CarriedFlags) == 0) return null;
        var current = Posix.GetInodeFlags(newFd, out _) ?? 0;
        var want = (current & ~CarriedFlags) | (old & CarriedFlags);
        if (want == current) return null;
        var rc = Posix.SetInodeFlags(newFd, want);
        return rc == 0 ? null : $"inode flags {FlagLetters(old & CarriedFlags)} ({Posix.StrError(rc)})";
    }

    /// <summary>Copies every extended attribute of the old file (through an O_PATH descriptor, so even an
    /// unreadable file gives its attributes; <paramref name="readable"/>: an ordinary open descriptor, read
    /// directly) onto <paramref name="newFd"/>; returns the names not kept with why.</summary>
    public static List<string> CopyXattrs(int oldPathFd, int newFd, bool readable = false)
    {
        var lost = new List<string>();
        if (oldPathFd < 0) return lost;
        var proc = readable ? null : $"/proc/self/fd/{oldPathFd}";
        int errno;
        IReadOnlyList<string>? names = proc is null ? Posix.FListXattr(oldPathFd, out errno) : Posix.ListXattr(proc, follow: true, out errno);
        if (names is null || names.Count == 0) return lost; // ENOTSUP: the old file had none either
        foreach (var name in names)
        {
            var value = proc is null ? Posix.FGetXattr(oldPathFd, name, out errno) : Posix.GetXattr(proc, name, follow: true, out errno);
            if (value is null) { lost.Add($"{name} ({Posix.StrError(errno)})"); continue; }
            var present = Posix.FGetXattr(newFd, name, out _);
            if (present is not null && present.AsSpan().SequenceEqual(value)) continue;
            var rc = Posix.FSetXattr(newFd, name, value);
            if (rc != 0) lost.Add($"{name} ({(rc is Posix.EPERM or Posix.EACCES ? "not permitted" : Posix.StrError(rc))})");
        }
        return lost;
    }

    static string FlagLetters(uint flags)
    {
        var sb = new System.Text.StringBuilder();
        (uint Bit, char Letter)[] map = [(0x1, 's'), (0x2, 'u'), (0x4, 'c'), (0x8, 'S'), (0x40, 'd'), (0x80, 'A'), (0x4000, 'j'), (0x8000, 't'), (0x800000, 'C')];
        foreach (var (bit, letter) in map) if ((flags & bit) != 0) sb.Append(letter);
        return "+" + sb;
    }
}
