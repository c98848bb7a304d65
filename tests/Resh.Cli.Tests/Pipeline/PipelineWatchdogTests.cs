using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Pipeline;

/// <summary>
/// A pipeline whose running item does not stop within the 2 s grace (its read is blocked in the kernel: opening a FIFO
/// that has no writer) is answered for by the watchdog. That answer is an interrupted pipeline's (s42, D8): the items that
/// ran, the one still running with its own error, the ones never started counted as skipped; under --format ndjson
/// every finished item is streamed, also those that finished after the blocked one.
/// </summary>
public sealed class PipelineWatchdogTests : IDisposable
{
    readonly TempDir _dir = new("pipe-watchdog");

    public void Dispose() => _dir.Dispose();

    /// <summary>a.txt, b (a FIFO nobody writes: its read never returns), then c.txt, d.txt, e.txt.</summary>
    void Files()
    {
        File.WriteAllText(_dir["a.txt"], "one");
        using (var mk = Process.Start("mkfifo", _dir["b"])!) mk.WaitForExit();
        File.WriteAllText(_dir["c.txt"], "three");
        File.WriteAllText(_dir["d.txt"], "four");
        File.WriteAllText(_dir["e.txt"], "five");
    }

    /// <summary>Starts the pipeline, waits until resh is blocked opening the FIFO, then stops it as <paramref name="how"/> says.</summary>
    (int Exit, string Stdout, string Stderr) RunBlocked(string how, params string[] flags)
    {
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add($"file://{_dir.Path}.list | sort name | file://{{path}}.read");
        foreach (var f in flags) psi.ArgumentList.Add(f);
        if (how == "timeout") { psi.ArgumentList.Add("--timeout"); psi.ArgumentList.Add("3s"); }
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("RESH_CONFIG");
        using var resh = Process.Start(psi)!;
        var stdout = resh.StandardOutput.ReadToEndAsync();
        var stderr = resh.StandardError.ReadToEndAsync();
        var fifo = _dir["b"];
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until && !OpensFifo(resh.Id, fifo)) Thread.Sleep(50);
        Assert.True(OpensFifo(resh.Id, fifo), "resh never blocked on the FIFO");
        Thread.Sleep(700); // the other items (--parallel) finish meanwhile
        var clock = Stopwatch.StartNew();
        if (how == "INT") Process.Start("kill", $"-INT {resh.Id}")!.WaitForExit();
        var ended = resh.WaitForExit(TimeSpan.FromSeconds(30));
        if (!ended) resh.Kill();
        Assert.True(ended, "resh did not stop");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), clock.Elapsed.ToString());
        return (resh.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// True when the process is blocked opening the FIFO: a thread waits in the kernel for the FIFO's other end
    /// (wchan wait_for_partner), apart from the JIT runtime's own debugger pipe thread; or it holds the FIFO open.
    /// </summary>
    static bool OpensFifo(int pid, string fifo)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var wchan = File.ReadAllText(Path.Combine(task, "wchan"));
                if ((wchan.Contains("wait_for_partner", StringComparison.Ordinal) || wchan.Contains("fifo", StringComparison.Ordinal))
                    && !File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Debug", StringComparison.Ordinal)) return true;
            }
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget == fifo);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("timeout")]
    public void A_pipeline_that_misses_the_grace_answers_with_the_items_that_ran(string how)
    {
        Files();
        var (exit, stdout, stderr) = RunBlocked(how, "--format", "json");
        var env = (JsonObject)JsonNode.Parse(stdout.Trim())!;
        var code = how == "INT" ? "interrupted" : "timeout";
        Assert.Equal(how == "INT" ? 130 : 6, exit);
        Assert.Equal(code, env["error"]!["code"]!.GetValue<string>());
        Assert.Equal("pipeline", env["handle"]!.GetValue<string>());
        var result = env["result"] as JsonObject;
        Assert.True(result is not null, stdout + stderr);
        var items = result!["items"]!.AsArray();
        Assert.True(items.Count == 2, stdout);
        Assert.True(items[0]!["ok"]!.GetValue<bool>(), stdout);
        Assert.Equal("one", items[0]!["result"]!["content"]!.GetValue<string>());
        Assert.Equal(_dir["a.txt"], items[0]!["item"]!["path"]!.GetValue<string>());
        // The item still running when the watchdog answered: its own error, naming that it did not stop.
        Assert.False(items[1]!["ok"]!.GetValue<bool>());
        Assert.Equal(_dir["b"], items[1]!["item"]!["path"]!.GetValue<string>());
        Assert.Equal(code, items[1]!["error"]!["code"]!.GetValue<string>());
        Assert.Equal($"file://{_dir["b"]}", items[1]!["target"]!.GetValue<string>());
        var summary = result["summary"]!;
        Assert.Equal((5, 1, 1, 3), (summary["items"]!.GetValue<int>(), summary["ok"]!.GetValue<int>(), summary["failed"]!.GetValue<int>(), summary["skipped"]!.GetValue<int>()));
        Assert.Equal(3, env["error"]!["details"]!["skipped_items"]!.GetValue<int>());
        Assert.Contains("3 not run", env["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void Ndjson_with_parallel_streams_every_finished_item_when_the_watchdog_answers()
    {
        Files();
        // --parallel 2: a.txt and b start; b blocks, c, d and e finish meanwhile, after the item that never ends.
        var (exit, stdout, _) = RunBlocked("INT", "--format", "ndjson", "--parallel", "2");
        Assert.Equal(130, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
        Assert.True(lines.Count == 6, stdout);
        // In input order: a, b (still running: its own error), c, d, e; then the pipeline's envelope.
        Assert.Equal(["a.txt", "b", "c.txt", "d.txt", "e.txt"], lines.Take(5).Select(l => Path.GetFileName(l["target"]!.GetValue<string>())));
        Assert.Equal([true, false, true, true, true], lines.Take(5).Select(l => l["ok"]!.GetValue<bool>()));
        Assert.Equal("interrupted", lines[1]["error"]!["code"]!.GetValue<string>());
        Assert.Equal("four", lines[3]["result"]!["content"]!.GetValue<string>());
        var env = lines[5];
        Assert.Equal("pipeline", env["handle"]!.GetValue<string>());
        Assert.Equal("interrupted", env["error"]!["code"]!.GetValue<string>());
        var summary = env["result"]!["summary"]!;
        Assert.Equal((5, 4, 1, 0), (summary["items"]!.GetValue<int>(), summary["ok"]!.GetValue<int>(), summary["failed"]!.GetValue<int>(), summary["skipped"]!.GetValue<int>()));
    }
}
