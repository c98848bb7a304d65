using System.Globalization;
using System.Text;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Files;

/// <summary>Shared helpers to describe a path: stat to result, mode text, errno to error.</summary>
public static class FileMetadata
{
    public static FileStatResult Missing(string path) =>
        new(FilePaths.Display(path), false, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    public static FileStatResult Describe(string path, FileStatus st) =>
        Describe(path, st, st.IsSymlink ? Posix.ReadLink(path, out _) : null);

    /// <summary>As <see cref="Describe(string, FileStatus)"/> with the link's target as read already (readlinkat on a judged directory).</summary>
    public static FileStatResult Describe(string path, FileStatus st, string? linkTarget)
    {
        string? link = st.IsSymlink && linkTarget is { } l ? FilePaths.Display(l) : null;
        return new FileStatResult(FilePaths.Display(path), true, st.TypeName, st.Size, OctalMode(st.Permissions), SymbolicMode(st.Mode),
            st.Uid, st.Gid, Users.UserName(st.Uid), Users.GroupName(st.Gid), (long)st.Inode, st.Links, st.Blocks,
            Rfc3339(st.ModifyTime), Rfc3339(st.AccessTime), Rfc3339(st.ChangeTime), st.BirthTime is { } b ? Rfc3339(b) : null,
            link, st.IsMountRoot, $"{st.DevMajor}:{st.DevMinor}");
    }

    public static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static string OctalMode(uint perms) => "0" + Convert.ToString(perms & 0xFFF, 8).PadLeft(3, '0');

    public static string SymbolicMode(uint mode)
    {
        var sb = new StringBuilder(10);
        sb.Append((mode & FileStatus.S_IFMT) switch
        {
            FileStatus.S_IFDIR => 'd',
            FileStatus.S_IFLNK => 'l',
            FileStatus.S_IFCHR => 'c',
            FileStatus.S_IFBLK => 'b',
            FileStatus.S_IFIFO => 'p',
            FileStatus.S_IFSOCK => 's',
            _ => '-',
        });
        string rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) sb.Append((mode & (1u << (8 - i))) != 0 ? rwx[i] : '-');
        if ((mode & 0x800) != 0) sb[3] = sb[3] == 'x' ? 's' : 'S';
        if ((mode & 0x400) != 0) sb[6] = sb[6] == 'x' ? 's' : 'S';
        if ((mode & 0x200) != 0) sb[9] = sb[9] == 'x' ? 't' : 'T';
        return sb.ToString();
    }

    /// <summary>stat or lstat; a missing path is null, any other failure an error.</summary>
    public static FileStatus? StatOrNull(string path, bool follow)
    {
        var st = Posix.Stat(path, follow, out var errno);
        if (st is not null) return st;
        if (errno is 2 or 20) return null; // ENOENT, ENOTDIR: nothing there
        throw FileErrors.Throw(errno, path, "look up");
    }

    /// <summary>
    /// Under a surface's path patterns (<see cref="PathConfinement"/>): stat (follow: through a descriptor opened by
    /// <see cref="PathConfinement.OpenRead"/>, fstat of it) or lstat (fstatat of the final name in its judged directory),
    /// with the link target read there too; a missing path is null. Without a check: not confined (use the path).
    /// </summary>
    public static FileStatus? ConfinedStat(string path, bool follow, out bool confined, out string? linkTarget)
    {
        linkTarget = null;
        if (follow)
        {
            using var handle = PathConfinement.OpenRead(path, Posix.O_PATH, out var errno, out confined);
            if (!confined) return null;
            if (handle is null) return errno is 2 or 20 ? null : throw FileErrors.Throw(errno, path, "look up");
            var fd = (int)handle.DangerousGetHandle();
            var st = Posix.FStat(fd, out errno) ?? throw FileErrors.Throw(errno, path, "look up");
            // O_PATH|O_NOFOLLOW opens a link put in place after the resolution as the link itself (judged where it is).
            if (st.IsSymlink) linkTarget = Posix.ReadLinkAt(fd, "", out _);
            return st;
        }
        using var resolved = PathConfinement.ParentForRead(path, out var perrno, out confined);
        if (!confined) return null;
        if (resolved is null) return perrno is 2 or 20 ? null : throw FileErrors.Throw(perrno, path, "look up");
        var own = Posix.StatAt(resolved.DirFd, resolved.Name, follow: false, out perrno);
        if (own is null) return perrno is 2 or 20 ? null : throw FileErrors.Throw(perrno, path, "look up");
        if (own.Value.IsSymlink) linkTarget = Posix.ReadLinkAt(resolved.DirFd, resolved.Name, out _);
        return own;
    }

    public static FileStatus StatOrThrow(string path, bool follow) =>
        StatOrNull(path, follow) ?? throw NotFound(path).ToException();

    public static ReshError NotFound(string path) =>
        ReshError.NotFound($"{FilePaths.Display(path)} does not exist.", "Check the path; file:///abs/path is absolute, file://rel/path is relative to the current directory.",
            new System.Text.Json.Nodes.JsonObject { ["path"] = FilePaths.Display(path) });
}
