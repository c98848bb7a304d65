using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Core.Platform;

/// <summary>
/// Starting a child takes file descriptors (three pipes: six ends while it starts, three kept) and a process.
/// When the system says none is left (EMFILE, ENFILE, EAGAIN, ENOMEM on spawn), a start waits for a slot: one
/// of this process's own children ending frees its pipes, so a fleet of a hundred hosts under a small limit
/// runs as many at a time as fit instead of failing the rest. A start fails only when nothing of ours is left
/// to end, or no child ended for <see cref="Patience"/>; its message then says what ran out, never that the
/// program is missing.
/// </summary>
public static class ProcessSlots
{
    public const int EAGAIN = 11, ENOMEM = 12, ENFILE = 23, EMFILE = 24;

    /// <summary>How long a start waits without any child of this process ending before it gives up.</summary>
    public static TimeSpan Patience { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a start retries when no child of this process is running (another process may free some).</summary>
    static readonly TimeSpan AloneWait = TimeSpan.FromSeconds(2);

    static readonly object Gate = new();
    static readonly SemaphoreSlim Starting = new(1, 1);
    static int _live;
    static TaskCompletionSource _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Children started through here and not yet disposed.</summary>
    public static int Live => Volatile.Read(ref _live);

    /// <summary>The errno of a failed start when it means a resource ran out, else null.</summary>
    public static int? Exhausted(Win32Exception ex) => ex.NativeErrorCode is EAGAIN or ENOMEM or ENFILE or EMFILE ? ex.NativeErrorCode : null;

    /// <summary>
    /// Starts a process from <paramref name="psi"/>, waiting for a slot while resources are exhausted. Dispose the
    /// slot after disposing the process (its pipes are closed then). Other start failures are thrown as they are.
    /// </summary>
    public static Task<(Process Process, Slot Slot)> StartAsync(ProcessStartInfo psi, CancellationToken ct) =>
        StartAsync(psi.FileName, () =>
        {
            // A new Process each try: one whose start failed is not started again.
            var process = new Process { StartInfo = psi };
            try { process.Start(); }
            catch { process.Dispose(); throw; }
            return process;
        }, ct);

    /// <summary>
    /// Starts a child with <paramref name="start"/> (which throws <see cref="Win32Exception"/> when it cannot), waiting
    /// for a slot while resources are exhausted, as <see cref="StartAsync(ProcessStartInfo, CancellationToken)"/>.
    /// </summary>
    public static async Task<(T Started, Slot Slot)> StartAsync<T>(string program, Func<T> start, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var lastFreed = clock.Elapsed;
        var delay = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            Task freed;
            int seen;
            lock (Gate) (freed, seen) = (_freed.Task, _releases);
            // Starts go one at a time: each holds six pipe ends until its child runs, and twenty at once under a
            // small limit fail each other.
            int errno;
            await Starting.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var started = start();
                Interlocked.Increment(ref _live);
                return (started, new Slot());
            }
            catch (Win32Exception ex) when (Exhausted(ex) is { } e)
            {
                errno = e;
            }
            finally
            {
                Starting.Release();
            }
            lock (Gate) if (_releases != seen) lastFreed = clock.Elapsed;
            if (Live == 0 ? clock.Elapsed >= AloneWait : clock.Elapsed - lastFreed >= Patience) throw RanOut(program, errno, clock.Elapsed).ToException();
            // A child ending wakes the waiters at once; the delay bounds the wait for what others (not ours) free.
            await Task.WhenAny(freed, Task.Delay(delay, ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (freed.IsCompleted) lastFreed = clock.Elapsed;
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary><see cref="StartAsync"/> for synchronous callers (a short helper run such as <c>ssh -G</c>).</summary>
    public static (Process Process, Slot Slot) Start(ProcessStartInfo psi) => StartAsync(psi, CancellationToken.None).GetAwaiter().GetResult();

    static int _releases;

    static void Release()
    {
        Interlocked.Decrement(ref _live);
        TaskCompletionSource done;
        lock (Gate)
        {
            _releases++;
            done = _freed;
            _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        done.TrySetResult();
    }

    /// <summary>The error for a start that found no slot: what ran out, the limit, and what to change.</summary>
    public static ReshError RanOut(string program, int errno, TimeSpan waited)
    {
        var name = Path.GetFileName(program);
        var details = new JsonObject { ["program"] = name, ["errno"] = errno, ["waited_ms"] = Math.Round(waited.TotalMilliseconds), ["children_running"] = Live };
        var limit = LibC.OpenFileLimit();
        if (limit is { } l) { details["open_files_soft_limit"] = l.Soft; details["open_files_hard_limit"] = l.Hard; }
        return errno switch
        {
            EMFILE => ReshError.Unavailable(
                $"Cannot start {name}: resh ran out of file descriptors (EMFILE, the limit of {limit?.Soft.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} open files per process).",
                "Raise the hard limit (ulimit -Hn, or LimitNOFILE= for a service), or run fewer hosts at once with --forks.", details),
            ENFILE => ReshError.Unavailable($"Cannot start {name}: the system's table of open files is full (ENFILE).",
                "Close programs holding many files, or raise fs.file-max; --forks runs fewer hosts at once.", details),
            ENOMEM => ReshError.Unavailable($"Cannot start {name}: the system is out of memory for a new process (ENOMEM).",
                "Free memory, or run fewer hosts at once with --forks.", details),
            _ => ReshError.Unavailable($"Cannot start {name}: the system refused a new process (EAGAIN: the process limit, ulimit -u, or pids.max of the cgroup).",
                "Raise the process limit, or run fewer hosts at once with --forks.", details),
        };
    }

    /// <summary>A started child's claim on resources; disposing it (once) wakes a start that waits for a slot.</summary>
    public sealed class Slot : IDisposable
    {
        int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Release();
        }
    }
}
