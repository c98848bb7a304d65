using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Pipeline;

/// <summary>
/// Per-item targets end to end (s41): the envelope shows the target as users typed it (D11), not percent-encoded, while
/// the call acts on exactly the item's file; a name that is not UTF-8 (listed as %XX, escaped true) and a name literally
/// spelled %XX reach their own files; a pipeline whose stdout reader goes away stops promptly, as one call does.
/// </summary>
public sealed class PipelineTargetTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("resh-pipetarget-").FullName;

    public void Dispose()
    {
        // .NET cannot name a file that is not UTF-8 to delete it: rm can.
        using var rm = Process.Start(new ProcessStartInfo("rm") { ArgumentList = { "-rf", "--", _dir }, UseShellExecute = false })!;
        rm.WaitForExit();
    }

    [Fact]
    public void A_per_item_target_shows_the_path_decoded_and_the_call_reads_that_file()
    {
        File.WriteAllText(Path.Combine(_dir, "a b.txt"), "one");
        File.WriteAllText(Path.Combine(_dir, "c(d).e.txt"), "two");
        var run = ReshBinary.Run($"file://{_dir}.list | sort name | file://{{path}}.read");
        Assert.True(run.Ok, run.ToString());
        var items = run.Result!["items"]!.AsArray();
        Assert.Equal(2, items.Count);
        Assert.Equal($"file://{_dir}/a b.txt", items[0]!["target"]!.GetValue<string>());
        Assert.Equal("one", items[0]!["result"]!["content"]!.GetValue<string>());
        Assert.Equal($"file://{_dir}/c(d).e.txt", items[1]!["target"]!.GetValue<string>());
        Assert.Equal("two", items[1]!["result"]!["content"]!.GetValue<string>());

        // --format ndjson streams the same per-item envelopes
        var nd = ReshBinary.Run($"file://{_dir}.list | sort name | file://{{path}}.read", "--format", "ndjson");
        var first = JsonNode.Parse(nd.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0])!;
        Assert.Equal($"file://{_dir}/a b.txt", first["target"]!.GetValue<string>());
    }

    [Fact]
    public void A_per_item_target_given_back_to_resh_addresses_the_same_file()
    {
        // s42 user review #2: a target is shown as typed, so it must also read back as the same name: a literal `%` is
        // %25 (`50%41` shown as itself would name `50A`), a control character is escaped; anything else is itself.
        File.WriteAllText(Path.Combine(_dir, "50%41.txt"), "percent");
        File.WriteAllText(Path.Combine(_dir, "50A.txt"), "decoy");
        File.WriteAllText(Path.Combine(_dir, "tab\there"), "tab");
        var run = ReshBinary.Run($"file://{_dir}.list | sort name | file://{{path}}.read");
        Assert.True(run.Ok, run.ToString());
        var targets = run.Result!["items"]!.AsArray().Select(i => i!["target"]!.GetValue<string>()).ToList();
        Assert.Equal([$"file://{_dir}/50%2541.txt", $"file://{_dir}/50A.txt", $"file://{_dir}/tab%09here"], targets);
        foreach (var (target, content) in targets.Zip(["percent", "decoy", "tab"]))
        {
            var again = ReshBinary.Run(target + ".read");
            Assert.True(again.Ok, again.ToString());
            Assert.Equal(content, again.Result!["content"]!.GetValue<string>());
        }
    }

    [Fact]
    public void A_misspelt_filter_field_is_refused_before_anything_runs()
    {
        // s41 user D2: `where not siz > 1` matched every item (a warning only), so a delete stage after it removed all.
        File.WriteAllText(Path.Combine(_dir, "keep.txt"), "keep");
        var run = ReshBinary.Run($"file://{_dir}.list | where not siz > 1 | file://{{path}}.delete");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("siz", run.Stdout + run.Stderr);
        Assert.True(File.Exists(Path.Combine(_dir, "keep.txt")));
        Assert.Equal("usage", ReshBinary.Run($"file://{_dir}.list | sort sise").ErrorCode);
    }

    [Theory]
    [InlineData("select path,nmae", "nmae", "name")]
    [InlineData("where nmae == \"x\"", "nmae", "name")]
    [InlineData("sort -siez", "siez", "size")]
    [InlineData("unique pth", "pth", "path")]
    [InlineData("group tpye", "tpye", "type")]
    public void Every_filter_refuses_a_misspelt_field_alike_with_a_did_you_mean(string filter, string field, string meant)
    {
        // s42 user review: `select` and `where` must agree on a field the declared items lack: usage, the same message
        // (quoting the filter as written, without the flags after it), a did-you-mean hint, the field in details.
        var run = ReshBinary.Run($"file://{_dir}.list | {filter}", "--format", "json");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
        var error = run.Envelope["error"]!;
        Assert.Equal($"`{field}` in `{filter}` is not a field of the items flowing into it.", error["message"]!.GetValue<string>());
        Assert.Equal($"did you mean `{meant}`?", error["hint"]!.GetValue<string>());
        Assert.Equal(field, error["details"]!["field"]!.GetValue<string>());
        Assert.Equal(filter, error["details"]!["stage"]!.GetValue<string>());
        Assert.Equal(2, error["details"]!["stage_index"]!.GetValue<int>());
    }

    [Fact]
    public void A_name_that_is_not_utf8_and_a_name_spelled_as_its_escape_reach_their_own_files()
    {
        // Attacker (low): a raw byte 0xFF is listed as %FF (escaped true); a file literally named %FF must not be the
        // one a later stage acts on for it, nor the other way round.
        var pi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false };
        foreach (var a in (string[])["-c", "import os,sys; d=os.fsencode(sys.argv[1]); open(d+b'/\\xff','w').write('raw'); open(d+b'/%FF','w').write('literal'); open(d+b'/%25','w').write('percent')", _dir])
            pi.ArgumentList.Add(a);
        var py = Process.Start(pi)!;
        py.WaitForExit();
        Assert.Equal(0, py.ExitCode);
        var run = ReshBinary.Run($"file://{_dir}.list | file://{{path}}.read");
        Assert.True(run.Ok, run.ToString());
        var list = ReshBinary.Run($"file://{_dir}.list");
        var entries = list.Result!["entries"]!.AsArray();
        Assert.Equal(3, entries.Count);
        Assert.Equal(2, entries.Count(e => e!["name"]!.GetValue<string>() == "%FF")); // the listing shows both the same: only `escaped` tells them apart
        var contents = run.Result!["items"]!.AsArray().Select(i => i!["result"]!["content"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["literal", "percent", "raw"], contents);
    }

    [Fact]
    public void A_pipeline_whose_stdout_reader_goes_away_ends_promptly_and_cleanly()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", (730000 + Random.Shared.Next(0, 9999)).ToString()) { UseShellExecute = false })!;
        try
        {
            Thread.Sleep(200);
            var psi = new ProcessStartInfo(ReshBinary.Path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add($"proc://.list(match={sleeper.StartInfo.Arguments}) | where name == \"sleep\" | proc://{{pid}}.wait timeout=60s");
            psi.Environment["NO_COLOR"] = "1";
            psi.Environment.Remove("RESH_CONFIG");
            using var resh = Process.Start(psi)!;
            var stderr = new System.Text.StringBuilder();
            resh.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
            resh.BeginErrorReadLine();
            Thread.Sleep(1500); // the wait is running
            Assert.False(resh.HasExited, "the pipeline should still be waiting");
            var clock = Stopwatch.StartNew();
            resh.StandardOutput.Close(); // `| head -1` has exited: nobody reads the answer
            var ended = resh.WaitForExit(15_000);
            if (!ended) resh.Kill();
            Assert.True(ended, "the pipeline kept running after its stdout reader went away");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());
            string err;
            lock (stderr) err = stderr.ToString();
            Assert.DoesNotContain("Unhandled", err);
            Assert.DoesNotContain("   at ", err);
            Assert.False(sleeper.HasExited); // a read-only wait: the waited-for process is left alone
        }
        finally
        {
            if (!sleeper.HasExited) sleeper.Kill();
        }
    }
}
