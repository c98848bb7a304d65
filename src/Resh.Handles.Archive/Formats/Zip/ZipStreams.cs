using Microsoft.Win32.SafeHandles;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>A window of a file read with pread, so several can be open over one handle without sharing a position.</summary>
internal sealed class FileWindowStream(SafeFileHandle handle, long offset, long length) : ForwardReadStream
{
    long _pos;

    public override bool CanRead => true;
    public long BytesRead => _pos;

    public override int Read(Span<byte> buffer)
    {
        var want = (int)Math.Min(buffer.Length, length - _pos);
        if (want <= 0) return 0;
        var n = RandomAccess.Read(handle, buffer[..want], offset + _pos);
        if (n == 0) throw new ArchiveCorruptException("the archive ends inside an entry's data (truncated)");
        _pos += n;
        return n;
    }
}

/// <summary>
/// An entry's decoded data, checked as it is read: never more than the stated size (a longer stream is
/// damage, not something to cut silently), exactly the stated size at the end, the CRC-32 when the entry
/// has one, then the checks that can only run at the end (AES authentication, the data descriptor).
/// </summary>
internal sealed class CheckedEntryStream(Stream inner, string name, long size, uint? crc, Action? atEnd) : ForwardReadStream
{
    readonly System.IO.Hashing.Crc32? _hasher = crc is null ? null : new();
    long _read;
    bool _done;

    public override bool CanRead => true;

    public override int Read(Span<byte> buffer)
    {
        if (_done || buffer.Length == 0) return 0;
        int n;
        if (_read == size)
        {
            // Everything stated was read: the decoder must be at its end too.
            Span<byte> one = stackalloc byte[1];
            if (inner.Read(one) != 0)
                throw new ArchiveCorruptException($"{name}: the data is longer than the {size} bytes its header states");
            Finish();
            return 0;
        }
        n = inner.Read(buffer[..(int)Math.Min(buffer.Length, size - _read)]);
        if (n == 0) throw new ArchiveCorruptException($"{name}: the data ends after {_read} of the {size} bytes its header states");
        _hasher?.Append(buffer[..n]);
        _read += n;
        return n;
    }

    void Finish()
    {
        _done = true;
        if (crc is { } expected && _hasher!.GetCurrentHashAsUInt32() is var actual && actual != expected)
            throw new ArchiveCorruptException($"{name}: CRC-32 mismatch (stored {expected:x8}, data gives {actual:x8}): the entry is damaged");
        atEnd?.Invoke();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
