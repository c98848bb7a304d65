using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Git.GitAssert;

namespace Resh.Handles.Tests.Git;

/// <summary>clone, fetch, pull, push and ls-remote against git daemon, a file remote, the loopback sshd and a token-protected HTTP remote.</summary>
[Collection("git")]
public sealed class GitRemoteTests(GitBackend git)
{
    [Fact]
    public void Clone_over_ssh_with_a_branch_and_depth_then_fetch_sees_a_new_commit()
    {
        using var tmp = new TempDir("git-ssh");
        var bare = git.CopyBare("ssh-" + Guid.NewGuid().ToString("N")[..6]);
        var app = tmp["app"];
        var clone = G(git.SshEnv, app, "clone", $"url={git.SshUrl(bare)}", "branch=dev", "depth=1");
        Assert.True(clone.Changed, clone.ToString());
        Assert.Equal("dev", S(Ok(clone)["branch"]));
        Assert.Equal("1", GitBackend.Sh($"git -C {Shell.Q(app)} rev-list --count HEAD"));
        Assert.False(G(git.SshEnv, app, "clone", $"url={git.SshUrl(bare)}").Changed); // same remote: nothing to do

        GitBackend.Sh($"cd {Shell.Q(tmp.Path)} && git clone -q {Shell.Q(bare)} w && cd w && git checkout -q dev && echo n > n && git add n && git commit -qm n && git push -q origin dev");
        var fetch = G(git.SshEnv, app, "fetch");
        Assert.True(fetch.Changed, fetch.ToString());
        var upd = Ok(fetch)["updated"]!.AsArray();
        Assert.Contains(upd, u => S(u!["ref"]) == "refs/remotes/origin/dev" && S(u!["status"]) == "updated");
        Assert.False(G(git.SshEnv, app, "fetch").Changed);
    }

    [Fact]
    public void Ssh_key_is_the_identity_used_and_an_unknown_host_key_is_permission_denied()
    {
        using var tmp = new TempDir("git-sshkey");
        // The operator's ssh config knows the host but names no key: without ssh_key= the server refuses.
        var config = tmp.File("ssh_config", string.Join('\n', File.ReadAllLines(Path.Combine(git.Dir, "ssh_config"))
            .Where(l => !l.TrimStart().StartsWith("IdentityFile", StringComparison.Ordinal) && !l.TrimStart().StartsWith("IdentitiesOnly", StringComparison.Ordinal))) + "\n  IdentityFile /dev/null\n  IdentitiesOnly yes\n");
        var env = new Dictionary<string, string> { ["GIT_SSH_COMMAND"] = $"ssh -F {config}" };
        Fails(G(env, tmp["a"], "clone", $"url={git.SshUrl(git.Bare)}"), "permission_denied");
        var run = G(env, tmp["b"], "clone", $"url={git.SshUrl(git.Bare)}", $"ssh_key={Path.Combine(git.Dir, "client_ed25519")}");
        Assert.True(run.Changed, run.ToString());
        // No known host key at all: ssh refuses, resh says so and never accepts the key itself.
        var empty = tmp.File("ssh_config_nohost", $"Host *\n  UserKnownHostsFile {tmp["none"]}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n");
        var unknown = G(new Dictionary<string, string> { ["GIT_SSH_COMMAND"] = $"ssh -F {empty}" }, tmp["c"], "clone", $"url={git.SshUrl(git.Bare)}", $"ssh_key={Path.Combine(git.Dir, "client_ed25519")}");
        var err = Fails(unknown, "permission_denied");
        Assert.Contains("host key", err["message"]!.GetValue<string>());
    }

    [Fact]
    public void A_token_reaches_git_through_askpass_only_and_never_shows()
    {
        using var tmp = new TempDir("git-token");
        var app = tmp["app"];
        var askpassBefore = SecretDirs().ToHashSet();
        var run = G(app, "clone", $"url={git.HttpUrl}", $"token=file:{git.TokenFile}", "user=deploy");
        Assert.True(run.Changed, run.ToString());
        Assert.DoesNotContain(git.Token, run.Stdout + run.Stderr);
        Assert.DoesNotContain(git.Token, File.ReadAllText(Path.Combine(app, ".git", "config")));
        Assert.DoesNotContain(SecretDirs(), d => !askpassBefore.Contains(d)); // the helper is gone

        // Without it, or with a wrong one: permission_denied, no prompt, no hang.
        Fails(G(tmp["b"], "clone", $"url={git.HttpUrl}"), "permission_denied");
        var wrong = ReshBinary.Run([$"git://{tmp["c"]}.clone", $"url={git.HttpUrl}", "token=@-", "user=deploy"], stdin: "not-the-token\n");
        Fails(wrong, "permission_denied");
    }

    [Fact]
    public void A_password_in_the_url_is_taken_out_of_it_masked_everywhere_and_not_stored()
    {
        using var tmp = new TempDir("git-urlpw");
        var app = tmp["app"];
        var url = $"http://deploy:{git.Token}@127.0.0.1:{git.HttpPort}/app.git";
        var run = G(app, "ensure", $"url={url}", "ref=main");
        Assert.True(run.Changed, run.ToString());
        Assert.DoesNotContain(git.Token, run.Stdout + run.Stderr);
        Assert.Contains("http://***@127.0.0.1", S(run.Result!["url"]));
        var stored = File.ReadAllText(Path.Combine(app, ".git", "config"));
        Assert.DoesNotContain(git.Token, stored);
        Assert.Contains($"http://deploy@127.0.0.1:{git.HttpPort}/app.git", stored);
        // A failure quotes the URL: still masked.
        var bad = G(tmp["b"], "clone", $"url=http://deploy:{git.Token}@127.0.0.1:{LoopbackPorts.Free(1)[0]}/app.git");
        Fails(bad, "unavailable");
        Assert.DoesNotContain(git.Token, bad.Stdout + bad.Stderr);
    }

    [Fact]
    public void Push_to_a_file_remote_is_truthful_and_a_rejected_push_is_conflict()
    {
        using var tmp = new TempDir("git-push");
        var bare = git.CopyBare("push-" + Guid.NewGuid().ToString("N")[..6]);
        var a = tmp["a"];
        var b = tmp["b"];
        Ok(G(a, "clone", $"url=file://{bare}"));
        Ok(G(b, "clone", $"url={bare}"));
        File.WriteAllText(Path.Combine(a, "f.txt"), "from a\n");
        Ok(ReshBinary.Run([$"git://{a}.commit", "message=add f", "all=true"], env: GitBackend.Ident));

        var dry = G(a, "push", "--dry-run");
        Assert.True(dry.Changed, dry.ToString());
        Assert.NotEqual(GitBackend.Sh($"git -C {Shell.Q(a)} rev-parse HEAD"), GitBackend.Sh($"git -C {Shell.Q(bare)} rev-parse main"));
        var push = G(a, "push");
        Assert.True(push.Changed, push.ToString());
        var refs = Ok(push)["refs"]!.AsArray();
        Assert.Equal("refs/heads/main", S(refs[0]!["ref"]));
        Assert.Equal("updated", S(refs[0]!["status"]));
        Assert.Equal(GitBackend.Sh($"git -C {Shell.Q(a)} rev-parse HEAD"), GitBackend.Sh($"git -C {Shell.Q(bare)} rev-parse main"));
        Assert.False(G(a, "push").Changed);

        // b diverges: its push is rejected, then pull ff-only refuses, rebase works.
        File.WriteAllText(Path.Combine(b, "g.txt"), "from b\n");
        Ok(ReshBinary.Run([$"git://{b}.commit", "message=add g", "paths=g.txt"], env: GitBackend.Ident));
        var rejected = Fails(G(b, "push"), "conflict");
        Assert.Equal("rejected", S(rejected["details"]!["refs"]![0]!["status"]));
        Fails(G(b, "pull"), "conflict");
        var before = GitBackend.Sh($"git -C {Shell.Q(b)} rev-parse HEAD");
        Assert.Equal(before, GitBackend.Sh($"git -C {Shell.Q(b)} rev-parse HEAD"));
        var rebase = ReshBinary.Run([$"git://{b}.pull", "mode=rebase"], env: GitBackend.Ident);
        Assert.True(rebase.Changed, rebase.ToString());
        Assert.Equal("rebased", S(Ok(rebase)["action"]));
        Assert.True(File.Exists(Path.Combine(b, "f.txt")) && File.Exists(Path.Combine(b, "g.txt")));
        Assert.True(G(b, "push").Changed);

        // a is now behind: pull fast-forwards, and a second pull changes nothing.
        var ff = G(a, "pull");
        Assert.Equal("fast_forward", S(Ok(ff)["action"]));
        Assert.True(ff.Changed);
        Assert.False(G(a, "pull").Changed);
    }

    [Fact]
    public void Ls_remote_lists_branches_tags_and_head_from_a_url_target_or_url_argument()
    {
        var byTarget = Ok(ReshBinary.Run([$"git://{git.DaemonUrl}.ls-remote"]));
        Assert.Equal("main", S(byTarget["head"]));
        var names = byTarget["refs"]!.AsArray().Select(r => S(r!["name"])).ToList();
        Assert.Contains("refs/heads/dev", names);
        Assert.Contains("refs/tags/v1", names);
        var tag = byTarget["refs"]!.AsArray().First(r => S(r!["name"]) == "refs/tags/v1")!;
        Assert.Equal(GitBackend.Sh($"git -C {Shell.Q(git.Bare)} rev-parse v1^{{commit}}"), S(tag["peeled"]));

        var heads = Ok(ReshBinary.Run(["git://.ls-remote", $"url={git.DaemonUrl}", "heads=true"]));
        Assert.All(heads["refs"]!.AsArray(), r => Assert.StartsWith("refs/heads/", S(r!["name"])));
        Fails(ReshBinary.Run(["git://.ls-remote", $"url=git://127.0.0.1:{git.DaemonPort}/nope.git"]), "not_found");
        Fails(ReshBinary.Run(["git://.ls-remote"]), "usage");
        Fails(ReshBinary.Run(["git://.ls-remote", "url=--upload-pack=touch /tmp/x"]), "usage");
    }

    /// <summary>resh's private secret directories holding an askpass helper (with the token file), wherever SecretFile may put them.</summary>
    static string[] SecretDirs() =>
        [.. new[] { "/dev/shm", Path.GetTempPath(), "/tmp" }.Distinct().Where(Directory.Exists)
            .SelectMany(d => Directory.GetDirectories(d, "resh-secret-*")).Where(d => File.Exists(Path.Combine(d, "askpass")))];
}
