namespace Resh.Core.Platform;

/// <summary>
/// Temporary files and directories that must not outlive the process. Every way out of resh runs
/// <see cref="RunAll"/>: the normal end, the watchdog that answers for a verb that ignores
/// cancellation (--timeout, SIGTERM), a second Ctrl-C and a failed write of the answer. A verb
/// registers its temporary path before creating it and publishes it with <see cref="TempPath.Commit"/>,
/// which cannot interleave with a cleanup: after a cleanup began the rename does not happen, so an
/// envelope that says "rolled back" is true.
/// </summary>
public static class Cleanup
{
    static readonly object Gate = new();
    static readonly List<TempPath> Live = [];
    static bool _closed;
    static bool _hooked;

    /// <summary>Registers a temporary file (or directory tree) to delete unless it is committed.</summary>
    public static TempPath Track(string path, bool directory = false)
    {
        var t = new TempPath(path, directory);
        lock (Gate)
        {
            if (_closed) throw new OperationCanceledException("resh is exiting; no new temporary files.");
            if (!_hooked)
            {
                // A crash skips finally blocks; the registry still runs (installed only once something is registered).
                _hooked = true;
                AppDomain.CurrentDomain.UnhandledException += (_, _) => RunAll();
            }
            Live.Add(t);
        }
        return t;
    }

    /// <summary>Deletes every registered path that was not committed. Safe to call more than once and from any thread.</summary>
    public static void RunAll()
    {
        TempPath[] pending;
        lock (Gate)
        {
            _closed = true;
            if (Live.Count == 0) return;
            pending = Live.ToArray();
            Live.Clear();
        }
        foreach (var t in pending) t.DeleteNow();
    }

    static int _holds;

    /// <summary>
    /// Marks undo work that needs the network or a server (a dns-01 record to delete at a DNS server): while a hold
    /// is open, resh answering for a verb that was cancelled (--timeout, SIGTERM, the first Ctrl-C) waits for it, up
    /// to <see cref="HoldLimit"/>, instead of exiting after the grace period with the work half undone. A second
    /// Ctrl-C still stops at once. Dispose the result when the undo work is done.
    /// </summary>
    public static IDisposable Hold()
    {
        Interlocked.Increment(ref _holds);
        return new HoldRelease();
    }

    /// <summary>The longest a cancelled call waits for its holds.</summary>
    public static TimeSpan HoldLimit { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>Waits until no hold is open, at most <see cref="HoldLimit"/>.</summary>
    public static async Task WaitForHoldsAsync()
    {
        var until = DateTime.UtcNow + HoldLimit;
        while (Volatile.Read(ref _holds) > 0 && DateTime.UtcNow < until) await Task.Delay(50).ConfigureAwait(false);
    }

    sealed class HoldRelease : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Interlocked.Decrement(ref _holds);
        }
    }

    /// <summary>How many paths are registered (tests).</summary>
    public static int Pending { get { lock (Gate) return Live.Count; } }

    internal static bool TryCommit(TempPath t, Action publish)
    {
        lock (Gate)
        {
            if (!Live.Remove(t)) return false;
            publish();
            return true;
        }
    }

    internal static void Forget(TempPath t)
    {
        lock (Gate) Live.Remove(t);
    }

    /// <summary>Re-opens the registry (in-process tests run many calls in one process).</summary>
    public static void ResetForTests()
    {
        lock (Gate) { _closed = false; Live.Clear(); }
    }
}

/// <summary>A temporary path registered with <see cref="Cleanup"/>. Disposing it deletes the path unless it was committed.</summary>
public sealed class TempPath : IDisposable
{
    internal TempPath(string path, bool directory)
    {
        Path = path;
        Directory = directory;
    }

    public string Path { get; }
    public bool Directory { get; }
    bool _done;

    /// <summary>Runs <paramref name="publish"/> (the rename into place) unless resh is exiting; then the path is no longer temporary.</summary>
    public void Commit(Action publish)
    {
        if (!Cleanup.TryCommit(this, publish))
            throw new OperationCanceledException("resh is exiting; the temporary file was removed instead of published.");
        _done = true;
    }

    /// <summary>Stops tracking without deleting (the path was renamed or removed by its owner).</summary>
    public void Forget()
    {
        Cleanup.Forget(this);
        _done = true;
    }

    public void Dispose()
    {
        if (_done) return;
        Cleanup.Forget(this);
        _done = true;
        DeleteNow();
    }

    internal void DeleteNow()
    {
        try
        {
            if (Directory)
            {
                if (System.IO.Directory.Exists(Path) && !File.GetAttributes(Path).HasFlag(FileAttributes.ReparsePoint)) System.IO.Directory.Delete(Path, recursive: true);
                else File.Delete(Path);
            }
            else File.Delete(Path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
