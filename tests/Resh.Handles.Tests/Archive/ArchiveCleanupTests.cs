using System.Diagnostics;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// Issue 9: a slow archive create (zstd level 19) stopped by --timeout or SIGTERM leaves no temporary file,
/// also when resh has to answer for a verb that does not stop in time (the watchdog's exit runs the same cleanup).
/// </summary>
public sealed class ArchiveCleanupTests
{
    /// <summary>A source that takes zstd -19 many seconds: 48 MiB of text that compresses, slowly.</summary>
    static string SlowSource(TempDir dir)
    {
        var src = dir["src"];
        Directory.CreateDirectory(src);
        Sh.Ok("sh", "-c", $"head -c 36000000 /dev/urandom | base64 > {src}/data.txt");
        return src;
    }

    static string[] Leftovers(string dir) => Directory.GetFileSystemEntries(dir).Where(p => Path.GetFileName(p).Contains(".resh-", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void A_timeout_during_a_slow_create_leaves_no_temporary_file()
    {
        using var dir = new TempDir("arctimeout");
        var src = SlowSource(dir);
        var outDir = dir["out"];
        Directory.CreateDirectory(outDir);
        var run = ReshBinary.Run($"archive://{outDir}/x.tar.zst.create(sources={src},level=19)", "--timeout", "1s");
        Assert.Equal("timeout", run.ErrorCode);
        Assert.Empty(Leftovers(outDir));
        Assert.False(File.Exists(Path.Combine(outDir, "x.tar.zst")));
    }

    [Fact]
    public async Task Sigterm_during_a_slow_create_leaves_no_temporary_file()
    {
        using var dir = new TempDir("arcterm");
        var src = SlowSource(dir);
        var outDir = dir["out"];
        Directory.CreateDirectory(outDir);
        var psi = new ProcessStartInfo(ReshBinary.Path, [$"archive://{outDir}/x.tar.zst.create(sources={src},level=19)"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        // Wait until the temporary archive exists and grows, then ask resh to stop.
        var sw = Stopwatch.StartNew();
        while (Leftovers(outDir).Length == 0 && sw.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
        Assert.NotEmpty(Leftovers(outDir));
        Thread.Sleep(300);
        Sh.Ok("kill", "-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(130, p.ExitCode);
        Assert.Contains("\"interrupted\"", await stdout);
        Assert.Empty(Leftovers(outDir));
        Assert.False(File.Exists(Path.Combine(outDir, "x.tar.zst")));
    }
}
