using Resh.Core.Errors;
using Resh.Core.Platform;
using Resh.Core.Text;

namespace Resh.Handles.Storage;

/// <summary>Whole-tree operations by directory handle: nothing is looked up by path, no symlink is ever followed, names stay bytes.</summary>
public static class FdTree
{
    /// <summary>
    /// Removes <paramref name="name"/> under <paramref name="dirfd"/>: a file, symlink or node is unlinked,
    /// a directory emptied depth-first (made writable first) and removed. Missing is fine; returns 0 or errno.
    /// </summary>
    public static int Remove(int dirfd, string name)
    {
        var fd = AtCalls.OpenAt(dirfd, name, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
        if (fd < 0)
        {
            if (-fd == AtCalls.ENOENT) return 0;
            if (-fd is AtCalls.ENOTDIR or AtCalls.ELOOP)
            {
                var rc = AtCalls.UnlinkAt(dirfd, name, directory: false);
                return rc == AtCalls.ENOENT ? 0 : rc;
            }
            if (-fd != AtCalls.EACCES) return -fd;
            // A directory without read permission: give it back to its owner first.
            if (AtCalls.ChmodAt(dirfd, name, 0x1C0) != 0) return -fd;
            fd = AtCalls.OpenAt(dirfd, name, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY | AtCalls.O_NOFOLLOW);
            if (fd < 0) return -fd;
        }
        try
        {
            if (AtCalls.FStat(fd, out _) is { } st && (st.Permissions & 0x1C0) != 0x1C0) AtCalls.FChmod(fd, st.Permissions | 0x1C0);
            var children = AtCalls.ReadDir(fd, out var errno);
            if (children is null) return errno;
            foreach (var (child, _) in children)
            {
                var rc = Remove(fd, child);
                if (rc != 0) return rc;
            }
        }
        finally
        {
            AtCalls.Close(fd);
        }
        var r = AtCalls.UnlinkAt(dirfd, name, directory: true);
        return r == AtCalls.ENOENT ? 0 : r;
    }

    /// <summary>Removes quietly (cleanup paths that must not hide the original error).</summary>
    public static void TryRemove(int dirfd, string name)
    {
        try { Remove(dirfd, name); }
        catch (IOException) { }
    }

    /// <summary>Opens a directory the caller named (following symlinks in the path the user gave), by its exact bytes.</summary>
    public static int OpenDirectory(string path)
    {
        var fd = AtCalls.OpenAt(AtCalls.AT_FDCWD, path, AtCalls.O_RDONLY | AtCalls.O_DIRECTORY);
        if (fd < 0) throw ExceptionTranslation.FromErrno(-fd, $" ({PathBytes.Display(path)})").ToException();
        return fd;
    }

    /// <summary>True when two regular files (each by directory handle and name, never through a symlink) hold the same bytes.</summary>
    public static bool SameContent(int dirA, string nameA, int dirB, string nameB)
    {
        var a = AtCalls.OpenAt(dirA, nameA, AtCalls.O_RDONLY | AtCalls.O_NOFOLLOW | AtCalls.O_NONBLOCK);
        if (a < 0) return false;
        using var ha = new Microsoft.Win32.SafeHandles.SafeFileHandle(a, ownsHandle: true);
        var b = AtCalls.OpenAt(dirB, nameB, AtCalls.O_RDONLY | AtCalls.O_NOFOLLOW | AtCalls.O_NONBLOCK);
        if (b < 0) return false;
        using var hb = new Microsoft.Win32.SafeHandles.SafeFileHandle(b, ownsHandle: true);
        return FileCompare.SameBytes(ha, hb);
    }
}
