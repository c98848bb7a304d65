using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Resh.Core.Text;

namespace Resh.Core.Platform;

/// <summary>Where a spawned child's standard input comes from.</summary>
public enum SpawnStdin
{
    /// <summary>A pipe the caller writes (<see cref="SpawnedChild.Pump"/> feeds it, then closes it).</summary>
    Pipe,
    /// <summary>resh's own standard input.</summary>
    Inherit,
}

/// <summary>Takes one read of a child's output (an empty span: the stream ended); false closes the pipe (resh's own output went away).</summary>
public delegate bool ChunkSink(ReadOnlySpan<byte> chunk);

/// <summary>How <see cref="SpawnedChild.Pump"/> ended.</summary>
public enum PumpEnd
{
    /// <summary>The child exited and both output pipes reached their end.</summary>
    Exited,
    /// <summary>The child exited, but a process it left behind still held an output pipe after the grace.</summary>
    HeldOpen,
    /// <summary>The token was cancelled (the child may still run).</summary>
    Cancelled,
    /// <summary>The deadline passed (the child may still run).</summary>
    Deadline,
}

/// <summary>
/// A child started with posix_spawn(3) (glibc: clone with CLONE_VM|CLONE_VFORK, then execve), without
/// System.Diagnostics.Process: no SIGCHLD handling thread, no thread-pool pumps, no socket engine for the pipes,
/// no /proc reads at start. The caller's thread (or one dedicated thread per child) pumps the pipes with poll(2)
/// and reaps the child with waitpid(2); a pidfd (Linux 5.3+) says when it exited without a tick. The argv is an
/// array (never a shell string), the environment is passed explicitly (resh's own, with the caller's changes), every
/// signal the runtime handles or ignores (SIGPIPE) is back to its default in the child, and the signal mask is
/// empty. Every descriptor resh opens is close-on-exec, so a child gets only 0, 1 and 2.
/// </summary>
public sealed unsafe partial class SpawnedChild : IDisposable
{
    readonly object _gate = new();
    int _stdin = -1, _stdout = -1, _stderr = -1, _pidfd = -1;
    bool _reaped;
    long _exitedAt;

    SpawnedChild(int pid) => Pid = pid;

    public int Pid { get; }

    /// <summary>The exit status once reaped: the program's status, or 128 + the signal that ended it (as Process.ExitCode).</summary>
    public int ExitCode { get; private set; } = -1;

    public bool HasExited => _reaped || TryReap();

    /// <summary>
    /// Starts <paramref name="argv"/> (argv[0] a path, or a name looked up on PATH) with resh's environment changed by
    /// <paramref name="environment"/> (a null value removes the variable). stdout and stderr are pipes. Failures are
    /// <see cref="Win32Exception"/> with the errno (ENOENT, EACCES, EMFILE, EAGAIN...), as Process.Start throws them.
    /// </summary>
    /// <param name="closeInherited">Close every descriptor above 2 in the child: a tool resh runs for its own work (systemctl,
    /// nft, useradd) gets nothing resh itself inherited from its caller. A program run on the user's behalf in the
    /// foreground (lock.run, secret.exec) keeps them, as under flock(1) or exec (`3>file` reaches it).</param>
    public static SpawnedChild Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string?>? environment, string? workingDirectory, SpawnStdin stdin, bool closeInherited = false)
    {
        if (argv.Count == 0) throw new ArgumentException("argv is empty", nameof(argv));
        var path = Resolve(argv[0]);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            if (e.Key is string k && e.Value is string v) env[k] = v;
        if (environment is not null)
            foreach (var (k, v) in environment)
                if (v is null) env.Remove(k); else env[k] = v;

        using var block = new CStrings([path, .. argv, .. env.Select(p => p.Key + "=" + p.Value), workingDirectory ?? ""]);
        var args = block.Vector(1, argv.Count);
        var envp = block.Vector(1 + argv.Count, env.Count);

        int* inPipe = stackalloc int[2] { -1, -1 }, outPipe = stackalloc int[2] { -1, -1 }, errPipe = stackalloc int[2] { -1, -1 };
        byte* actions = stackalloc byte[512], attr = stackalloc byte[512], sigs = stackalloc byte[256];
        bool actionsMade = false, attrMade = false;
        try
        {
            if (stdin == SpawnStdin.Pipe) MakePipe(inPipe);
            MakePipe(outPipe);
            MakePipe(errPipe);
            Check(posix_spawn_file_actions_init(actions));
            actionsMade = true;
            if (stdin == SpawnStdin.Pipe) Check(posix_spawn_file_actions_adddup2(actions, inPipe[0], 0));
            Check(posix_spawn_file_actions_adddup2(actions, outPipe[1], 1));
            Check(posix_spawn_file_actions_adddup2(actions, errPipe[1], 2));
            if (closeInherited) Check(posix_spawn_file_actions_addclosefrom_np(actions, 3)); // glibc 2.34, resh's floor
            if (workingDirectory is { Length: > 0 }) Check(posix_spawn_file_actions_addchdir_np(actions, block[block.Count - 1]));
            Check(posix_spawnattr_init(attr));
            attrMade = true;
            sigfillset(sigs);
            Check(posix_spawnattr_setsigdefault(attr, sigs)); // SIGPIPE (ignored by the runtime) and every handled signal: default
            sigemptyset(sigs);
            Check(posix_spawnattr_setsigmask(attr, sigs));
            Check(posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
            int pid;
            Check(posix_spawn(&pid, block[0], actions, attr, args, envp));
            var child = new SpawnedChild(pid);
            if (stdin == SpawnStdin.Pipe) { child._stdin = inPipe[1]; inPipe[1] = -1; SetNonBlocking(child._stdin); }
            child._stdout = outPipe[0]; outPipe[0] = -1;
            child._stderr = errPipe[0]; errPipe[0] = -1;
            child._pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
            if (child._pidfd >= 0) SetCloseOnExec(child._pidfd);
            return child;
        }
        finally
        {
            if (actionsMade) posix_spawn_file_actions_destroy(actions);
            if (attrMade) posix_spawnattr_destroy(attr);
            foreach (var fd in new[] { inPipe[0], inPipe[1], outPipe[0], outPipe[1], errPipe[0], errPipe[1] })
                if (fd >= 0) close(fd);
        }
    }

    /// <summary>The program's path: as given when it has a slash (made absolute against resh's directory), else the first executable file of that name on PATH.</summary>
    static string Resolve(string program)
    {
        if (program.Contains('/')) return Path.GetFullPath(program);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        throw new Win32Exception(ENOENT);
    }

    /// <summary>
    /// Feeds <paramref name="input"/> to the stdin pipe (then closes it) and hands each read of stdout and stderr to
    /// the sinks (an empty span marks the stream's end), until the child exited and both pipes ended; or, with
    /// <paramref name="grace"/>, until that long after the child exited (a process it left behind may hold a pipe);
    /// or until <paramref name="ct"/> is cancelled or <paramref name="deadline"/> (a Stopwatch timestamp) passes.
    /// A sink that returns false (resh's own output went away) closes that pipe: the program then gets SIGPIPE as it
    /// would writing there itself.
    /// </summary>
    public PumpEnd Pump(ReadOnlySpan<byte> input, ChunkSink onStdout, ChunkSink onStderr,
        TimeSpan? grace, CancellationToken ct, long deadline = long.MaxValue)
    {
        var buffer = new byte[16 * 1024];
        int written = 0;
        if (_stdin >= 0 && input.IsEmpty) CloseFd(ref _stdin);
        PollFd* fds = stackalloc PollFd[4];
        while (true)
        {
            if (!_reaped) TryReap();
            if (_reaped && _stdout < 0 && _stderr < 0) return PumpEnd.Exited;
            var now = Stopwatch.GetTimestamp();
            if (_reaped && grace is { } g && Stopwatch.GetElapsedTime(_exitedAt, now) >= g) return PumpEnd.HeldOpen;
            if (ct.IsCancellationRequested) return PumpEnd.Cancelled;
            if (now >= deadline) return PumpEnd.Deadline;

            int n = 0;
            if (_stdin >= 0) fds[n++] = new PollFd(_stdin, POLLOUT);
            if (_stdout >= 0) fds[n++] = new PollFd(_stdout, POLLIN);
            if (_stderr >= 0) fds[n++] = new PollFd(_stderr, POLLIN);
            if (!_reaped && _pidfd >= 0) fds[n++] = new PollFd(_pidfd, POLLIN);
            long timeout = -1;
            void Bound(long ms) => timeout = timeout < 0 ? ms : Math.Min(timeout, ms);
            if (ct.CanBeCanceled) Bound(100);
            if (!_reaped && _pidfd < 0) Bound(20);
            if (_reaped && grace is { } left) Bound(Math.Max(1, (long)Math.Ceiling((left - Stopwatch.GetElapsedTime(_exitedAt, now)).TotalMilliseconds)));
            if (deadline != long.MaxValue) Bound(Math.Max(1, (long)Math.Ceiling(Stopwatch.GetElapsedTime(now, deadline).TotalMilliseconds)));
            if (poll(fds, (nuint)n, (int)Math.Min(timeout, int.MaxValue)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                throw new Win32Exception(errno);
            }
            for (int i = 0; i < n; i++)
            {
                var fd = fds[i].Fd;
                if (fds[i].REvents == 0) continue;
                if (fd == _stdin)
                {
                    fixed (byte* p = input)
                    {
                        var w = write(fd, p + written, (nuint)(input.Length - written));
                        if (w > 0) written += (int)w;
                        var errno = w < 0 ? Marshal.GetLastPInvokeError() : 0;
                        if (written >= input.Length || (w < 0 && errno is not (EINTR or EAGAIN))) CloseFd(ref _stdin); // EPIPE: it exited without reading all
                    }
                }
                else if (fd == _stdout) Drain(ref _stdout, buffer, onStdout);
                else if (fd == _stderr) Drain(ref _stderr, buffer, onStderr);
            }
        }
    }

    static void Drain(ref int fd, byte[] buffer, ChunkSink sink)
    {
        long r;
        fixed (byte* p = buffer) r = read(fd, p, (nuint)buffer.Length);
        if (r > 0)
        {
            if (!sink(buffer.AsSpan(0, (int)r))) CloseFd(ref fd);
            return;
        }
        if (r < 0 && Marshal.GetLastPInvokeError() is EINTR or EAGAIN) return;
        CloseFd(ref fd);
        sink(default);
    }

    /// <summary>Reaps the child if it has exited; true then.</summary>
    bool TryReap()
    {
        lock (_gate)
        {
            if (_reaped) return true;
            int status;
            var r = waitpid(Pid, &status, WNOHANG);
            if (r == 0) return false;
            if (r < 0 && Marshal.GetLastPInvokeError() == EINTR) return false;
            Reaped(r == Pid ? status : -1);
            return true;
        }
    }

    void Reaped(int status)
    {
        _reaped = true;
        _exitedAt = Stopwatch.GetTimestamp();
        // ECHILD (status -1): something else reaped it (SIGCHLD ignored); its status is lost.
        ExitCode = status < 0 ? -1 : (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        CloseFd(ref _pidfd);
    }

    /// <summary>Waits for the child to exit, blocking (it must be on its way: ended by itself or killed).</summary>
    public int WaitForExit()
    {
        var info = stackalloc byte[128];
        while (!_reaped)
        {
            int status;
            // waitid with WNOWAIT leaves the zombie in place, so the PID cannot be reused while Signal/KillTree may still use it.
            if (waitid(P_PID, Pid, info, WEXITED | WNOWAIT) < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
            lock (_gate)
            {
                if (_reaped) break;
                var r = waitpid(Pid, &status, 0);
                if (r < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
                Reaped(r == Pid ? status : -1);
            }
        }
        return ExitCode;
    }

    /// <summary>Sends a signal to the child (not its descendants) while it is not reaped.</summary>
    public void Signal(int signal)
    {
        lock (_gate) if (!_reaped) LibC.Kill(Pid, signal);
    }

    /// <summary>SIGKILL to the child and every process below it (as Process.Kill(entireProcessTree: true)).</summary>
    public void KillTree()
    {
        lock (_gate)
        {
            if (_reaped) return;
            var tree = Descendants(Pid);
            LibC.Kill(Pid, 9);
            foreach (var d in tree) LibC.Kill(d, 9);
        }
    }

    /// <summary>The PIDs below <paramref name="root"/>, from each process's parent in /proc/PID/stat.</summary>
    static List<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                string stat;
                try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
                var close = stat.LastIndexOf(')');
                if (close < 0) continue;
                var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 2 || !int.TryParse(fields[1], out var ppid)) continue;
                if (!children.TryGetValue(ppid, out var list)) children[ppid] = list = [];
                list.Add(pid);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
            if (children.TryGetValue(queue.Dequeue(), out var list))
                foreach (var c in list) if (!found.Contains(c)) { found.Add(c); queue.Enqueue(c); }
        return found;
    }

    /// <summary>Closes the pipes; a child not yet reaped is reaped when it ends, by a waiter of its own.</summary>
    public void Dispose()
    {
        CloseFd(ref _stdin);
        CloseFd(ref _stdout);
        CloseFd(ref _stderr);
        if (!HasExited)
        {
            var waiter = new Thread(() => WaitForExit()) { IsBackground = true, Name = "resh reap" };
            waiter.Start();
        }
        else CloseFd(ref _pidfd);
    }

    static void CloseFd(ref int fd)
    {
        if (fd >= 0) close(fd);
        fd = -1;
    }

    static void MakePipe(int* fds)
    {
        if (pipe2(fds, O_CLOEXEC) < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
    }

    static void Check(int rc)
    {
        if (rc != 0) throw new Win32Exception(rc);
    }

    static void SetNonBlocking(int fd) => fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);

    static void SetCloseOnExec(int fd) => fcntl(fd, F_SETFD, FD_CLOEXEC);

    /// <summary>NUL-terminated byte strings in one native block, with pointer vectors for argv and envp.</summary>
    sealed class CStrings : IDisposable
    {
        readonly byte* _block;
        readonly byte** _pointers;

        public CStrings(IReadOnlyList<string> strings)
        {
            Count = strings.Count;
            var encoded = strings.Select(s => PathBytes.EncodeNullTerminated(s)).ToArray();
            _block = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, encoded.Sum(e => e.Length)));
            _pointers = (byte**)NativeMemory.Alloc((nuint)((Count + 2) * sizeof(byte*)));
            var at = _block;
            for (int i = 0; i < Count; i++)
            {
                encoded[i].CopyTo(new Span<byte>(at, encoded[i].Length));
                _pointers[i] = at;
                at += encoded[i].Length;
            }
        }

        public int Count { get; }

        public byte* this[int i] => _pointers[i];

        /// <summary>A NULL-terminated vector of <paramref name="count"/> strings from <paramref name="start"/>.</summary>
        public byte** Vector(int start, int count)
        {
            var v = (byte**)NativeMemory.Alloc((nuint)((count + 1) * sizeof(byte*)));
            for (int i = 0; i < count; i++) v[i] = _pointers[start + i];
            v[count] = null;
            _vectors.Add((nint)v);
            return v;
        }

        readonly List<nint> _vectors = [];

        public void Dispose()
        {
            foreach (var v in _vectors) NativeMemory.Free((void*)v);
            NativeMemory.Free(_pointers);
            NativeMemory.Free(_block);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    struct PollFd(int fd, short events)
    {
        public int Fd = fd;
        public short Events = events;
        public short REvents;
    }

    const int ENOENT = 2, EINTR = 4, EAGAIN = 11;
    const int O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800, F_GETFL = 3, F_SETFL = 4, F_SETFD = 2, FD_CLOEXEC = 1;
    const short POLLIN = 1, POLLOUT = 4;
    const int WNOHANG = 1, WEXITED = 4, WNOWAIT = 0x01000000, P_PID = 1;
    const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
    const long SYS_pidfd_open = 434;

    [LibraryImport("libc")] private static partial int posix_spawn(int* pid, byte* path, void* actions, void* attr, byte** argv, byte** envp);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_init(void* actions);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_destroy(void* actions);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);
    [LibraryImport("libc")] private static partial int posix_spawn_file_actions_addclosefrom_np(void* actions, int from);
    [LibraryImport("libc")] private static partial int posix_spawnattr_init(void* attr);
    [LibraryImport("libc")] private static partial int posix_spawnattr_destroy(void* attr);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setflags(void* attr, short flags);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setsigdefault(void* attr, void* set);
    [LibraryImport("libc")] private static partial int posix_spawnattr_setsigmask(void* attr, void* set);
    [LibraryImport("libc")] private static partial int sigfillset(void* set);
    [LibraryImport("libc")] private static partial int sigemptyset(void* set);
    [LibraryImport("libc", SetLastError = true)] private static partial int pipe2(int* fds, int flags);
    [LibraryImport("libc", SetLastError = true)] private static partial int fcntl(int fd, int cmd, int arg);
    [LibraryImport("libc", SetLastError = true)] private static partial int poll(PollFd* fds, nuint count, int timeout);
    [LibraryImport("libc", SetLastError = true)] private static partial nint read(int fd, byte* buffer, nuint count);
    [LibraryImport("libc", SetLastError = true)] private static partial nint write(int fd, byte* buffer, nuint count);
    [LibraryImport("libc")] private static partial int close(int fd);
    [LibraryImport("libc", SetLastError = true)] private static partial int waitpid(int pid, int* status, int options);
    [LibraryImport("libc", SetLastError = true)] private static partial int waitid(int idtype, int id, void* info, int options);
    [LibraryImport("libc", SetLastError = true)] private static partial long syscall(long number, int pid, int flags);
}
