using System.Diagnostics;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>--timeout answers `timeout` (6) and signals answer `interrupted` (130), even when the backend blocks.</summary>
public sealed class CancellationTests
{
    [Fact]
    public void A_blocked_operation_gives_up_at_the_timeout_with_exit_6()
    {
        using var dir = new TempDir("fifo");
        var fifo = dir["pipe"];
        Process.Start("mkfifo", fifo)!.WaitForExit();
        // Opening a FIFO with no writer blocks in the kernel: the watchdog must still answer.
        var clock = Stopwatch.StartNew();
        var run = ReshBinary.Run([$"file://{fifo}.read", "--timeout", "300ms"], wait: TimeSpan.FromSeconds(30));
        Assert.Equal(6, run.ExitCode);
        Assert.Equal("timeout", run.ErrorCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25));
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_signal_is_answered_interrupted_with_exit_130(string signal)
    {
        using var dir = new TempDir("sig");
        var fifo = dir["pipe"];
        Process.Start("mkfifo", fifo)!.WaitForExit();
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add($"file://{fifo}.read");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        // Wait until resh is blocked opening the FIFO (it shows up as the FIFO's reader).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !Directory.EnumerateFileSystemEntries($"/proc/{p.Id}/fd").Any(fd => SafeLink(fd) == fifo))
        {
            if (File.Exists($"/proc/{p.Id}/wchan") && File.ReadAllText($"/proc/{p.Id}/wchan").Contains("fifo")) break;
            Thread.Sleep(50);
        }
        Thread.Sleep(200);
        Process.Start("kill", $"-{signal} {p.Id}")!.WaitForExit();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(20)), "resh did not stop after the signal");
        Assert.Equal(130, p.ExitCode);
        var env = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse((await stdout).Trim())!;
        Assert.Equal("interrupted", env["error"]!["code"]!.GetValue<string>());
    }

    static string? SafeLink(string fd)
    {
        try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; }
    }

    [Fact]
    public void A_bad_timeout_value_is_usage()
    {
        var run = ReshBinary.Run("file:///etc/hosts.stat", "--timeout", "soon");
        Assert.Equal(2, run.ExitCode);
    }
}
