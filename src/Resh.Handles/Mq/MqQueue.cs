using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Mq;

/// <summary>
/// One embedded queue, open under its lock (<c>mq/NAME/lock</c> in the state dir, flock): the segment log, the consumer
/// state and the settings. Every verb opens it, does its work and disposes it, so two processes never interleave.
/// The directory must be the caller's own (not a symlink, not writable by others): a queue planted by another user is
/// refused rather than trusted.
/// </summary>
public sealed class MqQueue : IDisposable
{
    readonly FileStream _lock;
    MqState? _state;
    MqConfig? _config;
    readonly List<string> _warnings = [];

    public string Name { get; }
    public string Dir { get; }
    public MqLog Log { get; }
    public IReadOnlyList<string> Warnings => _warnings;

    MqQueue(string name, string dir, FileStream lockFile, MqLog log)
    {
        Name = name;
        Dir = dir;
        _lock = lockFile;
        Log = log;
        if (log.Recovered > 0)
            _warnings.Add($"Queue {name}: cut {log.Recovered} bytes of a torn write off the end of its log (a publisher ended mid-write; that message was never acknowledged).");
    }

    /// <summary>The directory holding every queue (<c>mq</c> in the state dir, 0700).</summary>
    public static string Root(ReshPaths paths)
    {
        try { return paths.StateSubdir("mq"); }
        catch (UnauthorizedAccessException)
        {
            throw ReshError.PermissionDenied($"The state directory {paths.StateDir} is not yours to write.", "Run as its owner, or set RESH_HOME to a directory of your own.").ToException();
        }
    }

    public static bool Exists(ReshPaths paths, string name)
    {
        var dir = Path.Combine(paths.StateDir, "mq", name);
        if (Posix.Stat(dir, follow: false, out var errno) is { } st) return st.IsDirectory || st.IsSymlink;
        if (errno == 13) throw Denied(dir, "cannot be read").ToException();
        return false;
    }

    /// <summary>Opens (with <paramref name="create"/>: creates) a queue and takes its lock.</summary>
    public static MqQueue Open(ReshPaths paths, string name, bool create, CancellationToken ct)
    {
        var root = Path.Combine(paths.StateDir, "mq");
        var rootStat = Posix.Stat(root, follow: false, out var rootErrno);
        if (rootStat is null && rootErrno == Posix.ENOENT)
        {
            root = Root(paths);
            rootStat = Posix.Stat(root, follow: false, out rootErrno);
        }
        if (rootStat is null && rootErrno == Posix.EACCES) throw Denied(root, "cannot be read").ToException();
        OwnedStateDir.Check(root, rootStat, "queue directory", "queues");
        var dir = Path.Combine(root, name);
        var st = Posix.Stat(dir, follow: false, out var errno);
        if (st is null)
        {
            if (errno == 13) throw Denied(dir, "cannot be read").ToException();
            if (!create) throw Missing(paths, name).ToException();
            try { Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
            catch (UnauthorizedAccessException) { throw Denied(root, "is not writable").ToException(); }
            LibC.FSyncDirectory(root);
            st = Posix.Stat(dir, follow: false, out _);
        }
        OwnedStateDir.Check(dir, st, "queue directory", "messages");
        FileStream lockFile;
        try { lockFile = FileLock.Open(Path.Combine(dir, "lock"), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(1), ct); }
        catch (UnauthorizedAccessException) { throw Denied(dir, "cannot be written").ToException(); }
        catch (IOException) when (!ct.IsCancellationRequested)
        {
            throw ReshError.Conflict($"The queue {name} stayed locked by another resh for 60 s.", "Retry; see which process holds it with `fuser " + Path.Combine(dir, "lock") + "`.").ToException();
        }
        if (!Directory.Exists(dir))
        {
            // Deleted by the process that held the lock while this one waited for it.
            lockFile.Dispose();
            if (!create) throw Missing(paths, name).ToException();
            return Open(paths, name, create, ct);
        }
        try
        {
            // The state is read only when a verb needs it (publish does not), or when the log has no segment to number from.
            string? stateWarning = null;
            MqState? state = null;
            bool read = false;
            var log = MqLog.Open(dir, lockFile.SafeFileHandle, () =>
            {
                read = true;
                state = ReadState(dir, name, out stateWarning);
                return state?.Next ?? 0;
            });
            var q = new MqQueue(name, dir, lockFile, log) { _state = state, _stateRead = read };
            if (stateWarning is not null) q._warnings.Add(stateWarning);
            return q;
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }


    static ReshError Denied(string path, string what) =>
        ReshError.PermissionDenied($"The queue directory {path} {what} as this user.", "Run as the user that owns the queues, or set RESH_HOME to a state directory of your own.");

    public static ReshError Missing(ReshPaths paths, string name)
    {
        var known = Names(paths);
        return ReshError.NotFound($"There is no queue {name}.",
            Resh.Core.Text.Suggest.Hint(name, known) ?? $"Publish to it first (resh 'mq:///{name}.publish(body=hello)') or create it: resh mq:///{name}.create",
            new JsonObject { ["queue"] = name });
    }

    /// <summary>Every queue directory of this state dir, by name.</summary>
    public static IReadOnlyList<string> Names(ReshPaths paths)
    {
        var root = Path.Combine(paths.StateDir, "mq");
        if (Posix.Stat(root, follow: false, out var errno) is not { IsDirectory: true })
        {
            if (errno == 13) throw Denied(root, "cannot be read").ToException();
            return [];
        }
        try
        {
            return Directory.EnumerateDirectories(root).Select(d => Path.GetFileName(d)!).Where(MqName.IsValid).Order(StringComparer.Ordinal).ToArray();
        }
        catch (UnauthorizedAccessException) { throw Denied(root, "cannot be read").ToException(); }
    }

    static MqState? ReadState(string dir, string name, out string? warning)
    {
        warning = null;
        var path = Path.Combine(dir, "state.json");
        if (!File.Exists(path)) return null;
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return null; }
        try { return JsonSerializer.Deserialize(bytes, MqJson.Default.MqState) ?? throw new JsonException(); }
        catch (JsonException)
        {
            warning = $"Queue {name}: its consumer state was unreadable and was rebuilt; messages not yet deleted are delivered again (at least once).";
            return null;
        }
    }

    bool _stateRead;

    public MqState State
    {
        get
        {
            if (!_stateRead)
            {
                _stateRead = true;
                _state = ReadState(Dir, Name, out var warning);
                if (warning is not null) _warnings.Add(warning);
            }
            if (_state is null)
            {
                var first = Log.Segments.Count > 0 ? Log.Segments[0] : Log.NextSeq;
                _state = new MqState { Next = first, NextSegment = first, NextOffset = 0 };
            }
            return _state;
        }
    }

    public MqConfig Config
    {
        get
        {
            if (_config is not null) return _config;
            var path = Path.Combine(Dir, "queue.json");
            try { if (File.Exists(path)) _config = JsonSerializer.Deserialize(File.ReadAllBytes(path), MqJson.Default.MqConfig); }
            catch (FileNotFoundException) { }
            catch (JsonException) { _warnings.Add($"Queue {Name}: queue.json is unreadable; the default settings apply."); }
            return _config ??= new MqConfig();
        }
    }

    public void SaveConfig(MqConfig config)
    {
        _config = config;
        AtomicFile.Write(Path.Combine(Dir, "queue.json"), JsonSerializer.SerializeToUtf8Bytes(config, MqJson.Default.MqConfig), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Writes the consumer state (fsynced) and deletes the segments every message of which is done.</summary>
    public void SaveState()
    {
        AtomicFile.Write(Path.Combine(Dir, "state.json"), JsonSerializer.SerializeToUtf8Bytes(State, MqJson.Default.MqState), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Log.Compact(State.Low);
    }

    public int MaxDeliveries => MqName.IsDeadLetter(Name) ? 0 : Config.MaxDeliveries;

    public static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Messages ready for delivery: never delivered, or whose lease ended.</summary>
    public long Depth(long now)
    {
        var s = Consistent();
        return Math.Max(0, Log.NextSeq - s.Next) + s.Leases.Count(l => l.Until <= now);
    }

    public long InFlight(long now) => Consistent().Leases.Count(l => l.Until > now);

    /// <summary>The state, made to agree with the log (after a crash lost the log's tail, or a state file that was rebuilt).</summary>
    public MqState Consistent()
    {
        var s = State;
        if (s.Next > Log.NextSeq)
        {
            s.Next = Log.NextSeq;
            s.NextSegment = Log.TailSegment;
            s.NextOffset = Log.TailOffset;
            s.Leases.RemoveAll(l => l.Seq >= Log.NextSeq);
        }
        if (Log.Segments.Count > 0 && s.Next < Log.Segments[0])
        {
            // Below the oldest segment everything was deleted: done.
            s.Leases.RemoveAll(l => l.Seq < Log.Segments[0]);
            s.Next = Log.Segments[0];
            s.NextSegment = s.Next;
            s.NextOffset = 0;
        }
        if (s.Next < Log.NextSeq && !Log.Segments.Contains(s.NextSegment))
        {
            if (Log.Locate(s.Next) is { } at) (s.NextSegment, s.NextOffset) = at;
            else { s.Next = Log.NextSeq; s.NextSegment = Log.TailSegment; s.NextOffset = Log.TailOffset; }
        }
        return s;
    }

    /// <summary>
    /// Reads the next never-delivered message and moves the cursor past it; null when there is none. Unreadable records
    /// (a corrupted segment) are skipped to the next segment with a warning.
    /// </summary>
    public (MqRecord Record, long Segment, long Offset)? TakeNext()
    {
        var s = Consistent();
        while (s.Next < Log.NextSeq)
        {
            var (status, rec, nextOff) = Log.Read(s.NextSegment, s.NextOffset);
            if (status == MqLog.ReadStatus.Ok && rec!.Seq == s.Next)
            {
                var at = (rec, s.NextSegment, s.NextOffset);
                s.Next++;
                s.NextOffset = nextOff;
                return at;
            }
            if (status == MqLog.ReadStatus.End && Log.After(s.NextSegment) is { } following && following == s.Next)
            {
                s.NextSegment = following;
                s.NextOffset = 0;
                continue;
            }
            // Corrupt: every record has its own checksum, so the next whole one in this segment is read again (s31 review: one
            // flipped byte used to drop every good message after it up to the next segment).
            if (status == MqLog.ReadStatus.Corrupt && Log.Resync(s.NextSegment, s.NextOffset) is { } found && found.Record.Seq > s.Next)
            {
                _warnings.Add(found.Record.Seq - 1 == s.Next
                    ? $"Queue {Name}: message {s.Next} could not be read (damaged on disk) and was skipped."
                    : $"Queue {Name}: messages {s.Next}–{found.Record.Seq - 1} could not be read (damaged on disk) and were skipped.");
                s.Next = found.Record.Seq;
                s.NextOffset = found.Offset;
                continue;
            }
            // Out of order, or nothing whole after the damage in this segment: skip to the next segment.
            var skipTo = Log.After(s.NextSegment) ?? Log.NextSeq;
            _warnings.Add($"Queue {Name}: messages {s.Next}–{skipTo - 1} could not be read (a damaged segment) and were skipped.");
            s.Next = skipTo;
            if (skipTo == Log.NextSeq && Log.After(s.NextSegment) is null) { s.NextSegment = Log.TailSegment; s.NextOffset = Log.TailOffset; }
            else { s.NextSegment = skipTo; s.NextOffset = 0; }
        }
        return null;
    }

    /// <summary>Appends messages (made from their sequence number) and makes them durable now, or leaves the fsync to <paramref name="defer"/>.</summary>
    public long Append(IReadOnlyList<Func<long, byte[]>> records, bool durable, Resh.Core.Execution.DeferredSync? defer)
    {
        var first = Log.NextSeq;
        var (segment, created) = Log.Append(records);
        if (!durable) return first;
        if (defer is not null)
        {
            var dir = Dir;
            defer.Add(segment, () => MqLog.Sync(dir, segment, false));
            if (created) defer.Add("dir:" + dir, () => LibC.FSyncDirectory(dir));
        }
        else MqLog.Sync(Dir, segment, created);
        return first;
    }

    /// <summary>Moves a message to this queue's dead-letter queue (durably) with where it came from and why.</summary>
    public void DeadLetter(MqRecord rec, int deliveries, string reason, ReshPaths paths, CancellationToken ct)
    {
        using var dlq = Open(paths, MqName.DeadLetterOf(Name), create: true, ct);
        var origin = new JsonObject
        {
            ["queue"] = Name, ["seq"] = rec.Seq, ["reason"] = reason, ["deliveries"] = deliveries,
            ["dead_lettered"] = Stamp(NowMs),
        };
        dlq.Append([seq => new MqRecord(seq, rec.PublishedMs, rec.Key, rec.Headers, origin, rec.Body).Encode()], durable: true, defer: null);
        State.DeadLettered++;
    }

    public static string Stamp(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A receipt token: the queue's tag (<see cref="Tag"/>) then 16 random hex digits, so a receipt names its queue.</summary>
    public static string NewToken(string queue) => Tag(queue) + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    /// <summary>8 hex digits of the SHA-256 of the queue's name: a receipt of another queue is refused, not taken as "already done".</summary>
    public static string Tag(string queue) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(queue)).AsSpan(0, 4));

    public void Dispose()
    {
        Log.Dispose();
        _lock.Dispose();
    }
}
