namespace Resh.Core.Audit;

/// <summary>The raw lines of an audit log (bytes without the newline, as they were hashed), read a block at a time.</summary>
public static class AuditLines
{
    /// <summary>A record longer than this is not read into memory (its first bytes stand for it, so its hash breaks the chain).</summary>
    public const int MaxLine = 16 << 20;

    /// <summary>Each line in order; <c>Complete</c> is false only for a last line with no newline after it.</summary>
    public static IEnumerable<(byte[] Line, bool Complete)> Read(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        var pending = new MemoryStream();
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            while (true)
            {
                var nl = Array.IndexOf(buffer, (byte)'\n', start, n - start);
                if (nl < 0) { Add(pending, buffer, start, n - start); break; }
                Add(pending, buffer, start, nl - start);
                yield return (pending.ToArray(), true);
                pending.SetLength(0);
                start = nl + 1;
            }
        }
        if (pending.Length > 0) yield return (pending.ToArray(), false);
    }

    static void Add(MemoryStream pending, byte[] buffer, int start, int count)
    {
        var room = MaxLine + 1 - (int)pending.Length; // one byte over the bound marks the line as too long
        if (room > 0) pending.Write(buffer, start, Math.Min(room, count));
    }
}
