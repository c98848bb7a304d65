using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Resh.Core.Platform;

/// <summary>
/// The one byte-for-byte comparison of open files (file.copy's unchanged check, archive extract and create,
/// http.download's same-bytes check): read by offset in 64 KiB chunks, never a whole file in memory. A read
/// that fails (a FIFO or socket cannot be read by offset, an I/O error) counts as different, so the caller
/// goes on to write and reports that write's own error.
/// </summary>
public static class FileCompare
{
    const int Chunk = 1 << 16;

    /// <summary>
    /// True when both files hold the same bytes: the first <paramref name="length"/> bytes of each when given
    /// (both must have that many), else each whole file up to its end.
    /// </summary>
    public static bool SameBytes(SafeFileHandle a, SafeFileHandle b, long? length = null, CancellationToken cancellation = default)
    {
        var x = ArrayPool<byte>.Shared.Rent(Chunk);
        var y = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            for (long at = 0; ; at += Chunk)
            {
                cancellation.ThrowIfCancellationRequested();
                var want = length is { } l ? (int)Math.Min(Chunk, l - at) : Chunk;
                if (want <= 0) return true;
                int na = ReadFull(a, x.AsSpan(0, want), at), nb = ReadFull(b, y.AsSpan(0, want), at);
                if (na != nb || !x.AsSpan(0, na).SequenceEqual(y.AsSpan(0, nb))) return false;
                if (na < want) return length is null;
            }
        }
        catch (Exception e) when (e is IOException or NotSupportedException or UnauthorizedAccessException) { return false; }
        finally
        {
            ArrayPool<byte>.Shared.Return(x);
            ArrayPool<byte>.Shared.Return(y);
        }
    }

    /// <summary>
    /// True when <paramref name="content"/> holds exactly the bytes of <paramref name="file"/> (whose size is
    /// <paramref name="size"/>). The stream is read to its end either way, so a reader positioned in an archive moves on.
    /// </summary>
    public static bool SameAsStream(SafeFileHandle file, long size, Stream content)
    {
        var x = ArrayPool<byte>.Shared.Rent(Chunk);
        var y = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            long at = 0;
            var same = true;
            int n;
            while ((n = content.Read(x, 0, Chunk)) > 0)
            {
                if (same)
                {
                    try { same = at + n <= size && ReadFull(file, y.AsSpan(0, n), at) == n && x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, n)); }
                    catch (Exception e) when (e is IOException or NotSupportedException or UnauthorizedAccessException) { same = false; }
                }
                at += n;
            }
            return same && at == size;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(x);
            ArrayPool<byte>.Shared.Return(y);
        }
    }

    /// <summary>Reads at <paramref name="offset"/> until <paramref name="buffer"/> is full or the file ends; the count read.</summary>
    public static int ReadFull(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(file, buffer[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
