using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Storage;

/// <summary>Small whole-tree operations: remove without following symlinks, compare file contents.</summary>
public static class FileTree
{
    /// <summary>Removes a file, symlink or directory tree; symlinks are removed, never followed. Missing is fine.
    /// Works through directory descriptors and byte-exact names, so a name that is not UTF-8 goes too.</summary>
    public static void Remove(string path)
    {
        var parent = Path.GetDirectoryName(path.TrimEnd('/')) ?? "/";
        var dirFd = Posix.OpenAt(Posix.AT_FDCWD, parent, Posix.O_PATH | Posix.O_DIRECTORY);
        if (dirFd < 0)
        {
            if (-dirFd == Posix.ENOENT) return;
            throw ExceptionTranslation.FromErrno(-dirFd, $" ({Resh.Core.Text.PathBytes.Display(parent)})").ToException();
        }
        try { RemoveAt(dirFd, Path.GetFileName(path.TrimEnd('/')), path); }
        finally { Posix.Close(dirFd); }
    }

    static void RemoveAt(int dirFd, string name, string path)
    {
        var st = Posix.StatAt(dirFd, name, follow: false, out var errno);
        if (st is null)
        {
            if (errno == Posix.ENOENT) return;
            throw ExceptionTranslation.FromErrno(errno, $" ({Resh.Core.Text.PathBytes.Display(path)})").ToException();
        }
        if (st.Value.IsDirectory)
        {
            // Make a read-only directory writable first so its entries can go.
            if ((st.Value.Permissions & 0x1C0) != 0x1C0) Posix.FChmodAt(dirFd, name, st.Value.Permissions | 0x1C0, follow: false);
            var fd = Posix.OpenAt(dirFd, name, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
            if (fd < 0) throw ExceptionTranslation.FromErrno(-fd, $" ({Resh.Core.Text.PathBytes.Display(path)})").ToException();
            try
            {
                var entries = Posix.ReadDirectory(fd, out errno) ?? throw ExceptionTranslation.FromErrno(errno, $" ({Resh.Core.Text.PathBytes.Display(path)})").ToException();
                foreach (var e in entries) RemoveAt(fd, e.Name, path + "/" + e.Name);
            }
            finally { Posix.Close(fd); }
        }
        var rc = Posix.UnlinkAt(dirFd, name, st.Value.IsDirectory);
        if (rc != 0 && rc != Posix.ENOENT) throw ExceptionTranslation.FromErrno(rc, $" ({Resh.Core.Text.PathBytes.Display(path)})").ToException();
    }

    /// <summary>Removes quietly; for cleanup paths that must not hide the original error.</summary>
    public static void TryRemove(string path)
    {
        try { Remove(path); }
        catch (ReshException) { }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>True when both regular files hold the same bytes.</summary>
    public static bool SameContent(string a, string b)
    {
        using var ha = Posix.OpenHandle(Posix.AT_FDCWD, a, Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var errno)
            ?? throw ExceptionTranslation.FromErrno(errno, $" ({Resh.Core.Text.PathBytes.Display(a)})").ToException();
        using var hb = Posix.OpenHandle(Posix.AT_FDCWD, b, Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out errno)
            ?? throw ExceptionTranslation.FromErrno(errno, $" ({Resh.Core.Text.PathBytes.Display(b)})").ToException();
        return FileCompare.SameBytes(ha, hb);
    }

    /// <summary>Reads a whole (small) file by a byte-exact path.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        using var h = Posix.OpenHandle(Posix.AT_FDCWD, path, Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var errno)
            ?? throw ExceptionTranslation.FromErrno(errno, $" ({Resh.Core.Text.PathBytes.Display(path)})").ToException();
        using var fs = new FileStream(h, FileAccess.Read, 1);
        using var ms = new MemoryStream();
        fs.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Opens a file for reading by a byte-exact path (no advisory lock, no path mangling).</summary>
    public static FileStream OpenRead(string path)
    {
        var h = Posix.OpenHandle(Posix.AT_FDCWD, path, Posix.O_RDONLY | Posix.O_NONBLOCK, 0, out var errno)
            ?? throw ExceptionTranslation.FromErrno(errno, $" ({Resh.Core.Text.PathBytes.Display(path)})").ToException();
        Posix.AdviseSequential((int)h.DangerousGetHandle());
        return new FileStream(h, FileAccess.Read, 1);
    }

    /// <summary>A hidden sibling name for work that is renamed into place.</summary>
    public static string SiblingTemp(string fullPath, string purpose)
    {
        var name = Path.GetFileName(fullPath.TrimEnd('/'));
        if (name.Length > 100) name = name[..100];
        return Path.Combine(Path.GetDirectoryName(fullPath.TrimEnd('/'))!, $".{name}.resh-{purpose}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
    }

    public static bool IsRoot => LibC.GetEUid() == 0;
}
