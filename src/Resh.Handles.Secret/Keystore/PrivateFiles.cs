using System.Runtime.InteropServices;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Secret.Keystore;

/// <summary>
/// The ownership and mode rules for the keystore, its key file and their directory, checked before every
/// use (as OpenSSH does for private keys): a file other users could read, or a directory they could
/// write, is refused rather than trusted.
/// </summary>
internal static partial class PrivateFiles
{
    /// <summary>
    /// Throws <c>permission_denied</c> unless <paramref name="path"/> is a regular file owned by us (or root) with no
    /// group/other bits. A symbolic link is refused unless <paramref name="followLinks"/> (a key file the user named,
    /// such as a /run/secrets mount): resh creates its own files itself, so a link there was put by someone else.
    /// </summary>
    public static void CheckFile(string path, string what, bool followLinks = false)
    {
        if (!followLinks && Posix.Stat(path, follow: false, out var lerrno) is { IsSymlink: true })
            throw ReshError.PermissionDenied($"The {what} {path} is a symbolic link; resh does not follow it.",
                "Remove the link and put the real file there (resh creates its own files 0600).",
                new System.Text.Json.Nodes.JsonObject { ["path"] = path }).ToException();
        var st = Posix.Stat(path, follow: true, out var errno) ?? throw StatFailed(path, what, errno);
        if (!st.IsRegular)
            throw ReshError.PermissionDenied($"The {what} {path} is not a regular file.", "Remove it; resh creates it again where it can.").ToException();
        CheckOwner(st, path, what);
        if ((st.Permissions & 0x3F) != 0) // any group or other bit
            throw ReshError.PermissionDenied($"The {what} {path} is accessible to other users (mode {Convert.ToString(st.Permissions & 0xFFF, 8).PadLeft(4, '0')}); resh refuses to use it.",
                $"chmod 600 {path}, and rotate the secrets if someone else may have copied it.",
                new System.Text.Json.Nodes.JsonObject { ["path"] = path, ["mode"] = Convert.ToString(st.Permissions & 0xFFF, 8).PadLeft(4, '0') }).ToException();
    }

    /// <summary>
    /// Throws unless the directory is a real directory (not a link someone planted), ours (or root's), closed to
    /// other users, and its parent (the state directory) is not writable by others (who could swap it).
    /// </summary>
    public static void CheckDirectory(string path)
    {
        if (Posix.Stat(path, follow: false, out _) is { IsSymlink: true })
            throw ReshError.PermissionDenied($"The secrets directory {path} is a symbolic link; resh does not follow it.",
                "Remove the link; resh creates the secrets directory 0700.").ToException();
        var st = Posix.Stat(path, follow: true, out var errno) ?? throw StatFailed(path, "secrets directory", errno);
        if (!st.IsDirectory)
            throw ReshError.PermissionDenied($"{path} is not a directory.", "Remove it; resh creates the secrets directory 0700.").ToException();
        CheckOwner(st, path, "secrets directory");
        if ((st.Permissions & 0x3F) != 0) // any group or other bit
            throw ReshError.PermissionDenied($"The secrets directory {path} is accessible to other users (mode {Convert.ToString(st.Permissions & 0xFFF, 8).PadLeft(4, '0')}); resh refuses to use it.",
                $"chmod 700 {path}").ToException();
        if (Path.GetDirectoryName(path) is { } parent && Posix.Stat(parent, follow: true, out _) is { } pst
            && (pst.Permissions & 0x12) != 0 && (pst.Permissions & 0x200) == 0) // group/other write without the sticky bit
            throw ReshError.PermissionDenied($"The state directory {parent} is writable by other users, who could replace the secrets directory; resh refuses to use it.",
                $"chmod go-w {parent}").ToException();
    }

    static void CheckOwner(FileStatus st, string path, string what)
    {
        var me = LibC.GetEUid();
        if (st.Uid != me && st.Uid != 0)
            throw ReshError.PermissionDenied($"The {what} {path} belongs to another user (uid {st.Uid}); resh refuses to use it.",
                "Use your own keystore (RESH_HOME), or run as its owner.").ToException();
    }

    static ReshException StatFailed(string path, string what, int errno) => errno is 13 or 1
        ? ReshError.PermissionDenied($"The {what} {path} cannot be read.", "Run as the keystore's owner.").ToException()
        : ReshError.Failed($"Cannot check the {what} {path} (errno {errno}).").ToException();

    /// <summary>Whether <paramref name="path"/> exists; a path we may not look at is <c>permission_denied</c>, not "absent".</summary>
    public static bool Exists(string path, string what)
    {
        // lstat: a dangling link is there (and refused by CheckFile), not a missing file to create in its place.
        if (Posix.Stat(path, follow: false, out var errno) is not null) return true;
        if (errno is 2 or 20) return false; // ENOENT, ENOTDIR
        throw StatFailed(path, what, errno);
    }

    /// <summary>Creates the directory 0700 when missing, then checks it.</summary>
    public static void EnsureDirectory(string path)
    {
        if (!Exists(path, "secrets directory"))
        {
            var parent = Path.GetDirectoryName(path);
            if (parent is not null && !Directory.Exists(parent))
                Directory.CreateDirectory(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        CheckDirectory(path);
    }

    // ---- an exclusive lock for read-modify-write -------------------------------------------

    const int O_RDWR = 2, O_CREAT = 0x40, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, LOCK_EX = 2, LOCK_UN = 8;

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    /// <summary>Holds an exclusive flock(2) on <paramref name="path"/> until disposed; writers of one keystore take turns.</summary>
    public static IDisposable Lock(string path, CancellationToken cancellation)
    {
        var fd = LibC.Open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0x180); // 0600; never through a link
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == 40) // ELOOP: the lock is a symbolic link
                throw ReshError.PermissionDenied($"The keystore lock {path} is a symbolic link; resh does not follow it.", "Remove the link.").ToException();
            throw errno is 13 or 1 or 30
                ? ReshError.PermissionDenied($"Cannot write in {Path.GetDirectoryName(path)}: the keystore is not yours to change.", "Run as the keystore's owner.").ToException()
                : ReshError.Failed($"Cannot open the keystore lock {path} (errno {errno}).").ToException();
        }
        // Blocking flock with cancellation: try without blocking, then poll (a writer holds it for milliseconds).
        for (int i = 0; ; i++)
        {
            if (Flock(fd, LOCK_EX | 4 /* LOCK_NB */) == 0) return new Held(fd);
            if (cancellation.IsCancellationRequested || i > 3000)
            {
                LibC.Close(fd);
                throw ReshError.Conflict($"Another resh is writing the keystore (lock {path} held).", "Try again in a moment.").ToException();
            }
            Thread.Sleep(i < 50 ? 2 : 10);
        }
    }

    sealed class Held(int fd) : IDisposable
    {
        public void Dispose()
        {
            Flock(fd, LOCK_UN);
            LibC.Close(fd);
        }
    }
}
