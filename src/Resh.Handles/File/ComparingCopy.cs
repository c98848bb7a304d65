using Microsoft.Win32.SafeHandles;

namespace Resh.Handles.Files;

/// <summary>
/// Copies a content stream to its destination in 256 KiB chunks while comparing it with the file's current
/// bytes (read just before they are overwritten, so it also works in place): a write of unchanged content
/// is found out without ever holding either side in memory.
/// </summary>
internal sealed class ComparingCopy(SafeFileHandle? old, long oldSize)
{
    const int Chunk = 256 << 10; // two of them live at once; larger chunks measured no faster and cost the memory budget (FileMemoryTests)

    /// <summary>True when the content equals the old file byte for byte (false when there is none).</summary>
    public bool Same { get; private set; } = old is not null;
    public long Written { get; private set; }

    public async Task CopyAsync(Stream source, Stream destination, CancellationToken ct)
    {
        var buffer = new byte[Chunk];
        var oldBuffer = old is null ? null : new byte[Chunk];
        int n;
        while ((n = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            if (Same)
            {
                if (Written + n > oldSize) Same = false;
                else
                {
                    int got = 0;
                    while (got < n)
                    {
                        var r = RandomAccess.Read(old!, oldBuffer.AsSpan(got, n - got), Written + got);
                        if (r == 0) break;
                        got += r;
                    }
                    if (got != n || !oldBuffer.AsSpan(0, n).SequenceEqual(buffer.AsSpan(0, n))) Same = false;
                }
            }
            await destination.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            Written += n;
        }
        if (Written != oldSize) Same = false;
    }
}
