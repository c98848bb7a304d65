using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests;

/// <summary>The calls issue 2 lists "exactly as written", run through the native binary.</summary>
public sealed class ExactCallsTests
{
    [Fact]
    public void System_info_answers_with_an_ok_envelope()
    {
        var run = ReshBinary.Run("system://.info");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("system", run.Envelope["handle"]!.GetValue<string>());
        Assert.Equal("info", run.Envelope["verb"]!.GetValue<string>());
    }

    [Fact]
    public void File_read_raw_prints_exactly_the_file_bytes()
    {
        var run = ReshBinary.Run("file:///etc/hosts.read", "--format", "raw");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(File.ReadAllBytes("/etc/hosts"), run.StdoutBytes);
    }

    [Fact]
    public void File_read_with_the_verb_as_a_word_means_the_same()
    {
        var dotted = ReshBinary.Run("file:///etc/hosts.read");
        var spaced = ReshBinary.Run("file:///etc/hosts", "read");
        Assert.Equal(0, spaced.ExitCode);
        Assert.Equal(dotted.Result!["content"]!.GetValue<string>(), spaced.Result!["content"]!.GetValue<string>());
        Assert.Equal(File.ReadAllText("/etc/hosts"), spaced.Result!["content"]!.GetValue<string>());
        Assert.Equal("file:///etc/hosts", spaced.Envelope["target"]!.GetValue<string>());
    }

    [Fact]
    public void File_write_with_parenthesised_content_writes_the_file()
    {
        using var dir = new TempDir("write");
        var path = dir["a.txt"];
        var run = ReshBinary.Run($"file://{path}.write(content=hello)");
        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Changed);
        Assert.Equal("hello", File.ReadAllText(path));
    }

    [Fact]
    public void Reading_a_missing_file_is_not_found_with_exit_3()
    {
        var run = ReshBinary.Run("file:///no/such.read");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("not_found", run.ErrorCode);
        Assert.Null(run.Result);
    }

    [Fact]
    public void A_misspelt_verb_is_a_usage_error_whose_hint_names_the_right_verb()
    {
        var run = ReshBinary.Run("file:///etc/hosts.raed");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("`read`", run.Envelope["error"]!["hint"]!.GetValue<string>());
    }

    [Fact]
    public void Schema_of_file_read_has_argument_and_result_schemas()
    {
        var run = ReshBinary.Run("schema", "file.read");
        Assert.Equal(0, run.ExitCode);
        var schema = run.Result!["schemas"]![0]!;
        Assert.Equal("file.read", schema["name"]!.GetValue<string>());
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema["args"]!["$schema"]!.GetValue<string>());
        Assert.NotNull(schema["args"]!["properties"]!["encoding"]);
        Assert.NotNull(schema["result"]!["properties"]!["content"]);
    }

    [Fact]
    public void Help_file_as_json_lists_verbs_with_their_arguments()
    {
        var run = ReshBinary.Run("help", "file", "--format", "json");
        Assert.Equal(0, run.ExitCode);
        var handle = run.Result!["handle"]!;
        Assert.Equal("file", handle["scheme"]!.GetValue<string>());
        var read = handle["verbs"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == "read")!;
        Assert.Contains(read["args"]!.AsArray(), a => a!["name"]!.GetValue<string>() == "encoding");
    }

    [Fact]
    public void Batch_answers_each_request_line_with_its_id()
    {
        var run = ReshBinary.Run(["batch"], stdin: "{\"id\":1,\"stage\":\"file:///etc/hosts\",\"verb\":\"stat\"}\n");
        Assert.Equal(0, run.ExitCode);
        var line = (JsonObject)JsonNode.Parse(run.Stdout.Trim())!;
        Assert.Equal(1, line["id"]!.GetValue<int>());
        Assert.True(line["ok"]!.GetValue<bool>());
        Assert.Equal("file", line["result"]!["type"]!.GetValue<string>());
    }
}
