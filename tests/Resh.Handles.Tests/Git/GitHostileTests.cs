using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Git.GitAssert;

namespace Resh.Handles.Tests.Git;

/// <summary>
/// A repository's config and hooks are input someone else may control. resh must not run them on read verbs (nor hooks
/// on write verbs unless hooks=true), as root and as an unprivileged user, and must refuse a repository owned by another
/// user the way git does (safe.directory) with a clear envelope. Each test first proves plain git would run the payload.
/// </summary>
[Collection("git")]
public sealed class GitHostileTests
{
    /// <summary>A repository whose config runs an fsmonitor command and whose hooks write marker files.</summary>
    static string EvilRepo(string root, string marker)
    {
        var repo = Path.Combine(root, "evil");
        GitBackend.Sh($"git init -q -b main {Shell.Q(repo)} && cd {Shell.Q(repo)} && echo a > a && git add a && git commit -qm a && echo b >> a");
        GitBackend.Sh($"git -C {Shell.Q(repo)} config core.fsmonitor {Shell.Q($"touch {marker}.fsmonitor; false")}");
        foreach (var hook in new[] { "post-checkout", "pre-commit", "post-commit", "reference-transaction", "post-index-change" })
        {
            var path = Path.Combine(repo, ".git", "hooks", hook);
            File.WriteAllText(path, $"#!/bin/sh\ntouch {marker}.{hook}\n");
            File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
        }
        return repo;
    }

    static string[] Markers(string marker) => Directory.GetFiles(Path.GetDirectoryName(marker)!, Path.GetFileName(marker) + ".*");

    [Fact]
    public void Plain_git_runs_the_payload_which_proves_the_test_can_fail()
    {
        using var tmp = new TempDir("git-evil-proof");
        var marker = tmp["marker"];
        var repo = EvilRepo(tmp.Path, marker);
        GitBackend.Sh($"git -C {Shell.Q(repo)} status >/dev/null 2>&1 || true");
        Assert.NotEmpty(Markers(marker));
    }

    [Fact]
    public void Read_and_write_verbs_as_root_run_no_fsmonitor_and_no_hooks()
    {
        using var tmp = new TempDir("git-evil-root");
        var marker = tmp["marker"];
        var repo = EvilRepo(tmp.Path, marker);
        Ok(G(repo, "status"));
        Ok(G(repo, "log"));
        Ok(G(repo, "diff"));
        Ok(G(repo, "branch.list"));
        Ok(G(repo, "checkout", "ref=side", "create=true"));
        Ok(ReshBinary.Run([$"git://{repo}.commit", "message=m", "all=true"], env: GitBackend.Ident));
        Assert.Empty(Markers(marker));
        // hooks=true is the explicit ask.
        File.AppendAllText(Path.Combine(repo, "a"), "c\n");
        Ok(ReshBinary.Run([$"git://{repo}.commit", "message=m2", "all=true", "hooks=true"], env: GitBackend.Ident));
        Assert.Contains(Markers(marker), m => m.EndsWith(".pre-commit", StringComparison.Ordinal));
    }

    [Fact]
    public void A_repository_owned_by_another_user_is_refused_as_permission_denied_and_runs_nothing()
    {
        using var tmp = new TempDir("git-evil-owner");
        var marker = tmp["marker"];
        var repo = EvilRepo(tmp.Path, marker);
        GitBackend.Sh($"chown -R nobody {Shell.Q(repo)}");
        var status = Fails(G(repo, "status"), "permission_denied");
        Assert.Contains("safe.directory", status["hint"]!.GetValue<string>());
        Fails(G(repo, "log"), "permission_denied");
        Fails(G(repo, "ensure", "url=file:///nowhere"), "permission_denied");
        Assert.Empty(Markers(marker));
    }

    [Fact]
    public void An_unprivileged_user_on_their_own_hostile_repository_runs_nothing_either()
    {
        using var tmp = new TempDir("git-evil-user");
        File.SetUnixFileMode(tmp.Path, (UnixFileMode)0x1ff);
        var marker = tmp["marker"];
        var repo = EvilRepo(tmp.Path, marker);
        GitBackend.Sh($"chown -R nobody {Shell.Q(repo)}");
        var home = tmp["home"];
        Directory.CreateDirectory(home);
        GitBackend.Sh($"chown nobody {Shell.Q(home)}");
        var run = Shell.Run($"cd / && HOME={Shell.Q(home)} RESH_HOME={Shell.Q(home)} runuser -u nobody -- \"$RESH\" {Shell.Q($"git://{repo}.status")}; " +
                            $"HOME={Shell.Q(home)} RESH_HOME={Shell.Q(home)} runuser -u nobody -- \"$RESH\" {Shell.Q($"git://{repo}.log")} >/dev/null");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("\"ok\":true", run.Stdout);
        Assert.Contains("\"clean\":false", run.Stdout);
        Assert.Empty(Markers(marker));
        // The same user with plain git would have run it.
        Shell.Run($"cd / && HOME={Shell.Q(home)} runuser -u nobody -- git -C {Shell.Q(repo)} status >/dev/null 2>&1");
        Assert.NotEmpty(Markers(marker));
    }

    [Fact]
    public void A_path_with_a_newline_is_one_path_everywhere()
    {
        using var tmp = new TempDir("git-newline");
        var repo = tmp["r"];
        GitBackend.Sh($"git init -q -b main {Shell.Q(repo)} && cd {Shell.Q(repo)} && echo a > a && git add a && git commit -qm a");
        var odd = "two\nlines.txt";
        File.WriteAllText(Path.Combine(repo, odd), "x\n");
        var s = Ok(G(repo, "status", "untracked=all"));
        Assert.Equal(odd, S(s["untracked"]![0]));
        var commit = ReshBinary.Run([$"git://{repo}.commit", "message=odd", "all=true"], env: GitBackend.Ident);
        Assert.Equal(odd, S(Ok(commit)["files"]![0]!["path"]));
        File.AppendAllText(Path.Combine(repo, odd), "y\n");
        var d = Ok(G(repo, "diff"));
        Assert.Equal(odd, S(d["files"]![0]!["path"]));
    }
}
