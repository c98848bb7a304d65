using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin;

/// <summary>
/// Secret-typed plugin arguments (manifest type "secret"): the same sources as core secret arguments (env:, file:, @-,
/// secret:NAME), the value reaches the plugin only in its stdin request (never argv or the environment), and every
/// output masks it (result, warnings, error message and details, stderr tail).
/// </summary>
public sealed class PluginSecretTests : IDisposable
{
    const string Token = "tok-5f3a9c1e77d2-secret";
    readonly PluginKit _kit = new();
    public void Dispose() => _kit.Dispose();

    ReshRun Run(string[] args, string? stdin = null) => ReshBinary.Run(args.Append("--format").Append("json"), stdin: stdin,
        env: new Dictionary<string, string> { ["RESH_HOME"] = _kit.Home, ["PLUGIN_TOKEN"] = Token });

    void InstallSec() => Assert.True(_kit.Install(Path.Combine(PluginKit.Samples, "sec")).Ok);

    [Theory]
    [InlineData("token=env:PLUGIN_TOKEN", null)]
    [InlineData("token=@-", Token + "\n")]
    [InlineData("token=file:", null)]
    public void The_secret_takes_core_sources_and_reaches_the_plugin_only_on_stdin(string arg, string? stdin)
    {
        InstallSec();
        if (arg == "token=file:")
        {
            var file = _kit["token.txt"];
            File.WriteAllText(file, Token + "\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            arg += file;
        }
        var run = Run(["sec://x.echo", arg], stdin);
        Assert.True(run.Ok, run.ToString());
        var result = run.Envelope["result"]!;
        Assert.Equal(Token.Length, result["length"]!.GetValue<int>());
        Assert.False(result["in_env"]!.GetValue<bool>());
        Assert.False(result["in_argv"]!.GetValue<bool>());
        Assert.Equal("***", result["echo"]!.GetValue<string>());
        Assert.DoesNotContain(Token, run.Stdout + run.Stderr);
    }

    [Fact]
    public void A_plugin_that_repeats_the_secret_in_an_error_is_masked()
    {
        InstallSec();
        var run = Run(["sec://x.leak", "token=env:PLUGIN_TOKEN"]);
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Contains("***", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain(Token, run.Stdout + run.Stderr);
    }

    [Fact]
    public void A_secret_is_required_like_any_argument_and_cannot_have_a_default_in_the_manifest()
    {
        InstallSec();
        var missing = Run(["sec://x.echo"]);
        Assert.Equal("usage", missing.ErrorCode);
        var dir = _kit.CopySample("sec");
        var manifest = Path.Combine(dir, "plugin.json");
        var json = JsonNode.Parse(File.ReadAllText(manifest))!;
        json["verbs"]![0]!["args"]!["properties"]!["token"]!["default"] = "in-the-manifest";
        File.WriteAllText(manifest, json.ToJsonString());
        var install = _kit.Install(dir, "force=true");
        Assert.Equal("usage", install.ErrorCode);
        Assert.Contains("cannot have a default", install.Envelope["error"]!["message"]!.GetValue<string>());
    }
}
