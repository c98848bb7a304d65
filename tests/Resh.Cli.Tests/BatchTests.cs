using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>`resh batch`: NDJSON requests in, one envelope per line out, one process.</summary>
public sealed class BatchTests
{
    static List<JsonObject> Lines(ReshRun run) =>
        run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    [Fact]
    public void Each_request_gets_its_envelope_in_order_with_its_id()
    {
        var input = string.Join("\n",
            "{\"id\":\"a\",\"stage\":\"file:///etc/hosts\",\"verb\":\"stat\"}",
            "{\"id\":2,\"stage\":\"file:///etc/hosts.exists\"}",
            "{\"id\":{\"k\":1},\"stage\":\"file:///etc/hosts.read(length=3)\"}",
            "{\"id\":4,\"stage\":\"file:///etc/hosts\",\"verb\":\"read\",\"args\":{\"length\":4,\"encoding\":\"base64\"}}") + "\n";
        var run = ReshBinary.Run(["batch"], stdin: input);
        Assert.Equal(0, run.ExitCode);
        var lines = Lines(run);
        Assert.Equal(4, lines.Count);
        Assert.Equal("a", lines[0]["id"]!.GetValue<string>());
        Assert.Equal(2, lines[1]["id"]!.GetValue<int>());
        Assert.Equal(1, lines[2]["id"]!["k"]!.GetValue<int>());
        Assert.Equal("id", lines[0].First().Key);
        Assert.All(lines, l => Assert.True(l["ok"]!.GetValue<bool>()));
        var hosts = File.ReadAllBytes("/etc/hosts");
        Assert.Equal(System.Text.Encoding.UTF8.GetString(hosts, 0, 3), lines[2]["result"]!["content"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(hosts, 0, 4), lines[3]["result"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public void A_malformed_line_gets_an_error_envelope_and_the_rest_go_on()
    {
        var input = "not json\n{\"id\":1}\n{\"id\":2,\"stage\":\"nope://x.y\"}\n[1,2]\n{\"id\":5,\"stage\":\"file:///etc/hosts.stat\",\"args\":7}\n{\"id\":6,\"stage\":\"file:///etc/hosts.stat\"}\n";
        var run = ReshBinary.Run(["batch"], stdin: input);
        Assert.Equal(9, run.ExitCode);
        var lines = Lines(run);
        Assert.Equal(6, lines.Count);
        Assert.All(lines.Take(5), l => Assert.Equal("usage", l["error"]!["code"]!.GetValue<string>()));
        Assert.Null(lines[0]["id"]);
        Assert.Equal(1, lines[1]["id"]!.GetValue<int>());
        Assert.True(lines[5]["ok"]!.GetValue<bool>());
    }

    [Fact]
    public void A_failing_request_keeps_its_own_code_and_the_batch_exits_partial()
    {
        var run = ReshBinary.Run(["batch"], stdin: "{\"id\":1,\"stage\":\"file:///no/such.read\"}\n{\"id\":2,\"stage\":\"file:///etc/hosts.stat\"}\n");
        Assert.Equal(9, run.ExitCode);
        var lines = Lines(run);
        Assert.Equal("not_found", lines[0]["error"]!["code"]!.GetValue<string>());
        Assert.True(lines[1]["ok"]!.GetValue<bool>());
    }

    [Fact]
    public void Dry_run_can_be_set_per_request()
    {
        using var dir = new TempDir("batch");
        var path = dir["x.txt"];
        var run = ReshBinary.Run(["batch"], stdin: $"{{\"id\":1,\"stage\":\"file://{path}.write\",\"args\":{{\"content\":\"hi\"}},\"dry_run\":true}}\n");
        var line = Lines(run).Single();
        Assert.True(line["ok"]!.GetValue<bool>(), run.Stdout);
        Assert.True(line["changed"]!.GetValue<bool>());
        Assert.True(line["dry_run"]!.GetValue<bool>());
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Stdin_references_are_refused_inside_a_batch()
    {
        var run = ReshBinary.Run(["batch"], stdin: "{\"id\":1,\"stage\":\"file:///tmp/x.write\",\"args\":{\"content\":\"@-\"}}\n{\"id\":2,\"stage\":\"file:///tmp/x.write(content=@-)\"}\n");
        var lines = Lines(run);
        // A JSON value is never a file reference: "@-" is literal content there; in parentheses it is refused.
        Assert.Equal("usage", lines[1]["error"]!["code"]!.GetValue<string>());
    }

    /// <summary>
    /// s42 user review: a pipeline line that fails to parse answered `handle: resh`, an empty target and no word of which
    /// stage failed. Its envelope is the pipeline's (`pipeline`, `run`, the line's pipeline as the target) and names the
    /// line and the failing stage's text, in the message and in error.details.
    /// </summary>
    [Fact]
    public void A_pipeline_line_that_does_not_parse_names_its_line_and_the_stage_that_failed()
    {
        var input = string.Join("\n",
            "{\"id\":1,\"stage\":\"file:///etc/hosts.stat\"}",
            "",
            "{\"id\":3,\"stage\":\"proc://.list | where siz > 1 | count\"}",
            "{\"id\":4,\"stage\":\"proc://.list | first 1 | nosuch://{pid}.kill\"}",
            "{\"id\":5,\"stage\":\"proc://.list | sort pid | where name == x y\"}") + "\n";
        var run = ReshBinary.Run(["batch"], stdin: input);
        var lines = Lines(run);
        Assert.Equal(4, lines.Count);
        Assert.True(lines[0]["ok"]!.GetValue<bool>(), run.Stdout);
        foreach (var (line, number, stage, index) in new[]
                 {
                     (lines[1], 3, "where siz > 1", 2),
                     (lines[2], 4, "nosuch://{pid}.kill", 3),
                     (lines[3], 5, "where name == x y", 3),
                 })
        {
            Assert.Equal("usage", line["error"]!["code"]!.GetValue<string>());
            Assert.Equal("pipeline", line["handle"]!.GetValue<string>());
            Assert.Equal("run", line["verb"]!.GetValue<string>());
            Assert.Equal(line["id"]!.GetValue<int>() switch { 3 => "proc://.list | where siz > 1 | count", 4 => "proc://.list | first 1 | nosuch://{pid}.kill", _ => "proc://.list | sort pid | where name == x y" },
                line["target"]!.GetValue<string>());
            var message = line["error"]!["message"]!.GetValue<string>();
            Assert.StartsWith($"Line {number}: ", message);
            Assert.Contains($"`{stage}`", message);
            var details = line["error"]!["details"]!;
            Assert.Equal(number, details["line"]!.GetValue<int>());
            Assert.Equal(stage, details["stage"]!.GetValue<string>());
            Assert.Equal(index, details["stage_index"]!.GetValue<int>());
        }
    }

    [Fact]
    public void A_pipeline_split_between_stage_and_verb_is_refused_as_one()
    {
        var run = ReshBinary.Run(["batch"], stdin: "{\"id\":1,\"stage\":\"proc://\",\"verb\":\"list | count\"}\n");
        var line = Lines(run).Single();
        Assert.Equal("usage", line["error"]!["code"]!.GetValue<string>());
        Assert.Contains("whole in \"stage\"", line["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void Empty_input_is_an_empty_successful_batch()
    {
        var run = ReshBinary.Run(["batch"], stdin: "");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void A_thousand_requests_run_in_one_process()
    {
        var input = string.Concat(Enumerable.Range(0, 1000).Select(i => $"{{\"id\":{i},\"stage\":\"file:///etc/hosts\",\"verb\":\"stat\"}}\n"));
        var run = ReshBinary.Run(["batch"], stdin: input);
        Assert.Equal(0, run.ExitCode);
        var lines = Lines(run);
        Assert.Equal(1000, lines.Count);
        Assert.Equal(Enumerable.Range(0, 1000), lines.Select(l => l["id"]!.GetValue<int>()));
    }
}
