using System.Runtime.InteropServices;

namespace Resh.Core.Platform;

/// <summary>The few libc calls the core itself needs; handles keep their own bindings next to their code.</summary>
public static partial class LibC
{
    [LibraryImport("libc", EntryPoint = "isatty")]
    public static partial int IsATty(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    public const int SIGINT = 2;
    public const int SIGTERM = 15;
}

public static partial class LibC
{
    public const int O_RDONLY = 0;
    public const int O_DIRECTORY = 0x10000;
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    /// <summary>Flushes a directory entry (after a rename) to disk; best effort on filesystems that refuse it.</summary>
    public static void FSyncDirectory(string dir)
    {
        var fd = Open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0) return;
        try { FSync(fd); }
        finally { Close(fd); }
    }
}
