namespace Resh.Handles.Log;

/// <summary>Gets a block of whole lines ('\n'-terminated, except the last of a stream); return false to stop.</summary>
public delegate bool LineBlockHandler(ReadOnlySpan<byte> block);

/// <summary>
/// Streams a source in fixed blocks of whole lines, in bounded memory: the buffer holds at most about
/// 1 MiB plus two line limits. A line longer than the limit is handed over as its first <c>maxLine + 1</c>
/// bytes (so the reader sees it is too long) and the rest of it, up to its newline, is skipped unread.
/// </summary>
public sealed class LineScanner
{
    readonly int _maxLine;

    public LineScanner(int maxLine) => _maxLine = maxLine;

    /// <summary>Bytes read from the source (for gzip: decompressed).</summary>
    public long Bytes { get; private set; }

    public void Run(Stream source, LineBlockHandler handler, CancellationToken ct)
    {
        var buffer = new byte[Math.Max(1 << 20, 2 * _maxLine + 2)];
        int filled = 0;
        bool skipping = false; // inside the rest of an over-long line
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            int n = source.Read(buffer, filled, buffer.Length - filled);
            Bytes += n;
            if (n == 0)
            {
                if (filled > 0 && !skipping) handler(buffer.AsSpan(0, filled));
                return;
            }
            int start = 0, end = filled + n;
            if (skipping)
            {
                int nl = buffer.AsSpan(filled, n).IndexOf((byte)'\n');
                if (nl < 0) { filled = 0; continue; }
                start = filled + nl + 1;
                skipping = false;
            }
            int last = buffer.AsSpan(start, end - start).LastIndexOf((byte)'\n');
            if (last >= 0)
            {
                if (!handler(buffer.AsSpan(start, last + 1))) return;
                start += last + 1;
            }
            int rest = end - start;
            if (rest > _maxLine && last < 0 || rest == buffer.Length)
            {
                // No newline within the limit: hand over the head of the line, skip its tail.
                var head = Math.Min(rest, _maxLine + 1);
                if (!handler(buffer.AsSpan(start, head))) return;
                skipping = true;
                filled = 0;
                continue;
            }
            if (rest > _maxLine)
            {
                // A long line began after the last newline and already passed the limit: the same.
                if (!handler(buffer.AsSpan(start, _maxLine + 1))) return;
                skipping = true;
                filled = 0;
                continue;
            }
            buffer.AsSpan(start, rest).CopyTo(buffer);
            filled = rest;
        }
    }
}
