using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Git.GitAssert;

namespace Resh.Handles.Tests.Git;

/// <summary>The local verbs on a real working tree: status, diff, commit, branches, tags, checkout, reset, stash, remotes, clean.</summary>
[Collection("git")]
public sealed class GitTreeTests(GitBackend git)
{
    static string Repo(TempDir tmp)
    {
        var path = tmp["repo"];
        GitBackend.Sh($"git init -q -b main {Shell.Q(path)} && cd {Shell.Q(path)} && printf 'a\\nb\\nc\\n' > a.txt && echo x > gone.txt && echo r > old.txt && git add . && git commit -qm base");
        return path;
    }

    [Fact]
    public void Status_reports_staged_unstaged_untracked_renamed_and_conflicted_paths_as_data()
    {
        using var tmp = new TempDir("git-status");
        var repo = Repo(tmp);
        GitBackend.Sh($"cd {Shell.Q(repo)} && echo d >> a.txt && git rm -q gone.txt && git mv old.txt new.txt && echo u > untracked.txt && printf 'a\\nb\\nc\\nd\\ne\\n' > a.txt && git add a.txt && echo f >> a.txt");
        var s = Ok(G(repo, "status"));
        Assert.False(s["clean"]!.GetValue<bool>());
        var staged = s["staged"]!.AsArray().ToDictionary(x => S(x!["path"]), x => S(x!["status"]));
        Assert.Equal("modified", staged["a.txt"]);
        Assert.Equal("deleted", staged["gone.txt"]);
        Assert.Equal("renamed", staged["new.txt"]);
        Assert.Equal("old.txt", S(s["staged"]!.AsArray().First(x => S(x!["path"]) == "new.txt")!["from"]));
        Assert.Equal("modified", S(s["unstaged"]!.AsArray().Single()!["status"]));
        Assert.Equal("untracked.txt", S(s["untracked"]![0]));

        // A merge conflict.
        using var tmp2 = new TempDir("git-conflict");
        var c = Repo(tmp2);
        GitBackend.Sh($"cd {Shell.Q(c)} && git checkout -qb other && echo other > a.txt && git commit -qam other && git checkout -q main && echo main > a.txt && git commit -qam main && (git merge -q other >/dev/null 2>&1 || true)");
        var cs = Ok(G(c, "status"));
        Assert.Equal("both_modified", S(cs["conflicted"]![0]!["kind"]));
        Assert.Equal("a.txt", S(cs["conflicted"]![0]!["path"]));
    }

    [Fact]
    public void Diff_gives_numbers_and_unified_text_for_the_tree_the_index_and_two_revisions()
    {
        using var tmp = new TempDir("git-diff");
        var repo = Repo(tmp);
        GitBackend.Sh($"cd {Shell.Q(repo)} && printf 'a\\nB\\nc\\nd\\n' > a.txt && printf 'bin\\000ary\\000' > bin.dat && git add bin.dat");
        var d = Ok(G(repo, "diff"));
        var file = d["files"]!.AsArray().Single()!;
        Assert.Equal("a.txt", S(file["path"]));
        Assert.Equal(2, file["added"]!.GetValue<long>());
        Assert.Equal(1, file["deleted"]!.GetValue<long>());
        Assert.Contains("-b\n+B\n", S(d["diff"]));
        var staged = Ok(G(repo, "diff", "staged=true"));
        Assert.True(staged["files"]!.AsArray().Single()!["binary"]!.GetValue<bool>());
        Assert.Null(staged["files"]![0]!["added"]);

        GitBackend.Sh($"cd {Shell.Q(repo)} && git commit -qam two && git tag t2");
        var range = Ok(ReshBinary.Run([$"git://{repo}.diff(from=HEAD~1,to=t2)"]));
        Assert.Equal(2, range["files_changed"]!.GetValue<int>());
        Fails(G(repo, "diff", "from=no-such-rev"), "not_found");
    }

    [Fact]
    public void Commit_records_paths_or_everything_and_nothing_to_commit_is_unchanged()
    {
        using var tmp = new TempDir("git-commit");
        var repo = Repo(tmp);
        Assert.False(G(repo, "commit", "message=nothing", "author=A <a@example.com>").Changed);
        File.WriteAllText(Path.Combine(repo, "one.txt"), "1");
        File.WriteAllText(Path.Combine(repo, "two.txt"), "2");
        var dry = G(repo, "commit", "message=one", "paths=one.txt", "author=A <a@example.com>", "--dry-run");
        Assert.True(dry.Changed, dry.ToString());
        Assert.Equal("one.txt", S(Ok(dry)["files"]![0]!["path"]));
        Assert.Equal("0", GitBackend.Sh($"git -C {Shell.Q(repo)} diff --cached --name-only | wc -l"));

        var one = G(repo, "commit", "message=one\n\nthe body", "paths=one.txt", "author=Alice <alice@example.com>");
        Assert.True(one.Changed, one.ToString());
        Assert.Equal(GitBackend.Sh($"git -C {Shell.Q(repo)} rev-parse HEAD"), S(Ok(one)["commit"]));
        Assert.Equal("Alice <alice@example.com>", GitBackend.Sh($"git -C {Shell.Q(repo)} log -1 --format='%an <%ae>'"));
        Assert.Equal("the body", GitBackend.Sh($"git -C {Shell.Q(repo)} log -1 --format=%b"));
        Assert.Equal("two.txt", GitBackend.Sh($"git -C {Shell.Q(repo)} status --porcelain | cut -c4-"));

        File.Delete(Path.Combine(repo, "a.txt"));
        File.WriteAllText(Path.Combine(repo, "one.txt"), "1 changed");
        // The dry run of all=true names each path as the commit would record it (git add --dry-run says "add" for all).
        var dryAll = ReshBinary.Run([$"git://{repo}.commit", "message=-rest", "all=true", "--dry-run"], env: GitBackend.Ident);
        var planned = Ok(dryAll)["files"]!.AsArray().ToDictionary(x => S(x!["path"]), x => S(x!["status"]));
        Assert.Equal("added", planned["two.txt"]);
        Assert.Equal("modified", planned["one.txt"]);
        Assert.Equal("deleted", planned["a.txt"]);
        var all = ReshBinary.Run([$"git://{repo}.commit", "message=-rest", "all=true"], env: GitBackend.Ident);
        var files = Ok(all)["files"]!.AsArray().ToDictionary(x => S(x!["path"]), x => S(x!["status"]));
        Assert.Equal("added", files["two.txt"]);
        Assert.Equal("modified", files["one.txt"]);
        Assert.Equal("deleted", files["a.txt"]);
        Assert.Equal("-rest", GitBackend.Sh($"git -C {Shell.Q(repo)} log -1 --format=%s"));
        Assert.Equal("", GitBackend.Sh($"git -C {Shell.Q(repo)} status --porcelain"));
        Fails(G(repo, "commit", "message=x", "author=nobody"), "usage");
    }

    [Fact]
    public void Branches_and_tags_are_idempotent_and_names_that_look_like_options_are_refused()
    {
        using var tmp = new TempDir("git-refs");
        var repo = Repo(tmp);
        var head = GitBackend.Sh($"git -C {Shell.Q(repo)} rev-parse HEAD");
        Assert.True(G(repo, "branch.create", "name=feature").Changed);
        Assert.False(G(repo, "branch.create", "name=feature").Changed);
        var list = Ok(G(repo, "branch.list"))["branches"]!.AsArray();
        Assert.Contains(list, b => S(b!["name"]) == "feature" && S(b!["commit"]) == head && !b!["current"]!.GetValue<bool>());
        Assert.Contains(list, b => S(b!["name"]) == "main" && b!["current"]!.GetValue<bool>());
        Fails(G(repo, "branch.create", "name=-D"), "usage");
        Fails(G(repo, "branch.create", "name=--force"), "usage");
        Fails(G(repo, "branch.delete", "name=main"), "conflict");
        Assert.True(G(repo, "branch.delete", "name=feature").Changed);
        Assert.False(G(repo, "branch.delete", "name=feature").Changed);

        var tag = ReshBinary.Run([$"git://{repo}.tag.create", "name=v1.0", "message=Release 1.0"], env: GitBackend.Ident);
        Assert.True(tag.Changed, tag.ToString());
        Assert.False(G(repo, "tag.create", "name=v1.0").Changed);
        var tags = Ok(G(repo, "tag.list"))["tags"]!.AsArray();
        Assert.True(tags[0]!["annotated"]!.GetValue<bool>());
        Assert.Equal(head, S(tags[0]!["commit"]));
        Assert.Equal("Release 1.0", S(tags[0]!["subject"]));
        GitBackend.Sh($"cd {Shell.Q(repo)} && git commit -q --allow-empty -m next");
        Fails(G(repo, "tag.create", "name=v1.0"), "conflict");
        Fails(G(repo, "tag.create", "name=-v2"), "usage");
        Assert.True(G(repo, "tag.delete", "name=v1.0").Changed);
        Assert.False(G(repo, "tag.delete", "name=v1.0").Changed);
    }

    [Fact]
    public void Revisions_that_look_like_options_are_revisions_never_options()
    {
        using var tmp = new TempDir("git-eoo");
        var repo = Repo(tmp);
        var outFile = tmp["written-by-git"];
        Fails(G(repo, "log", $"ref=--output={outFile}"), "not_found");
        Fails(G(repo, "diff", $"from=--output={outFile}"), "not_found");
        Fails(G(repo, "checkout", $"ref=--orphan=x"), "not_found");
        Fails(G(repo, "reset", $"ref=--hard"), "not_found");
        Assert.False(File.Exists(outFile));
        Assert.Equal("main", GitBackend.Sh($"git -C {Shell.Q(repo)} branch --show-current"));
    }

    [Fact]
    public void Checkout_and_reset_move_head_truthfully_and_reset_hard_needs_force()
    {
        using var tmp = new TempDir("git-checkout");
        var repo = Repo(tmp);
        var baseCommit = GitBackend.Sh($"git -C {Shell.Q(repo)} rev-parse HEAD");
        GitBackend.Sh($"cd {Shell.Q(repo)} && echo more >> a.txt && git commit -qam more");
        var co = G(repo, "checkout", "ref=feature", "create=true");
        Assert.True(co.Changed, co.ToString());
        Assert.Equal("feature", S(Ok(co)["branch"]));
        Assert.False(G(repo, "checkout", "ref=feature").Changed);
        Assert.True(G(repo, "checkout", "ref=main").Changed);

        File.AppendAllText(Path.Combine(repo, "a.txt"), "dirty\n");
        Fails(G(repo, "reset", "ref=HEAD~1", "mode=hard"), "usage");
        Assert.Contains("dirty", File.ReadAllText(Path.Combine(repo, "a.txt")));
        var hard = G(repo, "reset", "ref=HEAD~1", "mode=hard", "force=true");
        Assert.True(hard.Changed, hard.ToString());
        Assert.Equal(baseCommit, GitBackend.Sh($"git -C {Shell.Q(repo)} rev-parse HEAD"));
        Assert.DoesNotContain("dirty", File.ReadAllText(Path.Combine(repo, "a.txt")));
        Assert.False(G(repo, "reset", "mode=hard", "force=true").Changed);

        File.AppendAllText(Path.Combine(repo, "a.txt"), "local\n");
        GitBackend.Sh($"git -C {Shell.Q(repo)} stash -q && git -C {Shell.Q(repo)} checkout -q feature && echo conflicting > {Shell.Q(repo)}/a.txt");
        Fails(G(repo, "checkout", "ref=main"), "conflict");
    }

    [Fact]
    public void Stash_push_list_and_pop_round_trip()
    {
        using var tmp = new TempDir("git-stash");
        var repo = Repo(tmp);
        Assert.False(G(repo, "stash.push").Changed);
        File.AppendAllText(Path.Combine(repo, "a.txt"), "wip\n");
        var push = ReshBinary.Run([$"git://{repo}.stash.push", "message=before deploy"], env: GitBackend.Ident);
        Assert.True(push.Changed, push.ToString());
        Assert.DoesNotContain("wip", File.ReadAllText(Path.Combine(repo, "a.txt")));
        var list = Ok(G(repo, "stash.list"));
        Assert.Equal(1, list["count"]!.GetValue<int>());
        Assert.Contains("before deploy", S(list["stashes"]![0]!["message"]));
        Assert.True(G(repo, "stash.pop").Changed);
        Assert.Contains("wip", File.ReadAllText(Path.Combine(repo, "a.txt")));
        Assert.False(G(repo, "stash.pop").Changed);
    }

    [Fact]
    public void Remotes_are_added_listed_masked_and_removed_and_a_url_with_a_password_is_refused()
    {
        using var tmp = new TempDir("git-remotes");
        var repo = Repo(tmp);
        Assert.True(G(repo, "remote.add", "name=origin", $"url={git.DaemonUrl}").Changed);
        Assert.False(G(repo, "remote.add", "name=origin", $"url={git.DaemonUrl}").Changed);
        Fails(G(repo, "remote.add", "name=origin", "url=file:///elsewhere"), "conflict");
        var pw = G(repo, "remote.add", "name=second", "url=https://u:s3cretpw@example.com/r.git");
        Fails(pw, "usage");
        Assert.DoesNotContain("s3cretpw", File.ReadAllText(Path.Combine(repo, ".git", "config")));
        GitBackend.Sh($"git -C {Shell.Q(repo)} remote add legacy https://u:legacypw@example.com/r.git");
        var list = Ok(G(repo, "remote.list"));
        Assert.Equal(2, list["count"]!.GetValue<int>());
        Assert.DoesNotContain("legacypw", list.ToJsonString());
        Assert.True(G(repo, "remote.remove", "name=legacy").Changed);
        Assert.False(G(repo, "remote.remove", "name=legacy").Changed);
    }

    [Fact]
    public void Clean_needs_force_lists_under_dry_run_and_handles_a_name_with_a_newline()
    {
        using var tmp = new TempDir("git-clean");
        var repo = Repo(tmp);
        File.WriteAllText(Path.Combine(repo, "junk.txt"), "j");
        File.WriteAllText(Path.Combine(repo, "line\nbreak.txt"), "n");
        Directory.CreateDirectory(Path.Combine(repo, "build"));
        File.WriteAllText(Path.Combine(repo, "build", "out.o"), "o");
        Fails(G(repo, "clean"), "usage");
        var dry = ReshBinary.Run([$"git://{repo}.clean", "--dry-run"]);
        var listed = Ok(dry)["removed"]!.AsArray().Select(x => S(x)).ToList();
        Assert.Contains("junk.txt", listed);
        Assert.Contains("line\nbreak.txt", listed);
        Assert.Contains("build/", listed);
        Assert.True(File.Exists(Path.Combine(repo, "junk.txt")));
        var run = G(repo, "clean", "force=true");
        Assert.True(run.Changed, run.ToString());
        Assert.False(File.Exists(Path.Combine(repo, "line\nbreak.txt")));
        Assert.False(Directory.Exists(Path.Combine(repo, "build")));
        Assert.True(File.Exists(Path.Combine(repo, "a.txt")));
        Assert.False(G(repo, "clean", "force=true").Changed);
    }

    [Fact]
    public void A_missing_path_or_a_directory_that_is_no_repository_is_not_found_and_a_url_target_is_usage()
    {
        using var tmp = new TempDir("git-nf");
        Fails(G(tmp["missing"], "status"), "not_found");
        Fails(G(tmp.Path, "status"), "not_found");
        Fails(G(tmp.Path, "log"), "not_found");
        Fails(ReshBinary.Run(["git://https://example.com/r.git.status"]), "usage");
        using var empty = new TempDir("git-empty");
        GitBackend.Sh($"git init -q {Shell.Q(empty["e"])}");
        Assert.Equal(0, Ok(G(empty["e"], "log"))["count"]!.GetValue<int>());
        Assert.Null(Ok(G(empty["e"], "status"))["head"]);
    }
}
