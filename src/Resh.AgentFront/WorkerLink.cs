using System.Buffers.Binary;
using System.Diagnostics;

namespace Resh.AgentFront;

/// <summary>
/// The one worker (the full resh in worker mode) and the pipe to it: started on the first message, told to exit
/// after <see cref="FrontSettings.WorkerIdle"/> with nothing in flight, started again on the next message (at most once
/// a second). What must outlive a worker is kept here: the agent's start time and the call ids the workers verified
/// (the replay cache), handed to each new worker in its init frame.
/// </summary>
public sealed class WorkerLink
{
    static readonly TimeSpan MinRestart = TimeSpan.FromSeconds(1);
    const int MaxSeen = 1_000_000;

    readonly FrontSettings _settings;
    /// <summary>Calls issued before this are refused by every worker: the agent's start, moved forward when an id could not be kept.</summary>
    DateTime _started;
    /// <summary>The worker binary's size and write time when the front started: a worker is not started from a changed file.</summary>
    readonly (long Size, DateTime Written)? _binary;
    readonly FrontLog _log;
    readonly Func<string, byte[], ValueTask> _publish;
    readonly object _gate = new();
    readonly Dictionary<string, DateTime> _seen = new(StringComparer.Ordinal);
    readonly Timer _idle;
    Worker? _current;
    long _lastStart = -1;
    long _lastPrune = Stopwatch.GetTimestamp();
    bool _draining;

    public int MaxAnswer { get; set; } = 1 << 20;

    sealed class Worker(Process process)
    {
        public readonly Process Process = process;
        public readonly Stream Input = process.StandardInput.BaseStream;
        public int InFlight;
        public long LastActivity = Stopwatch.GetTimestamp();
        public bool Retired;
        public Task Reader = Task.CompletedTask;
    }

    public WorkerLink(FrontSettings settings, DateTime started, FrontLog log, Func<string, byte[], ValueTask> publish)
    {
        _settings = settings;
        _started = started;
        _binary = BinaryStamp();
        _log = log;
        _publish = publish;
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(settings.WorkerIdle.TotalMilliseconds / 4, 50, 1000));
        _idle = new Timer(_ => RetireIdle(), null, tick, tick);
    }

    /// <summary>Sends a message to the worker, starting one when none runs; a worker gone meanwhile is replaced once.</summary>
    public async Task SendAsync(byte kind, string subject, string reply, byte[] data, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var w = await EnsureAsync(ct).ConfigureAwait(false);
            if (w is null) return;
            var counted = kind is AgentFrame.Discover or AgentFrame.Call;
            lock (_gate)
            {
                if (w.Retired) { attempt--; continue; } // retired since: it takes no more messages (a counted one keeps it from retiring)
                if (counted) w.InFlight++;
                w.LastActivity = Stopwatch.GetTimestamp();
            }
            try
            {
                AgentFrame.Write(w.Input, kind, subject, reply, data);
                return;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                lock (_gate)
                {
                    if (counted) w.InFlight--;
                    if (_current == w) _current = null;
                }
            }
        }
    }

    async Task<Worker?> EnsureAsync(CancellationToken ct)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                if (_draining) return null;
                if (_current is { Retired: false } w) return w;
                var since = _lastStart < 0 ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(_lastStart);
                wait = since >= MinRestart ? TimeSpan.Zero : MinRestart - since;
                if (wait == TimeSpan.Zero)
                {
                    _lastStart = Stopwatch.GetTimestamp();
                    try { return _current = Start(); }
                    catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
                    {
                        _log.Line($"could not start the worker: {e.Message}; the message is dropped");
                        return null;
                    }
                }
            }
            await Task.Delay(wait, ct).ConfigureAwait(false); // a worker that keeps dying is not restarted faster than once a second
        }
    }

    /// <summary>Size and last write of the file behind the worker's /proc/self/fd/N (the same inode however it was renamed).</summary>
    (long, DateTime)? BinaryStamp()
    {
        const string Held = "/proc/self/fd/";
        try
        {
            // fstat(2) of the held descriptor itself: a stat through the /proc link may describe the link, not the file.
            if (_settings.Worker[0].StartsWith(Held, StringComparison.Ordinal) && int.TryParse(_settings.Worker[0].AsSpan(Held.Length), out var fd))
            {
                using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false);
                return (RandomAccess.GetLength(handle), File.GetLastWriteTimeUtc(handle));
            }
            var f = new FileInfo(_settings.Worker[0]);
            return (f.Length, f.LastWriteTimeUtc);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }

    Worker Start()
    {
        // The held descriptor keeps the inode, not its content: a file written over in place (cp onto it) would run as
        // the next worker (s43 attacker #2). Such a change stops new workers until the agent is restarted.
        if (BinaryStamp() != _binary)
            throw new InvalidOperationException("the resh binary this agent started from was changed in place since; restart the agent to run the new one");

        var psi = new ProcessStartInfo(_settings.Worker[0]) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var a in _settings.Worker.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment["RESH_AGENT_WORKER"] = "1";
        var w = new Worker(Process.Start(psi) ?? throw new InvalidOperationException("no process"));
        List<KeyValuePair<string, DateTime>> seen;
        lock (_seen)
        {
            PruneSeen();
            seen = _seen.ToList();
        }
        DateTime notBefore;
        lock (_seen) notBefore = _started;
        AgentFrame.Write(w.Input, AgentFrame.Init, "", "", AgentFrame.InitData(notBefore, MaxAnswer, _settings.Host, seen));
        w.Reader = Task.Run(() => ReadAnswers(w));
        return w;
    }

    /// <summary>Forgets the ids whose calls expired (with the skew the workers allow); called under the lock of _seen.</summary>
    void PruneSeen()
    {
        var now = DateTime.UtcNow;
        foreach (var (id, until) in _seen.ToArray())
            if (until < now - TimeSpan.FromSeconds(30)) _seen.Remove(id);
    }

    async Task ReadAnswers(Worker w)
    {
        var output = w.Process.StandardOutput.BaseStream;
        while (AgentFrame.Read(output) is { } frame)
        {
            if (frame.Kind == AgentFrame.Verified && frame.Data.Length == 8)
            {
                lock (_seen)
                {
                    if (_seen.Count >= MaxSeen) PruneSeen();
                    if (_seen.Count < MaxSeen) _seen[frame.Subject] = new DateTime(BinaryPrimitives.ReadInt64LittleEndian(frame.Data), DateTimeKind.Utc);
                    // An id that cannot be kept could be replayed to a later worker (s43 attacker #1): later workers refuse
                    // every call issued before now instead, as an agent that restarted does.
                    else _started = DateTime.UtcNow;
                }
                continue;
            }
            if (frame.Kind != AgentFrame.Answer) continue;
            lock (_gate)
            {
                if (w.InFlight > 0) w.InFlight--;
                w.LastActivity = Stopwatch.GetTimestamp();
            }
            if (frame.Subject.Length > 0 && frame.Data.Length > 0)
                try { await _publish(frame.Subject, frame.Data).ConfigureAwait(false); }
                catch (Exception e) when (e is NATS.Client.Core.NatsException or OperationCanceledException) { _log.Line($"could not send an answer: {e.Message}"); }
        }
        await w.Process.WaitForExitAsync().ConfigureAwait(false);
        // Both pipe ends are closed here, not left to the Process object (s43 user review: one descriptor leaked per worker).
        try { w.Input.Dispose(); } catch (IOException) { }
        output.Dispose();
        int lost;
        bool retired;
        lock (_gate)
        {
            lost = w.InFlight;
            retired = w.Retired;
            if (_current == w) _current = null;
        }
        if (!retired || w.Process.ExitCode != 0)
            _log.Line($"the worker (pid {w.Process.Id}) exited with status {w.Process.ExitCode}{(lost > 0 ? $"; {lost} calls in flight got no answer" : "")}; the next message starts another");
        w.Process.Dispose();
    }

    void RetireIdle()
    {
        // A busy worker never retires, so the cache of verified ids is also pruned here, every 30 s, to what can still be replayed.
        if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastPrune)) > TimeSpan.FromSeconds(30))
        {
            Interlocked.Exchange(ref _lastPrune, Stopwatch.GetTimestamp());
            lock (_seen) PruneSeen();
        }
        Worker? w;
        lock (_gate)
        {
            w = _current;
            if (w is null || w.Retired || _draining || w.InFlight > 0 || Stopwatch.GetElapsedTime(w.LastActivity) < _settings.WorkerIdle) return;
            w.Retired = true;
            _current = null;
        }
        Tell(w, AgentFrame.Stop);
        try { w.Input.Close(); } catch (IOException) { }
    }

    static void Tell(Worker w, byte kind)
    {
        try { AgentFrame.Write(w.Input, kind, "", "", []); }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    /// <summary>SIGHUP: the worker re-reads its config; with no worker, the next one reads the file anyway.</summary>
    public void Reload()
    {
        Worker? w;
        lock (_gate) w = _current;
        if (w is not null) Tell(w, AgentFrame.Reload);
        else _log.Line("SIGHUP: no worker runs now; the next message starts one that reads the config file");
    }

    /// <summary>A second stop signal: the worker interrupts the calls it still runs.</summary>
    public void Interrupt()
    {
        Worker? w;
        lock (_gate) w = _current;
        if (w is not null) Tell(w, AgentFrame.Stop);
    }

    /// <summary>Stop: no new worker; the running one finishes its calls (its answers are published) and exits.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        Worker? w;
        lock (_gate)
        {
            _draining = true;
            w = _current;
        }
        _idle.Dispose();
        if (w is null) return;
        Tell(w, AgentFrame.Stop);
        try { await w.Reader.WaitAsync(timeout).ConfigureAwait(false); }
        catch (TimeoutException)
        {
            _log.Line("the worker did not finish in time; it is killed");
            try { w.Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } // its calls' programs too (s43 attacker #3)
        }
    }
}
