using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Pipeline;

/// <summary>
/// Pipelines end to end on real processes (issue 19): ten `sleep` processes with distinct arguments, a pipeline that
/// lists, filters and kills some of them; the others must survive. Each test uses its own argument range, so other
/// sleeps on the machine are never matched.
/// </summary>
public sealed class PipelineProcessTests
{
    sealed class Sleeps : IDisposable
    {
        public readonly List<Process> All = [];
        public readonly int Base;

        public Sleeps(int count = 10)
        {
            Base = 700000 + Random.Shared.Next(0, 20000) * 10; // sleep 7xxxx0 .. +9: unique to this test
            for (int i = 0; i < count; i++)
            {
                var p = Process.Start(new ProcessStartInfo("sleep", (Base + i).ToString()) { UseShellExecute = false })!;
                All.Add(p);
            }
            // wait until each is exec'd as sleep (its /proc/PID/comm)
            var until = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < until && All.Any(p => !Comm(p.Id).StartsWith("sleep", StringComparison.Ordinal))) Thread.Sleep(20);
        }

        static string Comm(int pid)
        {
            try { return File.ReadAllText($"/proc/{pid}/comm"); } catch (IOException) { return ""; }
        }

        public bool Alive(int i) => !All[i].HasExited && Directory.Exists($"/proc/{All[i].Id}");

        public void WaitGone(int i)
        {
            All[i].WaitForExit(10_000);
        }

        public void Dispose()
        {
            foreach (var p in All)
            {
                try { if (!p.HasExited) p.Kill(); p.WaitForExit(5000); } catch (InvalidOperationException) { }
                p.Dispose();
            }
        }
    }

    [Fact]
    public void The_sleeps_matching_a_filter_are_killed_and_the_others_survive()
    {
        using var s = new Sleeps();
        // kill those whose argument ends in 0..4 (five of ten)
        var run = ReshBinary.Run($"proc://.list(match={s.Base / 10}) | where name == \"sleep\" and command =~ \"^sleep {s.Base / 10}[0-4]$\" | proc://{{pid}}.kill grace=2s");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("pipeline", run.Envelope["handle"]!.GetValue<string>());
        var items = run.Result!["items"]!.AsArray();
        Assert.Equal(5, items.Count);
        Assert.All(items, i => Assert.True(i!["ok"]!.GetValue<bool>()));
        for (int i = 0; i < 5; i++) s.WaitGone(i);
        for (int i = 0; i < 5; i++) Assert.False(s.Alive(i), $"sleep {s.Base + i} should have been killed");
        for (int i = 5; i < 10; i++) Assert.True(s.Alive(i), $"sleep {s.Base + i} should have survived");
        // the item names the pid it was run for, in input (pid) order
        var pids = items.Select(i => i!["item"]!["pid"]!.GetValue<int>()).ToList();
        Assert.Equal(s.All.Take(5).Select(p => p.Id).Order(), pids.Order());
    }

    [Fact]
    public void Dry_run_kills_nothing_and_reports_what_it_would_do()
    {
        using var s = new Sleeps();
        var run = ReshBinary.Run($"proc://.list(match={s.Base / 10}) | where name == \"sleep\" | proc://{{pid}}.kill", "--dry-run");
        Assert.True(run.Ok, run.ToString());
        Assert.True(run.Envelope["dry_run"]!.GetValue<bool>());
        Assert.True(run.Envelope["changed"]!.GetValue<bool>());
        Assert.Equal(10, run.Result!["items"]!.AsArray().Count);
        Thread.Sleep(300);
        for (int i = 0; i < 10; i++) Assert.True(s.Alive(i), $"sleep {s.Base + i} must survive --dry-run");
    }

    [Fact]
    public void A_failing_item_makes_the_pipeline_partial()
    {
        using var t = new Sleeps(3);
        // PID 1 is refused without force=true: that item fails, the sleeps are still killed, the whole is partial.
        var run = ReshBinary.Run($"proc://.list | where pid == 1 or command =~ \"^sleep {t.Base / 10}[0-9]$\" | sort pid | proc://{{pid}}.kill grace=2s");
        Assert.Equal(9, run.ExitCode);
        Assert.Equal("partial", run.ErrorCode);
        var items = run.Result!["items"]!.AsArray();
        Assert.Equal(4, items.Count);
        Assert.Equal(1, items[0]!["item"]!["pid"]!.GetValue<int>());
        Assert.False(items[0]!["ok"]!.GetValue<bool>());
        Assert.NotNull(items[0]!["error"]!["code"]);
        Assert.True(items.Skip(1).All(i => i!["ok"]!.GetValue<bool>()));
        for (int i = 0; i < 3; i++) t.WaitGone(i);
        for (int i = 0; i < 3; i++) Assert.False(t.Alive(i));
        Assert.True(Directory.Exists("/proc/1"));
    }

    [Fact]
    public void A_bad_later_stage_is_usage_and_nothing_is_killed()
    {
        using var s = new Sleeps(3);
        foreach (var bad in new[]
                 {
                     $"proc://.list(match={s.Base / 10}) | where name == \"sleep\" | proc://{{pid}}.kil",
                     $"proc://.list(match={s.Base / 10}) | where name = \"sleep\" | proc://{{pid}}.kill",
                     $"proc://.list(match={s.Base / 10}) | where name == \"sleep\" | proc://{{pdi}}.kill",
                     $"proc://.list(match={s.Base / 10}) | where name == \"sleep\" | proc://{{pid}}.kill grace=soon",
                 })
        {
            var run = ReshBinary.Run(bad);
            Assert.Equal(2, run.ExitCode);
            Assert.Equal("usage", run.ErrorCode);
            Assert.NotNull(run.Envelope["error"]!["hint"]);
        }
        for (int i = 0; i < 3; i++) Assert.True(s.Alive(i));
    }

    [Fact]
    public void Separate_words_and_one_quoted_word_are_the_same_pipeline()
    {
        using var s = new Sleeps(4);
        var quoted = ReshBinary.Run($"proc://.list(match={s.Base / 10}) | where name == \"sleep\" | count");
        var words = ReshBinary.Run($"proc://.list(match={s.Base / 10})", "|", "where", "name", "==", "sleep", "|", "count");
        Assert.Equal(4, quoted.Result!["count"]!.GetValue<int>());
        Assert.Equal(4, words.Result!["count"]!.GetValue<int>());
    }

    [Fact]
    public void Ndjson_streams_one_envelope_per_item_then_the_summary()
    {
        using var s = new Sleeps(3);
        var run = ReshBinary.Run($"proc://.list(match={s.Base / 10}) | where name == \"sleep\" | proc://{{pid}}.kill", "--dry-run", "--format", "ndjson");
        var lines = run.Stdout.Trim().Split('\n').Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(4, lines.Count);
        Assert.All(lines.Take(3), l => Assert.Equal("kill", l["verb"]!.GetValue<string>()));
        Assert.Equal("pipeline", lines[3]["handle"]!.GetValue<string>());
        for (int i = 0; i < 3; i++) Assert.True(s.Alive(i));
    }

    /// <summary>
    /// s42 user D6: --format table showed OK/CHANGED/TARGET only when every item shown had failed (--stop-on-error after
    /// the first): the error column came only from rows whose error was null. Each item's error is a column whenever
    /// any item failed, as `code: message`.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Table_format_shows_each_failed_items_error(bool stopOnError)
    {
        using var t = new Sleeps(2);
        // PID 1 sorts first and is refused without force=true.
        var args = new List<string> { $"proc://.list | where pid == 1 or command =~ \"^sleep {t.Base / 10}[0-9]$\" | sort pid | proc://{{pid}}.kill", "--dry-run", "--format", "table", "--no-color" };
        if (stopOnError) args.Add("--stop-on-error");
        var run = ReshBinary.Run([.. args]);
        Assert.Equal(9, run.ExitCode);
        var shown = run.Stdout + run.Stderr; // a failed envelope's table goes to stderr
        var lines = shown.Split('\n');
        var header = lines.FirstOrDefault(l => l.Contains("TARGET", StringComparison.Ordinal));
        Assert.True(header is not null && header.Contains("ERROR", StringComparison.Ordinal), shown);
        var pid1 = lines.FirstOrDefault(l => l.Contains("proc://1 ", StringComparison.Ordinal));
        Assert.True(pid1 is not null && pid1.Contains("usage: Refusing to kill PID 1", StringComparison.Ordinal), shown);
        for (int i = 0; i < 2; i++) Assert.True(t.Alive(i));
    }

    /// <summary>
    /// s42 user D8: a pipeline stopped by Ctrl-C (SIGINT) or --timeout printed `result: null`. It answers with the items
    /// that ran, in a finished pipeline's shape (items, summary), with the code that says why it stopped; the item stopped
    /// while running has its own error, the items never started count as skipped and are not run.
    /// </summary>
    [Theory]
    [InlineData("INT")]
    [InlineData("timeout")]
    public async Task An_interrupted_pipeline_answers_with_the_items_that_ran(string how)
    {
        var tag = Random.Shared.Next(100000, 999999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var procs = new List<Process>();
        try
        {
            // In PID order: two sleeps that die on TERM, one that ignores TERM (kill grace=60s on it is the slow item), two more.
            procs.Add(StartProcess("sleep", $"{tag}1"));
            procs.Add(StartProcess("sleep", $"{tag}2"));
            Thread.Sleep(50);
            procs.Add(StartProcess("/bin/sh", "-c", $"trap '' TERM; exec sleep {tag}3"));
            Thread.Sleep(50);
            procs.Add(StartProcess("sleep", $"{tag}4"));
            procs.Add(StartProcess("sleep", $"{tag}5"));
            var until = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < until && procs.Any(p => !Comm(p.Id).StartsWith("sleep", StringComparison.Ordinal))) Thread.Sleep(20);

            var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add($"proc://.list(match=sleep {tag}) | where name == \"sleep\" | sort pid | proc://{{pid}}.kill grace=60s");
            psi.ArgumentList.Add("--format");
            psi.ArgumentList.Add("json");
            if (how == "timeout") { psi.ArgumentList.Add("--timeout"); psi.ArgumentList.Add("4s"); }
            using var resh = Process.Start(psi)!;
            var stdout = resh.StandardOutput.ReadToEndAsync();
            var stderr = resh.StandardError.ReadToEndAsync();
            // The first two items ran (their sleeps are gone); the third is waiting out its grace.
            Assert.True(procs[0].WaitForExit(20_000) && procs[1].WaitForExit(20_000), "the first items did not run");
            Thread.Sleep(500);
            if (how == "INT") Process.Start("kill", $"-INT {resh.Id}")!.WaitForExit();
            Assert.True(resh.WaitForExit(TimeSpan.FromSeconds(30)), "resh did not stop");
            var text = (await stdout).Trim();
            var env = (JsonObject)JsonNode.Parse(text)!;
            Assert.Equal(how == "INT" ? 130 : 6, resh.ExitCode);
            Assert.Equal(how == "INT" ? "interrupted" : "timeout", env["error"]!["code"]!.GetValue<string>());
            Assert.Equal("pipeline", env["handle"]!.GetValue<string>());
            var result = env["result"] as JsonObject;
            Assert.True(result is not null, text + await stderr);
            var items = result!["items"]!.AsArray();
            Assert.True(items.Count == 3, text);
            Assert.Equal([procs[0].Id, procs[1].Id, procs[2].Id], items.Select(i => i!["item"]!["pid"]!.GetValue<int>()));
            Assert.True(items[0]!["ok"]!.GetValue<bool>() && items[1]!["ok"]!.GetValue<bool>(), text);
            Assert.False(items[2]!["ok"]!.GetValue<bool>());
            Assert.Equal(how == "INT" ? "interrupted" : "timeout", items[2]!["error"]!["code"]!.GetValue<string>());
            var summary = result["summary"]!;
            Assert.Equal((5, 2, 1, 2), (summary["items"]!.GetValue<int>(), summary["ok"]!.GetValue<int>(), summary["failed"]!.GetValue<int>(), summary["skipped"]!.GetValue<int>()));
            Assert.Equal(2, env["error"]!["details"]!["skipped_items"]!.GetValue<int>());
            Assert.Contains("2 not run", env["error"]!["message"]!.GetValue<string>());
            // The items after the stop never ran.
            Assert.False(procs[3].HasExited, "an item after the stop ran");
            Assert.False(procs[4].HasExited, "an item after the stop ran");
        }
        finally
        {
            foreach (var p in procs) { try { if (!p.HasExited) p.Kill(); p.WaitForExit(2000); } catch (InvalidOperationException) { } p.Dispose(); }
        }
    }

    static Process StartProcess(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    static string Comm(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm"); } catch (IOException) { return ""; }
    }

    [Fact]
    public void Table_format_renders_the_filter_output()
    {
        using var s = new Sleeps(2);
        var run = ReshBinary.Run($"proc://.list(match={s.Base / 10}) | where name == \"sleep\" | sort -pid | select pid,command", "--format", "table");
        Assert.Equal(0, run.ExitCode);
        var second = run.Stdout.IndexOf($"sleep {s.Base + 1}", StringComparison.Ordinal);
        var first = run.Stdout.IndexOf($"sleep {s.Base}", StringComparison.Ordinal);
        Assert.True(second >= 0 && first > second, run.Stdout); // sort -pid: the later-started one first
    }
}
