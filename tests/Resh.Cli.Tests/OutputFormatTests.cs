using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Resh.Cli.Tests;

/// <summary>SPEC §4: every format is a view of the same envelope.</summary>
public sealed class OutputFormatTests
{
    [Fact]
    public void Json_is_one_compact_line_when_stdout_is_not_a_terminal()
    {
        var run = ReshBinary.Run("file:///etc/hosts.stat");
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        var env = (JsonObject)JsonNode.Parse(lines[0])!;
        Assert.Equal(["ok", "handle", "verb", "target", "host", "changed", "dry_run", "result", "error", "warnings", "duration_ms", "ts"],
            env.Select(p => p.Key).ToArray());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", env["ts"]!.GetValue<string>());
        Assert.Equal("local", env["host"]!.GetValue<string>());
    }

    [Fact]
    public void Json_pretty_is_the_same_envelope_indented()
    {
        var pretty = ReshBinary.Run("file:///etc/hosts.stat", "--json-pretty");
        var viaFormat = ReshBinary.Run("file:///etc/hosts.stat", "--format", "json-pretty");
        Assert.Contains("\n  \"ok\": true,", pretty.Stdout);
        var a = (JsonObject)JsonNode.Parse(pretty.Stdout)!;
        var b = (JsonObject)JsonNode.Parse(viaFormat.Stdout)!;
        Assert.Equal(a["result"]!["inode"]!.GetValue<long>(), b["result"]!["inode"]!.GetValue<long>());
    }

    [Fact]
    public void Ndjson_prints_one_envelope_per_line()
    {
        var run = ReshBinary.Run("file:///etc/hosts.stat", "--format", "ndjson");
        Assert.Single(run.Stdout.TrimEnd('\n').Split('\n'));
        Assert.True(run.Ok);
    }

    [Fact]
    public void Yaml_is_the_envelope_in_yaml()
    {
        var run = ReshBinary.Run("file:///etc/hosts.stat", "--format", "yaml");
        Assert.Equal(0, run.ExitCode);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(run.Stdout));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("true", ((YamlScalarNode)root["ok"]).Value);
        Assert.Equal("file", ((YamlScalarNode)root["handle"]).Value);
        var result = (YamlMappingNode)root["result"];
        Assert.Equal("/etc/hosts", ((YamlScalarNode)result["path"]).Value);
    }

    [Fact]
    public void Yaml_quotes_strings_that_would_read_as_other_types()
    {
        using var dir = new TempDir("yaml");
        var path = dir.File("v.txt", "true");
        var run = ReshBinary.Run($"file://{path}.read", "--format", "yaml");
        Assert.Contains("content: \"true\"", run.Stdout);
    }

    [Fact]
    public void Table_is_a_readable_view_without_colour_when_not_a_terminal()
    {
        var run = ReshBinary.Run("file:///etc/hosts.stat", "--format", "table");
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain("\x1b[", run.Stdout);
        Assert.Matches(@"(?m)^path\s+/etc/hosts$", run.Stdout);
        Assert.Matches(@"(?m)^type\s+file$", run.Stdout);
    }

    [Fact]
    public void Table_errors_go_to_stderr_with_code_and_hint()
    {
        var run = ReshBinary.Run("file:///no/such.read", "--format", "table");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Contains("error[not_found]", run.Stderr);
        Assert.Contains("hint:", run.Stderr);
    }

    [Fact]
    public void Raw_prints_the_payload_or_the_result_when_there_is_none()
    {
        var raw = ReshBinary.Run("file:///etc/hosts.exists", "--format", "raw");
        Assert.Equal("true\n", raw.Stdout);
        var noPayload = ReshBinary.Run("file:///etc/hosts.stat", "--format", "raw");
        var result = (JsonObject)JsonNode.Parse(noPayload.Stdout)!;
        Assert.Equal("/etc/hosts", result["path"]!.GetValue<string>());
    }

    [Fact]
    public void Raw_errors_go_to_stderr_and_keep_the_exit_status()
    {
        var run = ReshBinary.Run("file:///no/such.read", "--format", "raw");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Contains("error[not_found]", run.Stderr);
    }

    [Fact]
    public void Quiet_prints_nothing_on_success_and_one_line_on_failure()
    {
        var ok = ReshBinary.Run("file:///etc/hosts.stat", "--quiet");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("", ok.Stdout);
        Assert.Equal("", ok.Stderr);
        var bad = ReshBinary.Run("-q", "file:///no/such.read");
        Assert.Equal(3, bad.ExitCode);
        Assert.Equal("", bad.Stdout);
        Assert.StartsWith("resh: error[not_found]", bad.Stderr);
    }

    [Fact]
    public void Verbose_logs_to_stderr_and_leaves_stdout_a_clean_envelope()
    {
        var run = ReshBinary.Run("file:///etc/hosts.stat", "--verbose");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Ok);
        Assert.Single(run.Stdout.TrimEnd('\n').Split('\n'));
        Assert.Contains("resh: file.stat target=`/etc/hosts`", run.Stderr);
        Assert.Contains("resh: file.stat ok in", run.Stderr);
    }

    [Fact]
    public void Verbose_names_the_external_programs_a_verb_runs()
    {
        var run = ReshBinary.Run("fs:///.info", "--verbose");
        Assert.True(run.Ok, run.ToString());
        var ran = run.Stderr.Split('\n').Where(l => l.StartsWith("resh: ran [", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(ran); // fs.info asks blkid about the root device
        Assert.All(ran, l => Assert.Matches(@"-> exit \d+ in [\d.]+ ms$", l));
    }

    [Fact]
    public void Unknown_format_is_a_usage_error_with_a_hint()
    {
        var run = ReshBinary.Run("file:///etc/hosts.stat", "--format", "jsn");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("`json`", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }
}
