using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileTailTests
{
    [Fact]
    public void Tail_returns_the_last_lines_including_an_unterminated_one()
    {
        using var dir = new TempDir("tail");
        var f = dir.File("log", string.Concat(Enumerable.Range(1, 5000).Select(i => $"line {i}\r\n")) + "partial");
        var r = Resh.Ok(Resh.Run($"file://{f}.tail", "lines=3"), changed: false);
        Assert.Equal(["line 4999", "line 5000", "partial"], r["lines"]!.AsArray().Select(l => l!.GetValue<string>()));
        var ten = Resh.Ok(Resh.Run($"file://{f}.tail"));
        Assert.Equal(10, ten.Num("count"));
    }

    [Fact]
    public void Raw_output_prints_the_lines()
    {
        using var dir = new TempDir("tail");
        var f = dir.File("log", "a\nb\nc\n");
        Assert.Equal("b\nc\n", Resh.Run($"file://{f}.tail", "lines=2", "--format", "raw").Stdout);
    }

    [Fact]
    public void A_short_or_empty_file_returns_what_there_is()
    {
        using var dir = new TempDir("tail");
        Assert.Equal(2, Resh.Ok(Resh.Run($"file://{dir.File("two", "a\nb\n")}.tail", "lines=10")).Num("count"));
        Assert.Equal(0, Resh.Ok(Resh.Run($"file://{dir.File("empty", "")}.tail")).Num("count"));
    }

    [Fact]
    public void Missing_files_are_not_found_and_directories_usage_errors()
    {
        using var dir = new TempDir("tail");
        Resh.Fails(Resh.Run($"file://{dir["nope"]}.tail"), "not_found");
        Resh.Fails(Resh.Run($"file://{dir.Path}.tail"), "usage");
    }

    [Fact]
    public void Follow_streams_new_lines_through_truncation_and_rotation_until_the_timeout()
    {
        using var dir = new TempDir("tail");
        var f = dir.File("app.log", "old 1\nold 2\n");
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { $"file://{f}.tail", "lines=1", "follow=true", "--timeout", "20s" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var seen = new List<JsonObject>();

        JsonObject Next()
        {
            var line = p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15)).GetAwaiter().GetResult()
                ?? throw new Xunit.Sdk.XunitException($"stream ended early; stderr: {stderr.Result}");
            var o = (JsonObject)JsonNode.Parse(line)!;
            Assert.False(o.ContainsKey("ok"), $"the follow ended early: {line}");
            seen.Add(o);
            return o;
        }
        string LineOf(JsonObject o) => o["line"]!.GetValue<string>();

        try
        {
            Assert.Equal("old 2", LineOf(Next()));
            File.AppendAllText(f, "new 1\npart");
            Assert.Equal("new 1", LineOf(Next()));
            File.AppendAllText(f, "ial\n");
            Assert.Equal("partial", LineOf(Next()));

            // Truncated and refilled between two polls.
            File.WriteAllText(f, "after truncate, longer than before....................\n");
            Assert.Equal("truncated", Next()["event"]!.GetValue<string>());
            Assert.Equal("after truncate, longer than before....................", LineOf(Next()));

            // Rotated: renamed away, a new file created.
            File.Move(f, f + ".1");
            File.WriteAllText(f, "fresh\n");
            Assert.Equal("rotated", Next()["event"]!.GetValue<string>());
            Assert.Equal("fresh", LineOf(Next()));
        }
        finally
        {
            if (!p.HasExited) p.Kill();
        }
        Assert.True(p.WaitForExit(30_000)); // killed above: the timeout end has its own test
        Assert.All(seen.Where(e => e["event"]!.GetValue<string>() == "line"), e => Assert.Equal(f, e["path"]!.GetValue<string>()));
    }

    [Fact]
    public void A_follow_ended_by_the_timeout_is_an_ok_envelope_after_the_events()
    {
        using var dir = new TempDir("tail");
        var f = dir.File("app.log", "a\nb\n");
        var run = ReshBinary.Run([$"file://{f}.tail", "lines=5", "follow=true", "--timeout", "600ms"]);
        var r = Resh.Ok(run, changed: false);
        Assert.Equal("timeout", r.Str("ended"));
        Assert.Equal(2, r.Num("count"));
        Assert.Equal(["a", "b"], run.Events.Select(e => e["line"]!.GetValue<string>()));
    }
}
