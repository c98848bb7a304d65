using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Event;

/// <summary>
/// The embedded event trail, open under its lock (<c>events/lock</c> in the state dir, flock): append-only segment files
/// (<c>SEQ.seg</c>, named by their first sequence number, 0600) of <see cref="EventRecord"/> lines. The lock file holds a
/// tail hint (last segment, its valid length, the next sequence number), so an emit need not scan; bytes after the last
/// whole line of the last segment (an emitter killed mid-write) are cut off when the trail is next opened. Every verb
/// opens it, does its work and disposes it, so emitters in many processes never interleave. The directory must be the
/// caller's own: a trail planted by another user is refused rather than trusted.
/// </summary>
public sealed class EventStore : IDisposable
{
    const uint HintMagic = 0x31485645; // "EVH1"
    const int HintSize = 32;

    readonly FileStream _lock;
    readonly Dictionary<long, SafeFileHandle> _open = [];
    readonly List<string> _warnings = [];
    List<long>? _segments;

    public string Dir { get; }
    public IReadOnlyList<string> Warnings => _warnings;
    public long TailSegment { get; private set; }
    public long TailOffset { get; private set; }
    /// <summary>The sequence number the next event gets (sequence numbers start at 1).</summary>
    public long NextSeq { get; private set; }

    EventStore(string dir, FileStream lockFile)
    {
        Dir = dir;
        _lock = lockFile;
    }

    public static string SegmentName(long first) => first.ToString("D20", CultureInfo.InvariantCulture) + ".seg";

    string PathOf(long first) => Path.Combine(Dir, SegmentName(first));

    public IReadOnlyList<long> Segments => _segments ??= List();

    List<long> List()
    {
        var segments = new List<long>();
        foreach (var file in Directory.EnumerateFiles(Dir, "*.seg"))
        {
            var leaf = Path.GetFileName(file);
            if (leaf.Length == 24 && long.TryParse(leaf.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var first)) segments.Add(first);
        }
        segments.Sort();
        return segments;
    }

    /// <summary>The directory of the trail (<c>events</c> in the state dir), checked to be the caller's own; null when it does not exist and <paramref name="create"/> is false.</summary>
    public static string? Root(ReshPaths paths, bool create)
    {
        var dir = Path.Combine(paths.StateDir, "events");
        var st = Posix.Stat(dir, follow: false, out var errno);
        if (st is null)
        {
            if (errno == Posix.EACCES) throw Denied(dir, "cannot be read").ToException();
            if (!create) return null;
            try { paths.StateSubdir("events"); }
            catch (UnauthorizedAccessException) { throw Denied(paths.StateDir, "is not writable").ToException(); }
            catch (IOException ex) { throw ReshError.Failed($"Could not create {dir}: {ex.Message}", "Check the state directory (RESH_HOME).").ToException(); }
            st = Posix.Stat(dir, follow: false, out _);
        }
        OwnedStateDir.Check(dir, st, "event directory", "events");
        return dir;
    }

    /// <summary>Opens the trail and takes its lock; null when there is no trail yet and <paramref name="create"/> is false.</summary>
    public static EventStore? Open(ReshPaths paths, bool create, CancellationToken ct)
    {
        if (Root(paths, create) is not { } dir) return null;
        FileStream lockFile;
        try { lockFile = FileLock.Open(Path.Combine(dir, "lock"), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(1), ct); }
        catch (UnauthorizedAccessException) { throw Denied(dir, "cannot be written").ToException(); }
        catch (IOException) when (!ct.IsCancellationRequested)
        {
            throw ReshError.Conflict("The event trail stayed locked by another resh for 60 s.", "Retry; see which process holds it with `fuser " + Path.Combine(dir, "lock") + "`.").ToException();
        }
        try
        {
            var store = new EventStore(dir, lockFile);
            store.FindTail();
            return store;
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }


    static ReshError Denied(string path, string what) =>
        ReshError.PermissionDenied($"The event directory {path} {what} as this user.", "Run as the user that owns the trail, or set RESH_HOME to a state directory of your own.");

    /// <summary>
    /// Finds the end of the trail: from the hint when it names the newest segment, else by scanning the last segment.
    /// Bytes after the last whole line are a torn write and are cut off.
    /// </summary>
    void FindTail()
    {
        var hint = ReadHint();
        long last, pos = 0, expect;
        SafeFileHandle handle;
        if (hint is { } h && h.Next >= h.Segment && TryHandle(h.Segment) is { } hinted && !File.Exists(PathOf(h.Next)) && h.Offset <= RandomAccess.GetLength(hinted)
            && (h.Offset == 0 || h.Offset == RandomAccess.GetLength(hinted) || EndsLine(hinted, h.Offset)))
        {
            handle = hinted;
            last = h.Segment;
            pos = h.Offset;
            expect = h.Next;
        }
        else
        {
            if (Segments.Count == 0)
            {
                NextSeq = Math.Max(1, hint?.Next ?? 1);
                TailSegment = NextSeq;
                TailOffset = 0;
                return;
            }
            last = Segments[^1];
            handle = Handle(last);
            expect = Math.Max(last, 1);
        }
        var size = RandomAccess.GetLength(handle);
        if (pos < size)
        {
            var lines = new EventLines(handle, pos, size);
            lines.ForEach((_, line, _) =>
            {
                if (EventRecord.Decode(line) is { } rec && rec.Seq >= expect) expect = rec.Seq + 1;
            });
            pos = lines.End;
            if (pos < size)
            {
                _warnings.Add($"Event trail: cut {size - pos} bytes of a torn write off the end of {SegmentName(last)} (an emitter ended mid-write; that event was never acknowledged).");
                RandomAccess.SetLength(handle, pos);
                LibC.FSync((int)handle.DangerousGetHandle());
            }
        }
        TailSegment = last;
        TailOffset = pos;
        NextSeq = expect;
        if (hint is not { } same || same.Segment != last || same.Offset != pos || same.Next != expect) WriteHint();
    }

    static bool EndsLine(SafeFileHandle h, long offset)
    {
        Span<byte> b = stackalloc byte[1];
        return RandomAccess.Read(h, b, offset - 1) == 1 && b[0] == (byte)'\n';
    }

    (long Segment, long Offset, long Next)? ReadHint()
    {
        Span<byte> b = stackalloc byte[HintSize];
        if (RandomAccess.Read(_lock.SafeFileHandle, b, 0) != HintSize) return null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(b) != HintMagic || Crc32.HashToUInt32(b[..28]) != BinaryPrimitives.ReadUInt32LittleEndian(b[28..])) return null;
        return (BinaryPrimitives.ReadInt64LittleEndian(b[4..]), BinaryPrimitives.ReadInt64LittleEndian(b[12..]), BinaryPrimitives.ReadInt64LittleEndian(b[20..]));
    }

    void WriteHint()
    {
        Span<byte> b = stackalloc byte[HintSize];
        BinaryPrimitives.WriteUInt32LittleEndian(b, HintMagic);
        BinaryPrimitives.WriteInt64LittleEndian(b[4..], TailSegment);
        BinaryPrimitives.WriteInt64LittleEndian(b[12..], TailOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b[20..], NextSeq);
        BinaryPrimitives.WriteUInt32LittleEndian(b[28..], Crc32.HashToUInt32(b[..28]));
        RandomAccess.Write(_lock.SafeFileHandle, b, 0);
    }

    SafeFileHandle Handle(long first, bool create = false) =>
        TryHandle(first, create) ?? throw new IOException($"The segment {PathOf(first)} could not be opened.");

    /// <summary>A segment's descriptor (never through a symlink), kept for this operation; null when it is not there.</summary>
    SafeFileHandle? TryHandle(long first, bool create = false)
    {
        if (_open.TryGetValue(first, out var h)) return h;
        h = Posix.OpenHandle(Posix.AT_FDCWD, PathOf(first), Posix.O_RDWR | Posix.O_NOFOLLOW | Posix.O_CLOEXEC | (create ? Posix.O_CREAT : 0), 0x180, out var errno);
        if (h is null)
        {
            if (errno == Posix.ENOENT) return null;
            if (errno == Posix.EACCES) throw Denied(PathOf(first), "cannot be opened").ToException();
            throw new IOException($"{PathOf(first)}: {Posix.StrError(errno)}", errno);
        }
        _open[first] = h;
        return h;
    }

    /// <summary>
    /// Appends one event (its sequence number is <see cref="NextSeq"/>), fsynced unless <paramref name="durable"/> is false:
    /// now, or by <paramref name="defer"/> (a batch's group commit, which answers only after it ran).
    /// </summary>
    public EventRecord Append(Func<long, EventRecord> make, long segmentSize, bool durable, Resh.Core.Execution.DeferredSync? defer = null)
    {
        bool created = false;
        if (TryHandle(TailSegment) is null || TailOffset >= segmentSize)
        {
            // The hint names the new segment before it exists: a crash in between leaves a hint that is simply not used.
            TailSegment = NextSeq;
            TailOffset = 0;
            WriteHint();
            Handle(TailSegment, create: true);
            if (_segments is { } list && (list.Count == 0 || list[^1] != TailSegment)) list.Add(TailSegment);
            created = true;
        }
        var rec = make(NextSeq);
        var bytes = rec.Encode();
        var handle = Handle(TailSegment);
        RandomAccess.Write(handle, bytes, TailOffset);
        if (durable && defer is not null)
        {
            var path = PathOf(TailSegment);
            var dir = Dir;
            defer.Add(path, () => Sync(path));
            if (created) defer.Add("dir:" + dir, () => LibC.FSyncDirectory(dir));
        }
        else if (durable)
        {
            if (LibC.FSync((int)handle.DangerousGetHandle()) != 0) throw new IOException($"fsync of {PathOf(TailSegment)} failed.");
            if (created) LibC.FSyncDirectory(Dir);
        }
        TailOffset += bytes.Length;
        NextSeq++;
        WriteHint();
        return rec;
    }

    /// <summary>fsync of a segment by path (a batch's group commit runs it after the store was closed).</summary>
    static void Sync(string segment)
    {
        var fd = LibC.Open(segment, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Posix.ENOENT) return; // deleted by retention meanwhile: nothing left to make durable
            throw new IOException($"Could not open {segment} to flush it: {Posix.StrError(errno)}.", errno);
        }
        try
        {
            if (LibC.FSync(fd) != 0) throw new IOException($"fsync of {segment} failed: {Posix.StrError(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}.");
        }
        finally { LibC.Close(fd); }
    }

    /// <summary>
    /// Deletes whole old segments (never the last one) while the trail is larger than <paramref name="maxSize"/> or the
    /// oldest segment's newest event (its last write) is older than <paramref name="maxAge"/>. Returns how many.
    /// </summary>
    public int Retain(long maxSize, TimeSpan maxAge)
    {
        var list = _segments ??= List();
        if (list.Count < 2) return 0;
        var sizes = new long[list.Count];
        long total = 0;
        for (var i = 0; i < list.Count; i++) total += sizes[i] = list[i] == TailSegment ? TailOffset : LengthOf(list[i]);
        var oldest = DateTime.UtcNow - maxAge;
        int removed = 0;
        while (list.Count > 1)
        {
            var first = list[0];
            if (total <= maxSize && File.GetLastWriteTimeUtc(PathOf(first)) >= oldest) break;
            if (_open.Remove(first, out var h)) h.Dispose();
            File.Delete(PathOf(first));
            total -= sizes[removed];
            list.RemoveAt(0);
            removed++;
        }
        return removed;
    }

    long LengthOf(long first) => TryHandle(first) is { } h ? RandomAccess.GetLength(h) : 0;

    public long TotalBytes() => Segments.Sum(s => s == TailSegment ? TailOffset : LengthOf(s));

    /// <summary>Where to resume reading: the segment and offset after the last event read, and that event's sequence number.</summary>
    public readonly record struct Position(long Segment, long Offset, long After);

    /// <summary>
    /// Every readable event with a sequence number above <paramref name="after"/>, oldest first, calling <paramref name="onEvent"/>
    /// (false stops). Segments whose last write is before <paramref name="sinceMs"/> are not read. Damaged lines are skipped
    /// with a warning. Returns where reading stopped, for the next call (follow).
    /// </summary>
    public Position Read(Position from, long? sinceMs, Func<EventRecord, bool> onEvent)
    {
        var list = _segments ??= List();
        int index;
        long offset = 0;
        var i0 = list.IndexOf(from.Segment);
        if (i0 >= 0 && from.Offset > 0 && from.Offset <= (from.Segment == TailSegment ? TailOffset : LengthOf(from.Segment)))
        {
            index = i0;
            offset = from.Offset;
        }
        else
        {
            // The last segment that starts at or before the first wanted event.
            index = 0;
            for (var i = 0; i < list.Count; i++) if (list[i] <= from.After + 1) index = i;
        }
        var pos = from;
        bool stopped = false;
        for (var i = index; i < list.Count && !stopped; i++, offset = 0)
        {
            var seg = list[i];
            if (sinceMs is { } since && i < list.Count - 1 && new DateTimeOffset(File.GetLastWriteTimeUtc(PathOf(seg))).ToUnixTimeMilliseconds() < since) continue;
            if (TryHandle(seg) is not { } h) continue;
            var end = seg == TailSegment ? TailOffset : RandomAccess.GetLength(h);
            int damaged = 0;
            long firstDamaged = -1;
            var lines = new EventLines(h, offset, end);
            lines.ForEach((off, line, next) =>
            {
                var rec = EventRecord.Decode(line);
                if (rec is null)
                {
                    if (damaged++ == 0) firstDamaged = off;
                    pos = pos with { Segment = seg, Offset = next };
                    return;
                }
                pos = new Position(seg, next, Math.Max(pos.After, rec.Seq));
                if (rec.Seq <= from.After) return;
                if (!onEvent(rec)) stopped = true;
            }, () => stopped);
            if (damaged > 0)
                _warnings.Add(damaged == 1
                    ? $"Event trail: a damaged record in {SegmentName(seg)} at byte {firstDamaged} could not be read and was skipped."
                    : $"Event trail: {damaged} damaged records in {SegmentName(seg)} (the first at byte {firstDamaged}) could not be read and were skipped.");
        }
        if (!stopped && list.Count > 0 && pos.Segment != TailSegment) pos = new Position(TailSegment, TailOffset, Math.Max(pos.After, NextSeq - 1));
        return pos;
    }

    public void Dispose()
    {
        foreach (var h in _open.Values) h.Dispose();
        _open.Clear();
        _lock.Dispose();
    }
}
