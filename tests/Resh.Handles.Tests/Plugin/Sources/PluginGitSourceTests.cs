using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin.Sources;

/// <summary>plugin://.install from git+file:// repositories (branch and tag), update after a new commit, and refused URLs.</summary>
public sealed class PluginGitSourceTests
{
    static readonly Dictionary<string, string> Ident = new()
    {
        ["GIT_AUTHOR_NAME"] = "Tester", ["GIT_AUTHOR_EMAIL"] = "t@example.com", ["GIT_COMMITTER_NAME"] = "Tester", ["GIT_COMMITTER_EMAIL"] = "t@example.com",
    };

    static void Git(string script)
    {
        var run = Shell.Run(script, env: Ident);
        if (run.ExitCode != 0) throw new InvalidOperationException(run.ToString());
    }

    [Fact]
    public void A_git_url_installs_at_a_tag_or_the_default_branch_and_update_follows_new_commits()
    {
        using var kit = new SourceKit();
        var repo = kit["repo"];
        Directory.CreateDirectory(repo);
        var src = Pack.Sample(kit["v1"], "1.0.0");
        RegistryServer.Sh($"cp -a {Shell.Q(src)}/. {Shell.Q(repo)}/");
        Git($"cd {Shell.Q(repo)} && git init -q -b main && git add -A && git commit -qm v1 && git tag v1.0.0");
        // A hook in the source repository must never run (clones do not carry hooks; resh also turns them off).
        File.WriteAllText(Path.Combine(repo, ".git", "hooks", "post-checkout"), $"#!/bin/sh\ntouch {kit["hook-ran"]}\n");
        File.SetUnixFileMode(Path.Combine(repo, ".git", "hooks", "post-checkout"), (UnixFileMode)0x1ed);

        var install = kit.Resh("plugin://.install", $"from=git+file://{repo}");
        Assert.Equal("1.0.0", kit.Ok(install)["version"]!.GetValue<string>());
        Assert.False(File.Exists(kit["hook-ran"]));
        Assert.False(Directory.Exists(Path.Combine(kit.Home, "plugins", "hello-bash", ".git")));
        Assert.Equal("hello ann from x", kit.Ok(kit.Resh("hellob://x.greet", "name=ann"))["message"]!.GetValue<string>());

        // A new commit with a higher version: update takes it; then nothing more.
        var v2 = Pack.Sample(kit["v2"], "1.1.0");
        File.Copy(Path.Combine(v2, "plugin.json"), Path.Combine(repo, "plugin.json"), overwrite: true);
        Git($"cd {Shell.Q(repo)} && git commit -qam v1.1.0");
        var dry = kit.Resh("plugin://hello-bash.update", "--dry-run");
        Assert.True(dry.Changed, dry.ToString());
        Assert.Equal("1.1.0", kit.Ok(dry)["plugins"]![0]!["to"]!.GetValue<string>());
        Assert.Equal("1.0.0", kit.Installed());
        var up = kit.Resh("plugin://hello-bash.update");
        Assert.True(up.Changed, up.ToString());
        Assert.Equal("1.1.0", kit.Installed());
        Assert.False(kit.Resh("plugin://hello-bash.update").Changed);

        // Pinned to the tag: the tag's version, and update stays there.
        using var pinned = new SourceKit();
        Assert.Equal("1.0.0", pinned.Ok(pinned.Resh("plugin://.install", $"from=git+file://{repo}#v1.0.0"))["version"]!.GetValue<string>());
        var stay = pinned.Resh("plugin://hello-bash.update");
        Assert.False(stay.Changed, stay.ToString());
        pinned.Fails(pinned.Resh("plugin://.install", $"from=git+file://{repo}#no-such-tag"), "not_found", 3);

        // A full commit id is fetched by id.
        using var byId = new SourceKit();
        var first = Shell.Run($"git -C {Shell.Q(repo)} rev-parse v1.0.0^{{commit}}").Stdout.Trim();
        Assert.Equal("1.0.0", byId.Ok(byId.Resh("plugin://.install", $"from=git+file://{repo}#{first}"))["version"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("git+ext::sh -c touch% /tmp/pwned")]
    [InlineData("git+fd::3")]
    [InlineData("git+-upload-pack=touch /tmp/x")]
    [InlineData("git+file:///tmp/x#--upload-pack=x")]
    public void Dangerous_git_urls_are_usage_errors(string from)
    {
        using var kit = new SourceKit();
        kit.Fails(kit.Resh("plugin://.install", $"from={from}"), "usage", 2);
        Assert.Null(kit.Installed());
    }

    [Fact]
    public void A_repository_that_does_not_exist_is_not_found()
    {
        using var kit = new SourceKit();
        var run = kit.Resh("plugin://.install", $"from=git+file://{kit["nothing-here"]}");
        Assert.False(run.Ok);
        Assert.Contains(run.ErrorCode, new[] { "not_found", "unavailable" });
        Assert.Null(kit.Installed());
    }
}
