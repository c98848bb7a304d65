using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Mcp;

/// <summary>
/// --allow/--deny target patterns hold however the client writes the path: `./`, `//`, `..`, percent-escapes,
/// relative paths and symlinks all reach the same file, so they all meet the same pattern.
/// </summary>
public sealed class McpTargetPatternTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("resh-mcp-pattern-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static JsonObject Call(McpProcess mcp, int id, string tool, JsonObject arguments) => mcp.CallTool(id, tool, arguments);

    static string? Code(JsonObject env) => McpProcess.Code(env);

    [Fact]
    public void A_denied_file_cannot_be_written_through_another_spelling_of_its_path()
    {
        var sub = Path.Combine(_dir, "x");
        Directory.CreateDirectory(sub);
        Directory.CreateDirectory(Path.Combine(_dir, "y"));
        var denied = Path.Combine(sub, "mcp.yaml");
        File.WriteAllText(denied, "a: 0\n");
        var link = Path.Combine(_dir, "link.yaml");
        File.CreateSymbolicLink(link, denied);
        var dirLink = Path.Combine(_dir, "dirlink");
        File.CreateSymbolicLink(dirLink, sub);
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, denied);

        using var mcp = new McpProcess("--deny", $"config.*:config://{denied}");
        mcp.Initialize();
        string[] spellings =
        [
            denied,
            sub + "/./mcp.yaml",
            sub.Replace("/x", "//x") + "/mcp.yaml",
            _dir + "/y/../x/mcp.yaml",
            _dir + "/y/%2e%2e/x/mcp.yaml",
            "config://" + sub + "/./mcp.yaml",
            link,
            dirLink + "/mcp.yaml",
            rel,
        ];
        var id = 1;
        foreach (var target in spellings)
        {
            var env = Call(mcp, id++, "config_set", new JsonObject { ["target"] = target, ["key"] = "a", ["value"] = 1 });
            Assert.True(Code(env) == "permission_denied", $"{target}: {env.ToJsonString()}");
            Assert.NotNull(env["error"]!["hint"]);
        }
        Assert.Equal("a: 0\n", File.ReadAllText(denied));
        // Another file in the same directory is still writable.
        var other = Path.Combine(sub, "other.yaml");
        File.WriteAllText(other, "a: 0\n");
        Assert.True(Call(mcp, id++, "config_set", new JsonObject { ["target"] = sub + "/./other.yaml", ["key"] = "a", ["value"] = 1 })["ok"]!.GetValue<bool>());
        Assert.Contains("1", File.ReadAllText(other));
        Assert.Equal(0, mcp.CloseAndWait());
    }

    [Fact]
    public void A_glob_deny_holds_against_dot_dot_and_an_allow_grants_only_what_it_names()
    {
        var sub = Path.Combine(_dir, "x");
        var outside = Path.Combine(_dir, "out");
        Directory.CreateDirectory(sub);
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(sub, "mcp.yaml"), "a: 1\n");
        File.WriteAllText(Path.Combine(outside, "secret.yaml"), "a: 2\n");
        File.CreateSymbolicLink(Path.Combine(sub, "escape.yaml"), Path.Combine(outside, "secret.yaml"));
        File.CreateSymbolicLink(Path.Combine(sub, "up"), outside);

        using (var deny = new McpProcess("--deny", $"config.get:config://{sub}/*.yaml"))
        {
            deny.Initialize();
            foreach (var target in new[] { $"{outside}/../x/mcp.yaml", $"{outside}/%2E%2E/x/mcp.yaml", $"{_dir}//x//mcp.yaml" })
                Assert.Equal("permission_denied", Code(Call(deny, 1, "config_get", new JsonObject { ["target"] = target, ["key"] = "a" })));
            Assert.True(Call(deny, 2, "config_get", new JsonObject { ["target"] = $"{outside}/secret.yaml", ["key"] = "a" })["ok"]!.GetValue<bool>());
            Assert.Equal(0, deny.CloseAndWait());
        }

        using var allow = new McpProcess("--allow", $"config.get:config://{sub}/*.yaml");
        allow.Initialize();
        Assert.True(Call(allow, 1, "config_get", new JsonObject { ["target"] = $"{sub}/./mcp.yaml", ["key"] = "a" })["ok"]!.GetValue<bool>());
        foreach (var target in new[] { $"{sub}/../out/secret.yaml", $"{sub}/%2e%2e/out/secret.yaml", $"{sub}/escape.yaml", $"{sub}/up/secret.yaml", $"{sub}/up/../out/secret.yaml" })
            Assert.True(Code(Call(allow, 2, "config_get", new JsonObject { ["target"] = target, ["key"] = "a" })) == "permission_denied", target);
        Assert.Equal(0, allow.CloseAndWait());
    }

    [Fact]
    public void An_ssh_tool_cannot_smuggle_another_handles_verb_past_a_verb_pattern()
    {
        using var mcp = new McpProcess("--read-only", "--deny", "config.*");
        mcp.Initialize();
        // ssh.test is a read verb; its stage resolver would turn this target into config.set on the host.
        var env = Call(mcp, 1, "ssh_test", new JsonObject { ["target"] = "ssh://127.0.0.1:1/config:///tmp/x.yaml.set", ["key"] = "a", ["value"] = 1 });
        // Refused before anything runs: as another verb (permission_denied), or because ssh.test takes no key/value (usage).
        Assert.Contains(Code(env), new[] { "permission_denied", "usage" });
        Assert.False(File.Exists("/tmp/x.yaml"));
        Assert.Equal(0, mcp.CloseAndWait());
    }
}
