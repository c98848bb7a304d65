using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin;

/// <summary>
/// Review s35 (P5–P8): a disabled plugin does not run (not through test, not after its state file is damaged),
/// --dry-run runs a write verb only when the manifest says it honours it, leftovers of killed installs are swept,
/// and a plugin's children do not outlive the call.
/// </summary>
public sealed class PluginTrustTests : IDisposable
{
    readonly PluginKit _kit = new();
    public void Dispose() => _kit.Dispose();

    string InstallPy(bool dryRunDeclared = true)
    {
        var dir = _kit.CopySample("hello-py");
        if (!dryRunDeclared)
        {
            var manifest = Path.Combine(dir, "plugin.json");
            var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
            foreach (var v in json["verbs"]!.AsArray()) v!.AsObject().Remove("dry_run");
            File.WriteAllText(manifest, json.ToJsonString());
        }
        var run = _kit.Install(dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        return dir;
    }

    [Fact]
    public void P5_test_refuses_a_disabled_plugin_and_runs_none_of_its_examples()
    {
        InstallPy();
        Assert.True(_kit.Resh("plugin://hello-py.disable").Ok);
        var run = _kit.Resh("plugin://hello-py.test");
        Assert.Equal(5, run.ExitCode);
        Assert.Equal("conflict", run.ErrorCode);
        Assert.Contains("disabled", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("path=", run.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.True(_kit.Resh("plugin://hello-py.enable").Ok);
        Assert.True(_kit.Resh("plugin://hello-py.test").Ok);
    }

    [Fact]
    public void P6_dry_run_of_a_write_verb_that_does_not_declare_dry_run_is_unsupported_and_runs_nothing()
    {
        InstallPy(dryRunDeclared: false);
        var file = _kit["made.txt"];
        var dry = _kit.Resh($"hellopy://{file}.touch", "content=x", "--dry-run");
        Assert.Equal(8, dry.ExitCode);
        Assert.Equal("unsupported", dry.ErrorCode);
        Assert.Contains("dry_run", dry.Envelope["error"]!["hint"]!.GetValue<string>());
        Assert.False(File.Exists(file));
        // A read verb still runs under --dry-run, and the write verb runs without it.
        Assert.True(_kit.Resh("hellopy://x.echo", "name=n", "--dry-run").Ok);
        Assert.True(_kit.Resh($"hellopy://{file}.touch", "content=x").Ok);
        Assert.True(File.Exists(file));
    }

    [Theory]
    [InlineData("{\"enabled\":false")]
    [InlineData("[]")]
    [InlineData("")]
    [InlineData(null)]
    public void P7_a_damaged_or_missing_state_file_fails_closed(string? content)
    {
        InstallPy();
        Assert.True(_kit.Resh("plugin://hello-py.disable").Ok);
        var state = Path.Combine(_kit.Home, "plugins", ".state", "hello-py.json");
        if (content is null) File.Delete(state); else File.WriteAllText(state, content);

        var call = _kit.Resh("hellopy://x.echo", "name=n");
        Assert.False(call.Ok, call.ToString());
        Assert.Contains("state file", call.Envelope["error"]!["hint"]!.GetValue<string>() + call.Envelope["error"]!["message"]!.GetValue<string>());
        var listed = _kit.Resh("plugin://.list").Result!["plugins"]!.AsArray().Single()!;
        Assert.False(listed["enabled"]!.GetValue<bool>());
        Assert.Contains("state file", Json.S(listed["problem"]));
        Assert.Equal("conflict", _kit.Resh("plugin://hello-py.test").ErrorCode);

        Assert.True(_kit.Resh("plugin://hello-py.enable").Ok);
        Assert.True(_kit.Resh("hellopy://x.echo", "name=n").Ok);
    }
}
