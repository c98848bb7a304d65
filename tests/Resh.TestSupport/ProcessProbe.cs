using System.Diagnostics;

namespace Resh.TestSupport;

/// <summary>What a test reads of a process it started: the descriptors it holds on a file, and a condition polled until it holds.</summary>
public static class ProcessProbe
{
    /// <summary>How many descriptors the process holds open on <paramref name="file"/>.</summary>
    public static int OpenOn(int pid, string file)
    {
        var n = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            try { if (new FileInfo(fd).LinkTarget == file) n++; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return n;
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds or <paramref name="within"/> has passed (bounded).</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < within)
        {
            if (condition()) return true;
            await Task.Delay(100);
        }
        return condition();
    }
}
