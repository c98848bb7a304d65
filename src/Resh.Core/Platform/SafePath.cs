namespace Resh.Core.Platform;

/// <summary>
/// Resolves a path one component at a time through descriptors (openat with O_NOFOLLOW), following
/// symlinks itself. Each symlink it follows is checked against the rule of fs.protected_symlinks — a link
/// in a sticky, world-writable directory is followed only when it belongs to the caller or to the
/// directory's owner — whatever the sysctl says, so a link planted in /tmp by another user can never
/// redirect a write made as root. This is what realpath(3) cannot give: it reads links without the
/// kernel's checks and hands back a string that can change before it is used.
/// </summary>
public static class SafePath
{
    const int MaxLinks = 40;

    /// <summary>Why a resolution failed: the errno and, when a link was refused, which one.</summary>
    public readonly record struct Failure(int Errno, string At, string? RefusedLink);

    /// <param name="path">An absolute path.</param>
    /// <param name="followFinal">Follow a symlink in the last component (false: the link itself is the result).</param>
    public static ResolvedPath? Resolve(string path, bool followFinal, out Failure failure)
    {
        failure = default;
        if (!path.StartsWith('/')) throw new ArgumentException("absolute path expected", nameof(path));
        var euid = LibC.GetEUid();
        var pending = new Stack<string>();
        PushComponents(pending, path);
        int cur = Posix.OpenAt(Posix.AT_FDCWD, "/", Posix.O_PATH | Posix.O_DIRECTORY);
        if (cur < 0) { failure = new(-cur, "/", null); return null; }
        var curPath = new List<string>();
        int links = 0;
        bool viaSymlink = false;
        try
        {
            while (pending.Count > 0)
            {
                var comp = pending.Pop();
                bool last = pending.Count == 0;
                if (comp == ".") { if (last) return new ResolvedPath(Take(ref cur), Join(curPath), ".", viaSymlink); continue; }
                if (comp == "..")
                {
                    var up = Posix.OpenAt(cur, "..", Posix.O_PATH | Posix.O_DIRECTORY);
                    if (up < 0) { failure = new(-up, Join(curPath), null); return null; }
                    Posix.Close(cur);
                    cur = up;
                    if (curPath.Count > 0) curPath.RemoveAt(curPath.Count - 1);
                    if (last) return new ResolvedPath(Take(ref cur), Join(curPath), ".", viaSymlink);
                    continue;
                }
                var st = Posix.StatAt(cur, comp, follow: false, out var errno);
                if (st is null)
                {
                    if (errno == Posix.ENOENT && last)
                        return new ResolvedPath(Take(ref cur), Join(curPath), comp, viaSymlink);
                    failure = new(errno, Join(curPath, comp), null);
                    return null;
                }
                var s = st.Value;
                if (s.IsSymlink && (!last || followFinal))
                {
                    if (++links > MaxLinks) { failure = new(Posix.ELOOP, Join(curPath, comp), null); return null; }
                    var dir = Posix.StatAt(cur, "", follow: false, out errno);
                    if (dir is { } d && Refused(d, s, euid))
                    {
                        failure = new(Posix.EACCES, Join(curPath, comp), Join(curPath, comp));
                        return null;
                    }
                    var target = Posix.ReadLinkAt(cur, comp, out errno);
                    if (target is null) { failure = new(errno, Join(curPath, comp), null); return null; }
                    viaSymlink = true;
                    if (target.StartsWith('/'))
                    {
                        var root = Posix.OpenAt(Posix.AT_FDCWD, "/", Posix.O_PATH | Posix.O_DIRECTORY);
                        if (root < 0) { failure = new(-root, "/", null); return null; }
                        Posix.Close(cur);
                        cur = root;
                        curPath.Clear();
                    }
                    if (target.Length == 0) { failure = new(Posix.ENOENT, Join(curPath, comp), null); return null; }
                    // A link ending in "/" or "." names a directory; keep that meaning for the last component.
                    PushComponents(pending, target);
                    continue;
                }
                if (last) return new ResolvedPath(Take(ref cur), Join(curPath), comp, viaSymlink);
                if (!s.IsDirectory) { failure = new(Posix.ENOTDIR, Join(curPath, comp), null); return null; }
                var next = Posix.OpenAt(cur, comp, Posix.O_PATH | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
                if (next < 0) { failure = new(-next, Join(curPath, comp), null); return null; }
                Posix.Close(cur);
                cur = next;
                curPath.Add(comp);
            }
            // The path was "/": the root directory itself.
            return new ResolvedPath(Take(ref cur), "/", ".", viaSymlink);
        }
        finally
        {
            Posix.Close(cur);
        }
    }

    /// <summary>The fs.protected_symlinks rule: a link in a sticky world-writable directory is followed only by its owner,
    /// or when the directory's owner also owns the link.</summary>
    public static bool Refused(FileStatus directory, FileStatus link, uint euid) =>
        (directory.Mode & 0x200) != 0 && (directory.Mode & 0x2) != 0 && link.Uid != euid && link.Uid != directory.Uid;

    static int Take(ref int fd)
    {
        var f = fd;
        fd = -1;
        return f;
    }

    static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || path.EndsWith('/')) pending.Push(".");
        for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }

    static string Join(List<string> parts) => parts.Count == 0 ? "/" : "/" + string.Join('/', parts);

    static string Join(List<string> parts, string last) => parts.Count == 0 ? "/" + last : "/" + string.Join('/', parts) + "/" + last;

    /// <summary>
    /// Opens the directory holding <paramref name="relative"/> below <paramref name="rootFd"/> without
    /// following any symlink (every component O_NOFOLLOW) and returns its descriptor (O_PATH) and the last
    /// name; null with errno when a component is missing, is not a directory, or is a link.
    /// </summary>
    public static int OpenParentBeneath(int rootFd, string relative, out string name, out int errno)
    {
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        name = parts.Length == 0 ? "." : parts[^1];
        int cur = Posix.OpenAt(rootFd, ".", Posix.O_PATH | Posix.O_DIRECTORY);
        if (cur < 0) { errno = -cur; return -1; }
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (parts[i] is "." or "..") { Posix.Close(cur); errno = Posix.EINVAL; return -1; }
            var next = Posix.OpenAt(cur, parts[i], Posix.O_PATH | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
            Posix.Close(cur);
            if (next < 0) { errno = -next; return -1; }
            cur = next;
        }
        errno = 0;
        return cur;
    }
}
