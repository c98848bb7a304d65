namespace Resh.Handles.Log;

/// <summary>The last lines of one plain file, found by reading backwards from its end: a multi-GB file costs only its tail.</summary>
public static class LogTail
{
    /// <summary>
    /// Where the last <paramref name="want"/> lines begin, found by counting newlines backwards in 64 KiB blocks
    /// (memory stays bounded however long the lines are; the forward read from there cuts them to max_line).
    /// </summary>
    public static long StartOfLast(Stream file, long size, int want, int maxLine)
    {
        if (size == 0 || want == 0) return size;
        var block = new byte[64 * 1024];
        long pos = size, limit = 0;
        int found = 0;
        bool first = true;
        while (pos > limit)
        {
            int len = (int)Math.Min(block.Length, pos - limit);
            pos -= len;
            file.Position = pos;
            file.ReadExactly(block, 0, len);
            for (int i = len - 1; i >= 0; i--)
            {
                if (block[i] != '\n') continue;
                // A newline that ends the file ends the last line; it does not start one.
                if (first && pos + i == size - 1) { first = false; continue; }
                first = false;
                if (++found == want) return pos + i + 1;
            }
            first = false;
        }
        return limit;
    }
}
