using System.Runtime.InteropServices;

namespace Resh.Handles.Proc;

/// <summary>The libc calls proc:// needs: signals, priorities, resource limits and detached spawning.</summary>
internal static partial class ProcNative
{
    public const int ESRCH = 3, EPERM = 1, EINVAL = 22, EACCES = 13;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    /// <summary>Sends a signal; returns 0 or errno.</summary>
    public static int Kill(int pid, int sig) => KillNative(pid, sig) == 0 ? 0 : Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "read")]
    public static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriorityNative(int which, uint who, int prio);

    /// <summary>setpriority(PRIO_PROCESS, tid, nice); returns 0 or errno. On Linux it applies to one thread.</summary>
    public static int SetPriority(int tid, int nice) => SetPriorityNative(0, (uint)tid, nice) == 0 ? 0 : Marshal.GetLastPInvokeError();

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    public const ulong RlimInfinity = ulong.MaxValue;

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static unsafe partial int PrLimitNative(int pid, int resource, RLimit* newLimit, RLimit* oldLimit);

    /// <summary>prlimit(2) on another process; returns 0 or errno.</summary>
    public static unsafe int GetLimit(int pid, int resource, out RLimit value)
    {
        RLimit old;
        var rc = PrLimitNative(pid, resource, null, &old);
        value = old;
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public static unsafe int SetLimit(int pid, int resource, RLimit value)
    {
        var rc = PrLimitNative(pid, resource, &value, null);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    const int _SC_CLK_TCK = 2;

    static long _ticks;

    /// <summary>Clock ticks per second (the unit of utime/stime/starttime in /proc).</summary>
    public static long ClockTicks => _ticks != 0 ? _ticks : (_ticks = Math.Max(1, SysConf(_SC_CLK_TCK)));

    // ---- posix_spawn with POSIX_SPAWN_SETSID: a detached child that outlives resh -------------

    const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    const int O_WRONLY = 1, O_RDONLY = 0, O_CREAT = 0x40, O_APPEND = 0x400;

    [LibraryImport("libc", EntryPoint = "posix_spawn", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int PosixSpawn(int* pid, string path, byte* fileActions, byte* attr, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawnp", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int PosixSpawnP(int* pid, string file, byte* fileActions, byte* attr, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static unsafe partial int FileActionsInit(byte* fa);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static unsafe partial int FileActionsDestroy(byte* fa);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int FileActionsAddOpen(byte* fa, int fd, string path, int oflag, int mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addchdir_np", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int FileActionsAddChdir(byte* fa, string path);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static unsafe partial int AttrInit(byte* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static unsafe partial int AttrDestroy(byte* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static unsafe partial int AttrSetFlags(byte* attr, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static unsafe partial int AttrSetSigMask(byte* attr, byte* set);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    private static unsafe partial int AttrSetSigDefault(byte* attr, byte* set);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    private static unsafe partial int SigEmptySet(byte* set);

    [LibraryImport("libc", EntryPoint = "sigfillset")]
    private static unsafe partial int SigFillSet(byte* set);

    /// <summary>
    /// Starts argv in a new session (setsid), stdin from /dev/null, stdout/stderr appended to the given
    /// files, all signals at their defaults and none blocked (the .NET runtime ignores SIGPIPE, which a
    /// child would otherwise inherit). Returns the PID, or throws with errno when the program cannot run.
    /// </summary>
    public static unsafe int SpawnDetached(IReadOnlyList<string> argv, IReadOnlyList<string> env, string? cwd, string stdoutPath, string stderrPath, out int errno)
    {
        // glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336; sigset_t 128.
        byte* fa = stackalloc byte[512];
        byte* attr = stackalloc byte[1024];
        byte* empty = stackalloc byte[256];
        byte* all = stackalloc byte[256];
        FileActionsInit(fa);
        AttrInit(attr);
        var handles = new List<GCHandle>();
        byte** cargv = null, cenv = null;
        try
        {
            FileActionsAddOpen(fa, 0, "/dev/null", O_RDONLY, 0);
            FileActionsAddOpen(fa, 1, stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0x1a4);
            FileActionsAddOpen(fa, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0x1a4);
            if (cwd is not null) FileActionsAddChdir(fa, cwd);
            SigEmptySet(empty);
            SigFillSet(all);
            AttrSetSigMask(attr, empty);
            AttrSetSigDefault(attr, all);
            AttrSetFlags(attr, (short)(POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));

            // On the heap: argv and env may hold hundreds of thousands of entries (up to ARG_MAX), far more than a stack.
            cargv = (byte**)NativeMemory.Alloc((nuint)(argv.Count + 1), (nuint)sizeof(byte*));
            for (int i = 0; i < argv.Count; i++) cargv[i] = Pin(argv[i], handles);
            cargv[argv.Count] = null;
            cenv = (byte**)NativeMemory.Alloc((nuint)(env.Count + 1), (nuint)sizeof(byte*));
            for (int i = 0; i < env.Count; i++) cenv[i] = Pin(env[i], handles);
            cenv[env.Count] = null;

            int pid;
            var rc = argv[0].Contains('/')
                ? PosixSpawn(&pid, argv[0], fa, attr, cargv, cenv)
                : PosixSpawnP(&pid, argv[0], fa, attr, cargv, cenv);
            errno = rc;
            return rc == 0 ? pid : -1;
        }
        finally
        {
            foreach (var h in handles) h.Free();
            NativeMemory.Free(cargv);
            NativeMemory.Free(cenv);
            FileActionsDestroy(fa);
            AttrDestroy(attr);
        }
    }

    const int _SC_ARG_MAX = 0;

    /// <summary>The kernel's limit on argv plus environment, in bytes (sysconf ARG_MAX; a quarter of the stack limit).</summary>
    public static long ArgMax => SysConf(_SC_ARG_MAX) is > 0 and var v ? v : 131072;

    /// <summary>The longest single argument or environment string execve accepts (MAX_ARG_STRLEN: 32 pages).</summary>
    public const int MaxArgStrLen = 32 * 4096;

    static unsafe byte* Pin(string s, List<GCHandle> handles)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        var h = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        handles.Add(h);
        return (byte*)h.AddrOfPinnedObject();
    }
}
