using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Plugin.Sources;

/// <summary>
/// Issue 17 / review s35: install sources are bounded (an archive or a git clone of more than 10,000 files or 512 MiB is
/// refused, the clone stopped while git writes it), and token= (secret-typed, for private https sources) never goes out
/// over plain http and never shows in output.
/// </summary>
public sealed class PluginSourceLimitTests : IDisposable
{
    const string Token = "ghp-limit-test-7c1d90aa";
    readonly PluginKit _kit = new();
    public void Dispose() => _kit.Dispose();

    /// <summary>The sample bash plugin with 10,001 small files beside it.</summary>
    string Crowded()
    {
        var dir = Pack.Sample(_kit["crowded"], "1.0.0");
        RegistryServer.Sh($"mkdir -p {Shell.Q(dir)}/junk && cd {Shell.Q(dir)}/junk && seq 1 10001 | xargs touch");
        return dir;
    }

    [Fact]
    public void An_archive_of_more_than_the_file_bound_is_refused()
    {
        // archive://'s extractor stops at 10,000 entries (its max_entries); for a plugin source that is the policy bound:
        // permission_denied, as for a git clone and as docs/plugins.md says (s37 user #12: it was `failed`).
        var dir = Crowded();
        var tgz = _kit["crowded.tgz"];
        Pack.TarGz(dir, tgz, topFolder: true);
        var run = _kit.Install(tgz);
        Assert.False(run.Ok);
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("more than 10000 entries", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("hello-bash", _kit.Resh("plugin://.list").Stdout);
    }

    [Fact]
    public void A_git_clone_of_more_than_the_file_bound_is_refused()
    {
        var dir = Crowded();
        RegistryServer.Sh($"cd {Shell.Q(dir)} && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm all");
        var run = _kit.Install("git+file://" + dir);
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Contains("more than 10000 files", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("hello-bash", _kit.Resh("plugin://.list").Stdout);
    }

    [Fact]
    public void A_token_is_never_sent_over_plain_http_nor_shown()
    {
        var run = _kit.Install("http://127.0.0.1:9/hello.tgz", "sha256=" + new string('a', 64), $"token={Token}");
        Assert.Equal("usage", run.ErrorCode);
        Assert.Contains("only over https", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain(Token, run.Stdout + run.Stderr);
        var schema = _kit.Resh("schema", "plugin.install");
        Assert.Contains("token", schema.Stdout);
        // s36 user #2: a git source over plain http sent the token as Basic auth; refused before git starts.
        foreach (var from in new[] { "git+http://127.0.0.1:9/p.git", "git://127.0.0.1:9/p.git" })
        {
            var git = _kit.Install(from, $"token={Token}");
            Assert.True(git.ErrorCode == "usage", from + ": " + git);
            Assert.Contains("only over https", git.Envelope["error"]!["message"]!.GetValue<string>());
            Assert.DoesNotContain(Token, git.Stdout + git.Stderr);
        }
    }
}
