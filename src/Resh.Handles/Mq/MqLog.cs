using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Resh.Core.Platform;

namespace Resh.Handles.Mq;

/// <summary>
/// A queue's messages: append-only segment files (<c>SEQ.seg</c>, named by their first sequence number, 0600), read and
/// written only under the queue's lock. The lock file itself holds a tail hint (last segment, its valid length, the next
/// sequence number), so a publish need not scan: when the file is longer than the hint says (a publisher died between
/// its write and the hint), the records after the hint are checked and a torn one at the end is cut off; when the hint is
/// missing or does not match, the last segment is scanned from its start.
/// </summary>
public sealed class MqLog : IDisposable
{
    const uint HintMagic = 0x3148514D; // "MQH1"
    const int HintSize = 32;

    readonly string _dir;
    readonly SafeFileHandle _lock;
    readonly Dictionary<long, SafeFileHandle> _open = [];
    List<long>? _segments;

    /// <summary>First sequence numbers of the segments, oldest first (the directory is listed on first use: a publish with a good hint never lists it).</summary>
    public IReadOnlyList<long> Segments => _segments ??= List();
    public long TailSegment { get; private set; }
    public long TailOffset { get; private set; }
    /// <summary>The sequence number the next message gets.</summary>
    public long NextSeq { get; private set; }
    /// <summary>Bytes cut off a torn last record when the log was opened (0 normally).</summary>
    public long Recovered { get; private set; }

    MqLog(string dir, SafeFileHandle lockHandle)
    {
        _dir = dir;
        _lock = lockHandle;
    }

    public static string SegmentName(long first) => first.ToString("D20", CultureInfo.InvariantCulture) + ".seg";

    string PathOf(long first) => Path.Combine(_dir, SegmentName(first));

    List<long> List()
    {
        var segments = new List<long>();
        foreach (var file in Directory.EnumerateFiles(_dir, "*.seg"))
        {
            var leaf = Path.GetFileName(file);
            if (leaf.Length == 24 && long.TryParse(leaf.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var first)) segments.Add(first);
        }
        segments.Sort();
        return segments;
    }

    public static MqLog Open(string dir, SafeFileHandle lockHandle, Func<long> fallbackNext)
    {
        var log = new MqLog(dir, lockHandle);
        log.FindTail(fallbackNext);
        return log;
    }

    /// <summary>
    /// Finds the end of the log. The hint is written before a new segment is created, so the segment it names is always
    /// the newest one when it exists; only when it does not (or the hint is unreadable) is the directory listed.
    /// </summary>
    void FindTail(Func<long> fallbackNext)
    {
        var hint = ReadHint();
        long last, pos = 0, expect;
        SafeFileHandle? handle = null;
        if (hint is { } h && h.Next >= h.Segment && TryHandle(h.Segment) is { } hinted)
        {
            handle = hinted;
            last = h.Segment;
            var length = RandomAccess.GetLength(hinted);
            if (h.Offset <= length) { pos = h.Offset; expect = h.Next; }
            else expect = last;
        }
        else
        {
            if (Segments.Count == 0)
            {
                NextSeq = Math.Max(hint?.Next ?? 0, fallbackNext());
                TailSegment = NextSeq;
                TailOffset = 0;
                return;
            }
            last = Segments[^1];
            handle = Handle(last);
            expect = last;
        }
        var size = RandomAccess.GetLength(handle);
        if (pos < size) (pos, expect) = Scan(handle, pos, expect, size);
        if (pos < size)
        {
            // A torn write at the end (a publisher killed mid-write, or a crash before its data reached the disk).
            Recovered = size - pos;
            RandomAccess.SetLength(handle, pos);
            LibC.FSync((int)handle.DangerousGetHandle());
        }
        TailSegment = last;
        TailOffset = pos;
        NextSeq = expect;
        if (hint is not { } same || same.Segment != last || same.Offset != pos || same.Next != expect) WriteHint();
    }

    /// <summary>Walks whole records from <paramref name="pos"/>; where the valid ones end and the next sequence number.</summary>
    (long Pos, long Next) Scan(SafeFileHandle handle, long pos, long expect, long length)
    {
        var frame = new byte[MqRecord.FrameSize];
        while (pos + MqRecord.FrameSize <= length)
        {
            if (RandomAccess.Read(handle, frame, pos) != frame.Length) break;
            var plen = MqRecord.PayloadLength(frame);
            if (plen < 0 || pos + MqRecord.FrameSize + plen > length) break;
            var payload = new byte[plen];
            if (RandomAccess.Read(handle, payload, pos + MqRecord.FrameSize) != plen) break;
            if (MqRecord.Decode(frame, payload) is not { } rec || rec.Seq != expect) break;
            pos += MqRecord.FrameSize + plen;
            expect++;
        }
        return (pos, expect);
    }

    (long Segment, long Offset, long Next)? ReadHint()
    {
        Span<byte> b = stackalloc byte[HintSize];
        if (RandomAccess.Read(_lock, b, 0) != HintSize) return null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(b) != HintMagic || MqCrc.Of(b[..28]) != BinaryPrimitives.ReadUInt32LittleEndian(b[28..])) return null;
        return (BinaryPrimitives.ReadInt64LittleEndian(b[4..]), BinaryPrimitives.ReadInt64LittleEndian(b[12..]), BinaryPrimitives.ReadInt64LittleEndian(b[20..]));
    }

    void WriteHint()
    {
        Span<byte> b = stackalloc byte[HintSize];
        BinaryPrimitives.WriteUInt32LittleEndian(b, HintMagic);
        BinaryPrimitives.WriteInt64LittleEndian(b[4..], TailSegment);
        BinaryPrimitives.WriteInt64LittleEndian(b[12..], TailOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b[20..], NextSeq);
        BinaryPrimitives.WriteUInt32LittleEndian(b[28..], MqCrc.Of(b[..28]));
        RandomAccess.Write(_lock, b, 0);
    }

    SafeFileHandle Handle(long first, bool create = false) =>
        TryHandle(first, create) ?? throw new IOException($"The segment {PathOf(first)} could not be opened.");

    /// <summary>A segment's descriptor (plain open(2): no flock, never through a symlink), kept for this operation; null when it is not there.</summary>
    SafeFileHandle? TryHandle(long first, bool create = false)
    {
        if (_open.TryGetValue(first, out var h)) return h;
        h = Posix.OpenHandle(Posix.AT_FDCWD, PathOf(first), Posix.O_RDWR | Posix.O_NOFOLLOW | (create ? Posix.O_CREAT : 0), 0x180, out var errno);
        if (h is null)
        {
            if (errno == Posix.ENOENT) return null;
            if (errno == Posix.EACCES) throw new UnauthorizedAccessException($"{PathOf(first)}: {Posix.StrError(errno)}");
            throw new IOException($"{PathOf(first)}: {Posix.StrError(errno)}", errno);
        }
        _open[first] = h;
        return h;
    }

    /// <summary>
    /// Appends records (their sequence numbers are taken in order from <see cref="NextSeq"/>) and returns the files whose
    /// data must reach the disk: the segment, and the directory when a segment was created.
    /// </summary>
    public (string Segment, bool NewFile) Append(IReadOnlyList<Func<long, byte[]>> records)
    {
        bool created = false;
        if (TryHandle(TailSegment) is null || TailOffset >= MqLimits.SegmentSize)
        {
            // The hint names the new segment before it exists: a crash in between leaves a hint that is simply not used.
            TailSegment = NextSeq;
            TailOffset = 0;
            WriteHint();
            Handle(TailSegment, create: true);
            if (_segments is { } list && (list.Count == 0 || list[^1] != TailSegment)) list.Add(TailSegment);
            created = true;
        }
        var handle = Handle(TailSegment, create: true);
        byte[] bytes;
        if (records.Count == 1) bytes = records[0](NextSeq);
        else
        {
            using var ms = new MemoryStream();
            for (var i = 0; i < records.Count; i++) ms.Write(records[i](NextSeq + i));
            bytes = ms.ToArray();
        }
        RandomAccess.Write(handle, bytes, TailOffset);
        TailOffset += bytes.Length;
        NextSeq += records.Count;
        WriteHint();
        return (PathOf(TailSegment), created);
    }

    /// <summary>fsync of what <see cref="Append"/> wrote (run now, or later by a batch's group commit).</summary>
    public static void Sync(string dir, string segment, bool newFile)
    {
        var fd = LibC.Open(segment, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            // Deleted meanwhile: every message in it was consumed and acked, so nothing is left to make durable.
            if (errno == Posix.ENOENT) return;
            throw new IOException($"Could not open {segment} to flush it: {Posix.StrError(errno)}.", errno);
        }
        try
        {
            if (LibC.FSync(fd) != 0) throw new IOException($"fsync of {segment} failed: {Posix.StrError(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}.");
        }
        finally { LibC.Close(fd); }
        if (newFile) LibC.FSyncDirectory(dir);
    }

    /// <summary>Length of a segment (0 when it is gone).</summary>
    public long LengthOf(long first) => Segments.Contains(first) ? RandomAccess.GetLength(Handle(first)) : 0;

    /// <summary>The segment after <paramref name="first"/>, or null when it is the last.</summary>
    public long? After(long first)
    {
        var list = _segments ??= List();
        var i = list.BinarySearch(first);
        i = i < 0 ? ~i : i + 1;
        return i < list.Count ? list[i] : null;
    }

    /// <summary>The segment that holds <paramref name="seq"/> (the last one that starts at or before it).</summary>
    public long? SegmentOf(long seq)
    {
        long? found = null;
        foreach (var s in Segments) if (s <= seq) found = s;
        return found;
    }

    public enum ReadStatus { Ok, End, Corrupt }

    /// <summary>The record at an offset of a segment, and where the next one starts.</summary>
    public (ReadStatus Status, MqRecord? Record, long NextOffset) Read(long segment, long offset)
    {
        if (!Segments.Contains(segment)) return (ReadStatus.End, null, offset);
        var handle = Handle(segment);
        var length = segment == TailSegment ? TailOffset : RandomAccess.GetLength(handle);
        if (offset >= length) return (ReadStatus.End, null, offset);
        var frame = new byte[MqRecord.FrameSize];
        if (offset + MqRecord.FrameSize > length || RandomAccess.Read(handle, frame, offset) != frame.Length) return (ReadStatus.Corrupt, null, offset);
        var plen = MqRecord.PayloadLength(frame);
        if (plen < 0 || offset + MqRecord.FrameSize + plen > length) return (ReadStatus.Corrupt, null, offset);
        var payload = new byte[plen];
        if (RandomAccess.Read(handle, payload, offset + MqRecord.FrameSize) != plen) return (ReadStatus.Corrupt, null, offset);
        var rec = MqRecord.Decode(frame, payload);
        return rec is null ? (ReadStatus.Corrupt, null, offset) : (ReadStatus.Ok, rec, offset + MqRecord.FrameSize + plen);
    }

    /// <summary>
    /// The first whole record after a damaged one in the same segment: the next offset past <paramref name="from"/> where a
    /// frame's magic starts and the record's checksum holds. Null when the rest of the segment holds none.
    /// </summary>
    public (long Offset, MqRecord Record)? Resync(long segment, long from)
    {
        if (!Segments.Contains(segment)) return null;
        var handle = Handle(segment);
        var length = segment == TailSegment ? TailOffset : RandomAccess.GetLength(handle);
        Span<byte> magic = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(magic, MqRecord.Magic);
        var chunk = new byte[1024 * 1024 + 3];
        for (long pos = from + 1; pos < length;)
        {
            var n = RandomAccess.Read(handle, chunk.AsSpan(0, (int)Math.Min(chunk.Length, length - pos)), pos);
            if (n < 4) return null;
            var span = chunk.AsSpan(0, n);
            for (int i = span.IndexOf(magic); i >= 0;)
            {
                var (status, rec, _) = Read(segment, pos + i);
                if (status == ReadStatus.Ok) return (pos + i, rec!);
                var next = span[(i + 1)..].IndexOf(magic);
                i = next < 0 ? -1 : i + 1 + next;
            }
            pos += n - 3; // a magic may straddle two chunks
            if (n < chunk.Length) break;
        }
        return null;
    }

    /// <summary>Where message <paramref name="seq"/> starts, found by walking its segment (after a lost state file).</summary>
    public (long Segment, long Offset)? Locate(long seq)
    {
        if (SegmentOf(seq) is not { } seg) return null;
        long off = 0;
        while (true)
        {
            var (status, rec, next) = Read(seg, off);
            if (status != ReadStatus.Ok) return seq >= NextSeq ? (TailSegment, TailOffset) : null;
            if (rec!.Seq == seq) return (seg, off);
            if (rec.Seq > seq) return null;
            off = next;
        }
    }

    /// <summary>Deletes the segments whose every message is below <paramref name="low"/> (never the last one).</summary>
    public int Compact(long low)
    {
        int removed = 0;
        var list = _segments ??= List();
        while (list.Count > 1 && list[1] <= low)
        {
            var first = list[0];
            if (_open.Remove(first, out var h)) h.Dispose();
            File.Delete(PathOf(first));
            list.RemoveAt(0);
            removed++;
        }
        return removed;
    }

    /// <summary>Drops every message: a new empty segment starts at the next sequence number, the others are deleted.</summary>
    public void Purge()
    {
        var first = NextSeq;
        var old = Segments.ToArray();
        TailSegment = first;
        TailOffset = 0;
        WriteHint();
        Handle(first, create: true);
        LibC.FSyncDirectory(_dir);
        foreach (var s in old)
        {
            if (s == first) continue;
            if (_open.Remove(s, out var h)) h.Dispose();
            File.Delete(PathOf(s));
        }
        _segments = [first];
    }

    public long TotalBytes()
    {
        long sum = 0;
        foreach (var s in Segments) sum += s == TailSegment ? TailOffset : RandomAccess.GetLength(Handle(s));
        return sum;
    }

    public void Dispose()
    {
        foreach (var h in _open.Values) h.Dispose();
        _open.Clear();
    }
}
