using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Git.GitAssert;

namespace Resh.Handles.Tests.Git;

[Collection("git")]
public sealed class GitEnsureTests(GitBackend git)
{
    [Fact]
    public void The_issue_calls_ensure_status_and_log_work_as_written()
    {
        using var tmp = new TempDir("git-issue");
        var app = tmp["srv/app"];
        // ./resh 'git:///srv/app.ensure(url=git://127.0.0.1:9418/app.git,ref=main)'
        var first = ReshBinary.Run([$"git://{app}.ensure(url={git.DaemonUrl},ref=main)"]);
        var r = Ok(first);
        Assert.True(first.Changed);
        Assert.Equal("cloned", S(r["action"]));
        var main = GitBackend.Sh($"git -C {Shell.Q(git.Bare)} rev-parse main");
        Assert.Equal(main, S(r["after"]));
        Assert.Equal(main, GitBackend.Sh($"git -C {Shell.Q(app)} rev-parse HEAD"));
        Assert.Equal("one\ntwo", File.ReadAllText(Path.Combine(app, "README")).Trim());

        var again = ReshBinary.Run([$"git://{app}.ensure(url={git.DaemonUrl},ref=main)"]);
        Assert.False(again.Changed, again.ToString());
        Assert.Equal("unchanged", S(Ok(again)["action"]));

        // ./resh git:///srv/app.status
        var status = Ok(ReshBinary.Run([$"git://{app}.status"]));
        Assert.Equal("main", S(status["branch"]));
        Assert.Equal("origin/main", S(status["upstream"]));
        Assert.Equal(0, status["ahead"]!.GetValue<int>());
        Assert.True(status["clean"]!.GetValue<bool>());

        // ./resh git:///srv/app.log count=5
        var log = Ok(ReshBinary.Run([$"git://{app}.log", "count=5"]));
        Assert.Equal(2, log["count"]!.GetValue<int>());
        var commits = log["commits"]!.AsArray();
        Assert.Equal("second commit", S(commits[0]!["subject"]));
        Assert.Equal("with a body", S(commits[0]!["body"]));
        Assert.Equal(S(commits[1]!["hash"]), S(commits[0]!["parents"]![0]));
        Assert.Empty(commits[1]!["parents"]!.AsArray());
        Assert.Equal("Seed", S(commits[0]!["author"]));
        Assert.True(DateTimeOffset.TryParse(S(commits[0]!["date"]), out _));
    }

    [Fact]
    public void Ensure_follows_the_remote_and_dry_run_reports_the_move_without_making_it()
    {
        using var tmp = new TempDir("git-follow");
        var bare = git.CopyBare("follow-" + Guid.NewGuid().ToString("N")[..6]);
        var url = $"git://127.0.0.1:{git.DaemonPort}/{Path.GetFileName(bare)}";
        var app = tmp["app"];
        Ok(G(app, "ensure", $"url={url}", "ref=main"));
        var before = GitBackend.Sh($"git -C {Shell.Q(app)} rev-parse HEAD");
        // Someone pushes a new commit.
        var work = tmp["work"];
        GitBackend.Sh($"git clone -q {Shell.Q(bare)} {Shell.Q(work)} && cd {Shell.Q(work)} && echo three >> README && git commit -qam third && git push -q origin main");
        var pushed = GitBackend.Sh($"git -C {Shell.Q(bare)} rev-parse main");

        var dry = ReshBinary.Run([$"git://{app}.ensure", $"url={url}", "ref=main", "--dry-run"]);
        Assert.True(dry.Changed, dry.ToString());
        Assert.Equal("would_check_out", S(Ok(dry)["action"]));
        Assert.Equal(pushed, S(dry.Result!["after"]));
        Assert.Equal(before, GitBackend.Sh($"git -C {Shell.Q(app)} rev-parse HEAD"));
        Assert.Equal(before, GitBackend.Sh($"git -C {Shell.Q(app)} rev-parse origin/main")); // nothing fetched

        var run = G(app, "ensure", $"url={url}", "ref=main");
        Assert.True(run.Changed, run.ToString());
        Assert.Equal(before, S(Ok(run)["before"]));
        Assert.Equal(pushed, S(run.Result!["after"]));
        Assert.Equal(pushed, GitBackend.Sh($"git -C {Shell.Q(app)} rev-parse HEAD"));
        Assert.Contains("three", File.ReadAllText(Path.Combine(app, "README")));
        Assert.False(G(app, "ensure", $"url={url}", "ref=main").Changed);
    }

    [Fact]
    public void Ensure_checks_out_a_tag_or_a_commit_detached_and_a_branch_attached()
    {
        using var tmp = new TempDir("git-refs");
        var app = tmp["app"];
        var v1 = GitBackend.Sh($"git -C {Shell.Q(git.Bare)} rev-parse v1^{{commit}}");
        var tag = Ok(G(app, "ensure", $"url={git.DaemonUrl}", "ref=v1"));
        Assert.Equal(v1, S(tag["after"]));
        Assert.Null(Ok(G(app, "status"))["branch"]);
        Assert.True(Ok(G(app, "status"))["detached"]!.GetValue<bool>());

        var main = GitBackend.Sh($"git -C {Shell.Q(git.Bare)} rev-parse main");
        var toMain = G(app, "ensure", $"url={git.DaemonUrl}", "ref=main");
        Assert.True(toMain.Changed);
        Assert.Equal("main", S(Ok(toMain)["branch"]));

        var bySha = G(app, "ensure", $"url={git.DaemonUrl}", $"ref={v1}");
        Assert.True(bySha.Changed, bySha.ToString());
        Assert.Equal(v1, GitBackend.Sh($"git -C {Shell.Q(app)} rev-parse HEAD"));

        using var tmp2 = new TempDir("git-sha-clone");
        var fresh = Ok(G(tmp2["app"], "ensure", $"url={git.DaemonUrl}", $"ref={v1}"));
        Assert.Equal(v1, S(fresh["after"]));
    }

    [Fact]
    public void Ensure_refuses_a_dirty_tree_unless_force_and_then_discards_the_change()
    {
        using var tmp = new TempDir("git-dirty");
        var app = tmp["app"];
        Ok(G(app, "ensure", $"url={git.DaemonUrl}", "ref=main"));
        File.AppendAllText(Path.Combine(app, "README"), "local edit\n");
        var refused = G(app, "ensure", $"url={git.DaemonUrl}", "ref=v1");
        var err = Fails(refused, "conflict");
        Assert.Equal("README", S(err["details"]!["paths"]![0]));
        Assert.Contains("local edit", File.ReadAllText(Path.Combine(app, "README")));

        var forced = G(app, "ensure", $"url={git.DaemonUrl}", "ref=main", "force=true");
        Assert.True(forced.Changed, forced.ToString()); // HEAD did not move, but the tree was reset
        Assert.DoesNotContain("local edit", File.ReadAllText(Path.Combine(app, "README")));
    }

    [Fact]
    public void Ensure_refuses_a_directory_that_is_not_a_clone_a_different_origin_and_a_missing_ref()
    {
        using var tmp = new TempDir("git-notclone");
        var dir = tmp["occupied"];
        tmp.File("occupied/keep.txt", "mine");
        Fails(G(dir, "ensure", $"url={git.DaemonUrl}"), "conflict");
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "keep.txt")));

        // A directory inside another repository is not a clone of its own.
        var outer = tmp["outer"];
        GitBackend.Sh($"git init -q {Shell.Q(outer)} && mkdir {Shell.Q(outer)}/sub && touch {Shell.Q(outer)}/sub/x");
        Fails(G(Path.Combine(outer, "sub"), "ensure", $"url={git.DaemonUrl}"), "conflict");

        var app = tmp["app"];
        Ok(G(app, "ensure", $"url={git.DaemonUrl}"));
        Fails(G(app, "ensure", $"url=file://{git.Bare}"), "conflict");
        Fails(G(app, "ensure", $"url={git.DaemonUrl}", "ref=no-such-branch"), "not_found");
        Fails(G(tmp["fresh"], "ensure", $"url={git.DaemonUrl}", "ref=no-such-branch"), "not_found");
        Assert.False(Directory.Exists(tmp["fresh"]) && Directory.EnumerateFileSystemEntries(tmp["fresh"]).Any());
    }

    [Fact]
    public void Ensure_refuses_to_drop_local_commits_unless_force()
    {
        using var tmp = new TempDir("git-ahead");
        var app = tmp["app"];
        Ok(G(app, "ensure", $"url={git.DaemonUrl}", "ref=main"));
        GitBackend.Sh($"cd {Shell.Q(app)} && echo x > local && git add local && git commit -qm local");
        var local = GitBackend.Sh($"git -C {Shell.Q(app)} rev-parse HEAD");
        // Check out another ref, then come back to main: the local commit must not be lost silently.
        Ok(G(app, "ensure", $"url={git.DaemonUrl}", "ref=v1"));
        Fails(G(app, "ensure", $"url={git.DaemonUrl}", "ref=main"), "conflict");
        Assert.Equal(local, GitBackend.Sh($"git -C {Shell.Q(app)} rev-parse refs/heads/main"));
        Ok(G(app, "ensure", $"url={git.DaemonUrl}", "ref=main", "force=true"));
        Assert.Equal(GitBackend.Sh($"git -C {Shell.Q(git.Bare)} rev-parse main"), GitBackend.Sh($"git -C {Shell.Q(app)} rev-parse HEAD"));
    }

    [Fact]
    public void An_unreachable_remote_is_unavailable_and_a_hanging_one_is_bounded_by_timeout()
    {
        using var tmp = new TempDir("git-unreach");
        var port = LoopbackPorts.Free(1)[0];
        Fails(G(tmp["a"], "ensure", $"url=git://127.0.0.1:{port}/app.git"), "unavailable");
        Assert.False(Directory.Exists(tmp["a"]));

        // A server that accepts and never answers.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var hang = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = ReshBinary.Run([$"git://{tmp["b"]}.clone", $"url=git://127.0.0.1:{hang}/app.git", "--timeout", "2s"], wait: TimeSpan.FromSeconds(30));
        Assert.Equal("timeout", run.ErrorCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), clock.Elapsed.ToString());
    }
}
