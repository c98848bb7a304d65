using Resh.Core.Errors;
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
        var b = AtCalls.OpenAt(dirB, nameB, AtCalls.O_RDONLY | AtCalls.O_NOFOLLOW | AtCalls.O_NONBLOCK);
        if (b < 0) { AtCalls.Close(a); return false; }
        try
        {
            var ba = new byte[1 << 16];
            var bb = new byte[1 << 16];
            long pos = 0;
            while (true)
            {
                var na = AtCalls.PRead(a, ba, pos);
                var nb = AtCalls.PRead(b, bb, pos);
                if (na < 0 || nb < 0 || na != nb || !ba.AsSpan(0, na).SequenceEqual(bb.AsSpan(0, nb))) return false;
                if (na == 0) return true;
                pos += na;
            }
        }
        finally
        {
            AtCalls.Close(a);
            AtCalls.Close(b);
        }
    }
}
