using Microsoft.Win32.SafeHandles;
using Resh.Core.Platform;

namespace Resh.Core.Secrets;

/// <summary>
/// A secret handed to a program as a file (<c>--password-file</c>, <c>PGPASSFILE</c>, a GIT_ASKPASS helper): written
/// 0600 in a fresh 0700 directory, preferably on a tmpfs ($XDG_RUNTIME_DIR, /dev/shm), and overwritten and removed on
/// dispose. Prefer the environment or stdin (<see cref="Platform.ProcessOptions"/>) when the program accepts them;
/// never argv (SPEC §8).
/// <para>
/// The directory is made only in a parent nobody else can rename it out of: owned by root or by resh's user, and either
/// not writable by others or sticky (/tmp, /dev/shm). A $TMPDIR or $XDG_RUNTIME_DIR that belongs to another user (root
/// running `sudo -E` or `su` without `-`) is passed over: its owner could swap resh's directory for one of their own and
/// have root run their askpass script or zero a file of their choosing (s34 attacker #12, #13). Every file is written
/// and wiped through the directory's handle with O_NOFOLLOW. Directories left by a resh that was killed (its PID is in
/// the name and no longer runs) are wiped and removed by the next one.
/// </para>
/// </summary>
public sealed class SecretFile : IDisposable
{
    const string Prefix = "resh-secret-";
    const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    readonly string _dir;
    readonly SafeFileHandle _dirHandle;
    readonly List<string> _names = [];

    SecretFile(string dir, SafeFileHandle dirHandle, string fileName)
    {
        _dir = dir;
        _dirHandle = dirHandle;
        Path = System.IO.Path.Combine(dir, fileName);
    }

    public string Path { get; }

    /// <param name="content">Written as is; add a trailing newline if the program wants a line.</param>
    /// <param name="executable">A helper script will be run from the directory (<see cref="AddFile"/>): pass over noexec mounts (Docker's /dev/shm).</param>
    public static SecretFile Create(SecretValue content, string fileName = "secret", bool executable = false)
    {
        var parent = Candidates().FirstOrDefault(d => Trusted(d) && !(executable && NoExec(d)))
            ?? throw Errors.ReshError.Failed("No private place for a temporary secret file: no directory among $XDG_RUNTIME_DIR, /dev/shm, $TMPDIR and /tmp is owned by root or this user and safe from others.",
                "Set TMPDIR to a directory this user owns (mode 0700).").ToException();
        SweepStale(parent);
        var (dir, handle) = CreatePrivateDir(parent);
        var file = new SecretFile(dir, handle, fileName);
        try { file.Write(fileName, content.RevealBytes(), 0x180); }
        catch { file.Dispose(); throw; }
        return file;
    }

    /// <summary>Another file in the same private directory (a helper script that reads the secret), removed with it.</summary>
    public string AddFile(string name, string content, UnixFileMode mode)
    {
        Write(name, System.Text.Encoding.UTF8.GetBytes(content), (uint)mode);
        return System.IO.Path.Combine(_dir, name);
    }

    void Write(string name, ReadOnlySpan<byte> bytes, uint mode)
    {
        var fd = (int)_dirHandle.DangerousGetHandle();
        using var h = Posix.OpenHandle(fd, name, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, mode, out var errno)
            ?? throw new IOException($"Cannot create {name} in {_dir}: {Posix.StrError(errno)}");
        _names.Add(name);
        RandomAccess.Write(h, bytes, 0);
        Posix.FChmod((int)h.DangerousGetHandle(), mode); // exact, whatever the umask
    }

    static IEnumerable<string> Candidates()
    {
        foreach (var d in new[] { Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"), "/dev/shm", Environment.GetEnvironmentVariable("TMPDIR"), "/tmp" })
            if (!string.IsNullOrEmpty(d) && d.StartsWith('/')) yield return d.TrimEnd('/') is { Length: > 0 } t ? t : "/";
    }

    /// <summary>A parent nobody but root and this user can rename entries in, and that this user can create in.</summary>
    static bool Trusted(string dir)
    {
        if (Posix.Stat(dir, true, out _) is not { IsDirectory: true } st) return false;
        var me = LibC.GetEUid();
        if (st.Uid != 0 && st.Uid != me) return false;
        const uint groupOrOtherWrite = 0x12, sticky = 0x200;
        if ((st.Permissions & groupOrOtherWrite) != 0 && (st.Permissions & sticky) == 0) return false;
        return me == 0 || Posix.AccessAt(Posix.AT_FDCWD, dir, 2 | 1) == 0; // W_OK | X_OK
    }

    /// <summary>The mount holding <paramref name="dir"/> (the longest mount point above it in /proc/self/mounts) is noexec.</summary>
    static bool NoExec(string dir)
    {
        try
        {
            string? best = null;
            bool noexec = false;
            foreach (var line in File.ReadLines("/proc/self/mounts"))
            {
                var f = line.Split(' ');
                if (f.Length < 4) continue;
                var point = f[1].Replace("\\040", " ");
                if (!(dir == point || dir.StartsWith(point.TrimEnd('/') + "/", StringComparison.Ordinal))) continue;
                if (best is not null && point.Length < best.Length) continue;
                best = point;
                noexec = f[3].Split(',').Contains("noexec");
            }
            return noexec;
        }
        catch (IOException) { return false; }
    }

    static (string Dir, SafeFileHandle Handle) CreatePrivateDir(string parent)
    {
        for (int i = 0; i < 10; i++)
        {
            var dir = System.IO.Path.Combine(parent, $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
            var rc = Posix.MkdirAt(Posix.AT_FDCWD, dir, (uint)Private);
            if (rc == Posix.EEXIST) continue;
            if (rc != 0) throw new IOException($"Cannot create {dir}: {Posix.StrError(rc)}");
            var handle = Posix.OpenHandle(Posix.AT_FDCWD, dir, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0, out var errno)
                ?? throw new IOException($"Cannot open {dir}: {Posix.StrError(errno)}");
            // What was opened must be the directory just made: this user's, 0700 (the umask cannot widen it).
            if (Posix.FStat((int)handle.DangerousGetHandle(), out _) is not { IsDirectory: true } st || st.Uid != LibC.GetEUid())
            {
                handle.Dispose();
                throw new IOException($"{dir} changed while it was being made.");
            }
            Posix.FChmod((int)handle.DangerousGetHandle(), (uint)Private);
            return (dir, handle);
        }
        throw new IOException($"Cannot make a private directory in {parent}.");
    }

    /// <summary>Wipes and removes directories of resh processes that no longer run (killed before their dispose).</summary>
    static void SweepStale(string parent)
    {
        try
        {
            var me = LibC.GetEUid();
            foreach (var dir in Directory.EnumerateDirectories(parent, Prefix + "*"))
            {
                if (CreatorPid.Parse(System.IO.Path.GetFileName(dir)[Prefix.Length..], out _) is not { } pid || CreatorPid.Runs(pid)) continue;
                if (Posix.Stat(dir, false, out _) is not { IsDirectory: true } st || st.Uid != me) continue;
                var handle = Posix.OpenHandle(Posix.AT_FDCWD, dir, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0, out _);
                if (handle is null) continue;
                using (handle)
                {
                    foreach (var f in Directory.EnumerateFiles(dir)) Wipe(handle, System.IO.Path.GetFileName(f));
                }
                Posix.UnlinkAt(Posix.AT_FDCWD, dir, true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Overwrites a regular file in the directory with zeros (never following a link), then removes it.</summary>
    static void Wipe(SafeFileHandle dir, string name)
    {
        var fd = (int)dir.DangerousGetHandle();
        using (var h = Posix.OpenHandle(fd, name, Posix.O_WRONLY | Posix.O_NOFOLLOW | Posix.O_NONBLOCK | Posix.O_CLOEXEC, 0, out _))
        {
            if (h is not null && Posix.FStat((int)h.DangerousGetHandle(), out _) is { IsRegular: true } st && st.Size > 0)
                RandomAccess.Write(h, new byte[st.Size], 0);
        }
        Posix.UnlinkAt(fd, name, false);
    }

    public void Dispose()
    {
        try
        {
            foreach (var name in _names) Wipe(_dirHandle, name);
            Posix.UnlinkAt(Posix.AT_FDCWD, _dir, true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        finally { _dirHandle.Dispose(); }
    }
}
