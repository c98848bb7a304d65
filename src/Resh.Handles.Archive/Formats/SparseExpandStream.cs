using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>A sparse entry's packed regions read back as the whole file: zeros in the holes, up to the real size.</summary>
public sealed class SparseExpandStream(Stream packed, SparseMap map) : ForwardReadStream
{
    long _pos;
    int _region;

    public override bool CanRead => true;

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0 || _pos >= map.RealSize) return 0;
        while (_region < map.Regions.Count && map.Regions[_region].Offset + map.Regions[_region].Length <= _pos) _region++;
        int n;
        if (_region < map.Regions.Count && map.Regions[_region].Offset <= _pos)
        {
            var (offset, length) = map.Regions[_region];
            var want = (int)Math.Min(buffer.Length, offset + length - _pos);
            n = packed.Read(buffer[..want]);
            if (n == 0) throw new ArchiveCorruptException("the sparse data ends before its map says");
        }
        else
        {
            var next = _region < map.Regions.Count ? map.Regions[_region].Offset : map.RealSize;
            n = (int)Math.Min(buffer.Length, next - _pos);
            buffer[..n].Clear();
        }
        _pos += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) packed.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// A damaged or malformed archive, said in a sentence (the runtime's own messages are resource keys in
/// the native build). Translated to <c>failed</c> naming the archive and the entry.
/// </summary>
public sealed class ArchiveCorruptException(string problem) : Exception(problem);

/// <summary>Something in the archive that resh cannot read (a zip method, a tar extension): <c>unsupported</c>.</summary>
public sealed class ArchiveUnsupportedException(string problem, string? hint = null) : Exception(problem)
{
    public string? Hint { get; } = hint;
}
