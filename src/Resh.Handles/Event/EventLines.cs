using Microsoft.Win32.SafeHandles;

namespace Resh.Handles.Event;

/// <summary>
/// The lines of a segment between two offsets, read in chunks: each whole line (its offset, its bytes without the newline,
/// where the next begins), a line longer than <see cref="EventRecord.MaxLine"/> as damaged, and where the last whole line
/// ends (<see cref="End"/>): bytes after it are a write not finished (or torn).
/// </summary>
public sealed class EventLines(SafeFileHandle handle, long start, long to)
{
    public long End { get; private set; } = start;

    public delegate void LineAction(long offset, ReadOnlySpan<byte> line, long next);

    /// <summary>Calls <paramref name="onLine"/> for each line (an over-long one gets an empty span) until it returns, or the range ends.</summary>
    public void ForEach(LineAction onLine, Func<bool>? stop = null)
    {
        var from = End;
        var buf = new byte[Math.Min(1 << 20, Math.Max(4096, to - from))];
        int filled = 0;
        long bufStart = from; // file offset of buf[0]
        long pos = from;
        bool skipping = false; // inside an over-long line: drop bytes up to the next newline
        while (pos < to || filled > 0)
        {
            if (stop?.Invoke() == true) return;
            int start = (int)(pos - bufStart);
            var nl = buf.AsSpan(start, filled - start).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                var next = pos + nl + 1;
                if (skipping) { skipping = false; onLine(pos, ReadOnlySpan<byte>.Empty, next); }
                else onLine(pos, buf.AsSpan(start, nl), next);
                pos = next;
                End = next;
                continue;
            }
            var read = bufStart + filled;
            if (read >= to) return; // what is left has no newline yet
            if (start > 0)
            {
                buf.AsSpan(start, filled - start).CopyTo(buf);
                filled -= start;
                bufStart = pos;
                start = 0;
            }
            if (filled == buf.Length)
            {
                if (buf.Length >= EventRecord.MaxLine)
                {
                    // No newline within the longest record: damage. Drop it and look for the next newline.
                    skipping = true;
                    bufStart += filled;
                    pos = bufStart;
                    filled = 0;
                    continue;
                }
                Array.Resize(ref buf, Math.Min(buf.Length * 2, EventRecord.MaxLine));
            }
            var n = RandomAccess.Read(handle, buf.AsSpan(filled, (int)Math.Min(buf.Length - filled, to - read)), read);
            if (n <= 0) return;
            filled += n;
        }
    }
}
