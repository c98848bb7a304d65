using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>Issue 10: batch requests that are strict about their keys, and a config file whose [defaults] are honoured and whose mistakes are named.</summary>
public sealed class BatchAndConfigTests
{
    static List<JsonObject> Lines(ReshRun run) =>
        run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    [Fact]
    public void A_misspelt_batch_key_is_usage_and_writes_nothing()
    {
        using var dir = new TempDir("batchkeys");
        var a = dir["a.txt"];
        var b = dir["b.txt"];
        var input = $$"""
            {"id":1,"stage":"file://{{a}}","verb":"write","args":{"content":"x"},"dryrun":true}
            {"id":2,"stage":"file://{{b}}","verb":"write","args":{"content":"x"},"dry_run":"yes"}
            {"id":3,"stage":"file://{{b}}","verb":"write","args":{"content":"x"},"dry_run":true}
            """ + "\n";
        var run = ReshBinary.Run(["batch"], stdin: input);
        var lines = Lines(run);
        Assert.Equal(3, lines.Count);
        Assert.Equal("usage", lines[0]["error"]!["code"]!.GetValue<string>());
        Assert.Contains("dry_run", lines[0]["error"]!["hint"]!.GetValue<string>());
        Assert.Equal("usage", lines[1]["error"]!["code"]!.GetValue<string>());
        Assert.True(lines[2]["ok"]!.GetValue<bool>());
        Assert.True(lines[2]["dry_run"]!.GetValue<bool>());
        Assert.False(File.Exists(a));
        Assert.False(File.Exists(b));
        Assert.Equal(9, run.ExitCode);
    }

    static ReshRun WithConfig(string toml, params string[] args)
    {
        using var dir = new TempDir("cfg");
        var path = dir.File("config.toml", toml);
        return ReshBinary.Run(args, env: new Dictionary<string, string> { ["RESH_CONFIG"] = path });
    }

    [Fact]
    public void A_malformed_config_file_is_usage_naming_the_line()
    {
        var run = WithConfig("[defaults]\nformat = \"json\"\ntimeout = = 3\n", "file:///etc/hosts.stat");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("line 3", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(3, run.Envelope["error"]!["details"]!["line"]!.GetValue<int>());
    }

    [Fact]
    public void Defaults_set_the_output_format_and_the_arguments_of_a_handle_and_a_verb()
    {
        using var dir = new TempDir("cfgdef");
        dir.File(".hidden", "h");
        dir.File("shown", "s");
        var format = WithConfig("[defaults]\nformat = \"yaml\"\n", "file:///etc/hosts.stat");
        Assert.StartsWith("ok: true", format.Stdout);
        // The command line still wins.
        Assert.StartsWith("{", WithConfig("[defaults]\nformat = \"yaml\"\n", "file:///etc/hosts.stat", "--format", "json").Stdout);

        var handleWide = WithConfig("[defaults.file]\nhidden = true\n", $"file://{dir.Path}.list");
        Assert.Contains(handleWide.Result!["entries"]!.AsArray(), e => e!["name"]!.GetValue<string>() == ".hidden");
        var perVerb = WithConfig("[defaults.file.list]\nhidden = true\n", $"file://{dir.Path}.list");
        Assert.Contains(perVerb.Result!["entries"]!.AsArray(), e => e!["name"]!.GetValue<string>() == ".hidden");
        var overridden = WithConfig("[defaults.file.list]\nhidden = true\n", $"file://{dir.Path}.list", "hidden=false");
        Assert.DoesNotContain(overridden.Result!["entries"]!.AsArray(), e => e!["name"]!.GetValue<string>() == ".hidden");
    }

    [Fact]
    public void A_default_timeout_applies_to_calls_that_give_none()
    {
        using var sleep = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            var clock = Stopwatch.StartNew();
            var run = WithConfig("[defaults]\ntimeout = \"300ms\"\n", $"proc://{sleep.Id}.wait");
            Assert.Equal("timeout", run.ErrorCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        }
        finally
        {
            sleep.Kill();
            sleep.WaitForExit();
        }
    }

    [Theory]
    [InlineData("[defaults]\nformt = \"json\"\n", "format")]
    [InlineData("[defaults.file]\nhiden = true\n", "hidden")]
    [InlineData("[defaults.fiel]\nhidden = true\n", "file")]
    [InlineData("[defaults.file.lst]\nhidden = true\n", "list")]
    [InlineData("[defaults.file]\nhidden = \"maybe\"\n", "hidden")]
    public void A_defaults_key_nothing_declares_is_usage_naming_it(string toml, string suggestion)
    {
        using var dir = new TempDir("cfgbad");
        var run = WithConfig(toml, $"file://{dir.Path}.list");
        Assert.Equal("usage", run.ErrorCode);
        var error = run.Envelope["error"]!;
        Assert.Contains(suggestion, error["message"]!.GetValue<string>() + " " + error["hint"]?.GetValue<string>());
    }
}
