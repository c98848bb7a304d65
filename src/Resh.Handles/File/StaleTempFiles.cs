using System.Globalization;
using System.Runtime.InteropServices;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>
/// Temporary siblings an atomic write left behind when its process was killed outright (SIGKILL, a power cut between
/// create and rename): <c>.NAME.resh-PID-RANDOM.tmp</c>, holding the new content (secrets included) beside the file for
/// ever. The next write of the same file removes those whose process is gone. Only regular files of the caller's own
/// user are removed, each by name relative to the directory's descriptor (unlinkat never follows a symlink, so a
/// symlink named like one is left alone, and so is what it points to); a file whose PID is alive is another write in
/// progress and stays.
/// </summary>
internal static class StaleTempFiles
{
    /// <summary>The names removed (none in almost every call). Best effort: a directory that cannot be read is skipped.</summary>
    public static List<string> Remove(int dirFd, string name)
    {
        var removed = new List<string>();
        var prefix = "." + AtomicRewrite.TempStem(name) + ".resh-";
        var fd = Posix.OpenAt(dirFd, ".", Posix.O_RDONLY | Posix.O_DIRECTORY);
        if (fd < 0) return removed;
        List<Posix.DirEntry>? entries;
        try { entries = Posix.ReadDirectory(fd, out _); }
        finally { Posix.Close(fd); }
        if (entries is null) return removed;
        var euid = LibC.GetEUid();
        foreach (var e in entries)
        {
            if (!e.Name.StartsWith(prefix, StringComparison.Ordinal) || e.Type is not (Posix.DirEntry.DT_REG or Posix.DirEntry.DT_UNKNOWN)) continue;
            if (PidOf(e.Name.AsSpan(prefix.Length)) is not { } pid || Alive(pid)) continue;
            var st = Posix.StatAt(dirFd, e.Name, false, out _);
            if (st is not { IsRegular: true } s || s.Uid != euid) continue;
            if (Posix.UnlinkAt(dirFd, e.Name, false) == 0) removed.Add(e.Name);
        }
        return removed;
    }

    /// <summary>The PID of a name's tail <c>PID-RANDOM.tmp</c> (RANDOM: 12 hex digits, as <see cref="AtomicRewrite.TempName"/> makes it); null when it is not one.</summary>
    internal static int? PidOf(ReadOnlySpan<char> tail)
    {
        var dash = tail.IndexOf('-');
        if (dash <= 0 || tail.Length != dash + 1 + 12 + 4 || !tail.EndsWith(".tmp", StringComparison.Ordinal)) return null;
        foreach (var c in tail.Slice(dash + 1, 12)) if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return null;
        foreach (var c in tail[..dash]) if (!char.IsAsciiDigit(c)) return null;
        return int.TryParse(tail[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
    }

    /// <summary>kill(pid, 0): alive unless the kernel says there is no such process (EPERM: alive, another user's).</summary>
    static bool Alive(int pid)
    {
        if (LibC.Kill(pid, 0) == 0) return true;
        return Marshal.GetLastPInvokeError() != 3; // ESRCH
    }
}
