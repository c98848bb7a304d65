using Resh.Core.Model;
using Resh.Surfaces.Mcp;
using Xunit;

namespace Resh.Core.Tests.Surfaces;

/// <summary>Target patterns are matched against canonical forms of the target, so other spellings cannot dodge them.</summary>
public sealed class McpTargetTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("resh-mcp-target-").FullName;
    static readonly VerbInfo ConfigSet = Resh.Cli.HandleCatalog.Build().Find("config")!.FindVerb("set")!;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("/tmp/x/./a.yaml", "/tmp/x/a.yaml")]
    [InlineData("/tmp//x///a.yaml", "/tmp/x/a.yaml")]
    [InlineData("/tmp/y/../x/a.yaml", "/tmp/x/a.yaml")]
    [InlineData("/../../tmp/x/a.yaml", "/tmp/x/a.yaml")]
    [InlineData("/tmp/x/", "/tmp/x")]
    public void Lexical_collapses_dots_and_slashes(string path, string expected) => Assert.Equal(expected, McpTarget.Lexical(path));

    [Fact]
    public void Real_path_follows_symlinks_like_the_kernel()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "a", "b"));
        File.CreateSymbolicLink(Path.Combine(_dir, "l"), Path.Combine(_dir, "a", "b"));
        File.CreateSymbolicLink(Path.Combine(_dir, "rel"), "a/b");
        File.CreateSymbolicLink(Path.Combine(_dir, "loop"), Path.Combine(_dir, "loop"));
        // l/.. is a/, not the directory holding l.
        Assert.Equal(Path.Combine(_dir, "a", "f"), McpTarget.RealPath(_dir + "/l/../f"));
        Assert.Equal(Path.Combine(_dir, "a", "b", "new", "f"), McpTarget.RealPath(_dir + "/rel/new/./f"));
        Assert.Null(McpTarget.RealPath(_dir + "/loop/x"));
    }

    [Theory]
    [InlineData("/T/x/./mcp.yaml")]
    [InlineData("/T//x/mcp.yaml")]
    [InlineData("/T/y/../x/mcp.yaml")]
    [InlineData("/T/y/%2e%2e/x/mcp.yaml")]
    [InlineData("/T/x/%6dcp.yaml")]
    [InlineData("/T/link.yaml")]
    [InlineData("/T/dirlink/mcp.yaml")]
    public void A_deny_pattern_refuses_every_spelling_of_the_path(string spelled)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "x"));
        Directory.CreateDirectory(Path.Combine(_dir, "y"));
        var denied = Path.Combine(_dir, "x", "mcp.yaml");
        File.WriteAllText(denied, "a: 1\n");
        File.CreateSymbolicLink(Path.Combine(_dir, "link.yaml"), denied);
        File.CreateSymbolicLink(Path.Combine(_dir, "dirlink"), Path.Combine(_dir, "x"));
        var policy = new McpPolicy { Deny = [McpPolicy.Pattern.Parse($"config.*:config://{denied}")] };
        var body = spelled.Replace("/T", _dir);
        Assert.NotNull(policy.Refusal(ConfigSet, McpTarget.Of("config", body, "/home/u", remote: false), "config://" + body));
        Assert.Null(policy.Refusal(ConfigSet, McpTarget.Of("config", _dir + "/x/./other.yaml", "/home/u", remote: false), "shown"));
    }

    [Fact]
    public void An_allow_pattern_grants_only_when_every_form_matches()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "ok"));
        Directory.CreateDirectory(Path.Combine(_dir, "secret"));
        File.CreateSymbolicLink(Path.Combine(_dir, "ok", "s.yaml"), Path.Combine(_dir, "secret", "s.yaml"));
        var policy = new McpPolicy { Allow = [McpPolicy.Pattern.Parse($"config.*:config://{_dir}/ok/*.yaml")] };
        McpTarget T(string body) => McpTarget.Of("config", body, "/home/u", remote: false);
        Assert.Null(policy.Refusal(ConfigSet, T(_dir + "/ok/./a.yaml"), "shown"));
        Assert.NotNull(policy.Refusal(ConfigSet, T(_dir + "/ok/../secret/a.yaml"), "shown"));
        Assert.NotNull(policy.Refusal(ConfigSet, T(_dir + "/ok/%2e%2e/secret/a.yaml"), "shown"));
        Assert.NotNull(policy.Refusal(ConfigSet, T(_dir + "/ok/s.yaml"), "shown"));
    }

    [Fact]
    public void Home_and_relative_paths_are_made_absolute_and_remote_dot_dot_is_refused()
    {
        var policy = new McpPolicy { Deny = [McpPolicy.Pattern.Parse("config.*:config:///home/u/.ssh/**")] };
        Assert.NotNull(policy.Refusal(ConfigSet, McpTarget.Of("config", "~/.ssh/config", "/home/u", remote: false), "shown"));
        Assert.NotNull(policy.Refusal(ConfigSet, McpTarget.Of("config", "/home/u/x/../.ssh/config", "/home/u", remote: true), "shown"));
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, "/home/u/.ssh/config");
        Assert.NotNull(policy.Refusal(ConfigSet, McpTarget.Of("config", rel, "/home/u", remote: false), "shown"));
        // A relative path on another host cannot be resolved here: with `..` it is refused outright.
        var refused = policy.Refusal(ConfigSet, McpTarget.Of("config", "x/../.ssh/config", "/home/u", remote: true), "shown");
        Assert.NotNull(refused);
        Assert.Contains("..", refused!.Message);
        Assert.NotNull(refused.Hint);
        // Without a target pattern, nothing changes.
        Assert.Null(new McpPolicy().Refusal(ConfigSet, McpTarget.Of("config", "x/../y", "/home/u", remote: true), "shown"));
    }
}
