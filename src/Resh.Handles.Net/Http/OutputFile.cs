using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Net.Http;

/// <summary>
/// Where a response body lands: the mode a replaced file keeps (as curl -o, which writes in place), the umask-like
/// default for a new one, and the download's OUTPUT.part, opened below a held directory so that a symlink, a hard
/// link or a file another user planted there is never written through.
/// </summary>
internal static class OutputFile
{
    /// <summary>The mode the file at <paramref name="leaf"/> should end with: the replaced regular file's permission bits
    /// (a file of another user's keeps them less group/other write: a private file stays private, and a file planted
    /// 0666 in a shared directory cannot make the caller's download writable by others); 0666 less the umask for a new
    /// file. The new file belongs to the caller.</summary>
    public static uint FinalMode(DirHandle dir, string leaf)
    {
        if (Posix.StatAt(dir.Fd, leaf, follow: false, out _) is { IsRegular: true } st)
            return st.Uid == LibC.GetEUid() ? st.Permissions & 0x1ff : st.Permissions & 0x1ff & ~0x12u;
        return 0x1b6 & ~Umask();
    }

    /// <summary>The process umask, read from /proc/self/status (umask(2) would change it); 022 when unknown.</summary>
    public static uint Umask() => ProcessUmask.Read();

    /// <summary>
    /// Opens OUTPUT.part for the download: an existing one is resumed only when it is a regular file of this user
    /// with one link and no group/other write bit (checked with fstat on the opened descriptor, O_NOFOLLOW, so a
    /// symlink, FIFO or a link to another file is never opened for writing). Anything else there is removed (the
    /// entry, never what it points to) with a warning, and a new 0600 file is created with O_EXCL|O_NOFOLLOW.
    /// </summary>
    public static FileStream OpenPart(DirHandle dir, string part, bool resume, Action<string> warn)
    {
        if (resume)
        {
            var handle = Posix.OpenHandle(dir.Fd, part, Posix.O_RDWR | Posix.O_NOFOLLOW | Posix.O_NONBLOCK | Posix.O_NOCTTY, 0, out var errno);
            if (handle is not null)
            {
                var st = Posix.FStat((int)handle.DangerousGetHandle(), out _);
                string? why = st is not { IsRegular: true } ? "it is not a regular file"
                    : st.Value.Uid != LibC.GetEUid() ? $"it belongs to uid {st.Value.Uid}, not to this user"
                    : st.Value.Links != 1 ? "it has other hard links"
                    : (st.Value.Permissions & 0x12) != 0 ? "others may write it"
                    : null;
                if (why is null)
                {
                    Posix.FChmod((int)handle.DangerousGetHandle(), 0x180);
                    var fs = new FileStream(handle, FileAccess.ReadWrite, 1);
                    fs.Seek(0, SeekOrigin.End);
                    return fs;
                }
                handle.Dispose();
                warn($"{Path.Combine(dir.Display, part)} was not resumed: {why}; it was removed and the download starts over.");
            }
            else if (errno is Posix.EACCES or Posix.EPERM) // another user's file this user cannot open
                warn($"{Path.Combine(dir.Display, part)} was not resumed: this user cannot open it; it was removed and the download starts over.");
            else if (errno == Posix.ELOOP)
                warn($"{Path.Combine(dir.Display, part)} is a symbolic link; it was removed (not followed) and the download starts over.");
            else if (errno != Posix.ENOENT && errno != 6 /* ENXIO: a FIFO without a writer */)
                throw ReshError.Failed($"Cannot open {Path.Combine(dir.Display, part)}: {Posix.StrError(errno)}.", "Remove it, or choose another output=.").ToException();
            else if (errno == 6)
                warn($"{Path.Combine(dir.Display, part)} is not a regular file; it was removed and the download starts over.");
        }
        var unlinked = Posix.UnlinkAt(dir.Fd, part, directory: false);
        if (unlinked is not (0 or Posix.ENOENT))
            throw ReshError.Conflict($"{Path.Combine(dir.Display, part)} is in the way and cannot be removed: {Posix.StrError(unlinked)}.",
                "Remove it, or choose another output=.").ToException();
        try
        {
            var created = dir.CreateNew(part, 0x180);
            return created;
        }
        catch (IOException e) when (e.HResult == Posix.EEXIST)
        {
            throw ReshError.Conflict($"{Path.Combine(dir.Display, part)} was created by someone else while resh replaced it; refusing to use it.",
                "Download into a directory other users cannot write.").ToException();
        }
    }
}
