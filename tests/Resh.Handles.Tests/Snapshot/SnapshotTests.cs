using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Snapshot;

public sealed class SnapshotTests
{
    static Dictionary<string, string> Home(TempDir dir) => new() { ["RESH_HOME"] = dir["home"] };

    static ReshRun Run(TempDir dir, string stage, params string[] more) => ReshBinary.Run([stage, .. more], env: Home(dir));

    static string MakeTree(TempDir dir)
    {
        var src = dir["tree"];
        Directory.CreateDirectory(Path.Combine(src, "conf.d"));
        File.WriteAllText(Path.Combine(src, "main.conf"), "a=1\nb=2\n");
        File.WriteAllText(Path.Combine(src, "conf.d", "site.conf"), "listen 80\n");
        File.WriteAllBytes(Path.Combine(src, "blob.bin"), Enumerable.Range(0, 50_000).Select(i => (byte)(i % 251)).ToArray());
        File.WriteAllText(Path.Combine(src, "debug.log"), "noise\n");
        File.CreateSymbolicLink(Path.Combine(src, "current"), "main.conf");
        return src;
    }

    [Fact]
    public void Snapshot_diff_and_restore_roll_a_tree_back_atomically_and_converge()
    {
        using var dir = new TempDir("snap");
        var tree = MakeTree(dir);
        var create = Run(dir, $"snapshot://{tree}.create(name=s1,exclude=*.log)");
        Assert.True(create.Ok, create.ToString());
        Assert.Equal(3, create.Result!["snapshot"]!["files"]!.GetValue<long>());

        File.WriteAllText(Path.Combine(tree, "main.conf"), "a=1\nb=3\n");
        File.Delete(Path.Combine(tree, "conf.d", "site.conf"));
        File.WriteAllText(Path.Combine(tree, "new.txt"), "new\n");
        File.WriteAllText(Path.Combine(tree, "debug.log"), "more noise\n");

        var diff = Run(dir, $"snapshot://{tree}.diff(from=s1)");
        Assert.True(diff.Ok, diff.ToString());
        Assert.Equal(["new.txt"], diff.Result!["added"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(["conf.d/site.conf"], diff.Result!["removed"]!.AsArray().Select(x => x!.GetValue<string>()));
        var modified = diff.Result!["modified"]!.AsArray().Single()!;
        Assert.Equal("main.conf", modified["path"]!.GetValue<string>());
        Assert.Contains("+b=3", modified["diff"]!.GetValue<string>());

        var dry = Run(dir, $"snapshot://{tree}.restore(name=s1)", "--dry-run");
        Assert.True(dry.Changed);
        Assert.Equal("a=1\nb=3\n", File.ReadAllText(Path.Combine(tree, "main.conf")));

        var restore = Run(dir, $"snapshot://{tree}.restore(name=s1)");
        Assert.True(restore.Ok, restore.ToString());
        Assert.True(restore.Changed);
        Assert.Equal("a=1\nb=2\n", File.ReadAllText(Path.Combine(tree, "main.conf")));
        Assert.Equal("listen 80\n", File.ReadAllText(Path.Combine(tree, "conf.d", "site.conf")));
        Assert.False(File.Exists(Path.Combine(tree, "new.txt")));
        Assert.Equal("more noise\n", File.ReadAllText(Path.Combine(tree, "debug.log"))); // excluded: left as it was
        Assert.Equal("main.conf", new FileInfo(Path.Combine(tree, "current")).LinkTarget);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(dir.Path), p => Path.GetFileName(p).Contains("resh-", StringComparison.Ordinal));

        var again = Run(dir, $"snapshot://{tree}.restore(name=s1)");
        Assert.True(again.Ok, again.ToString());
        Assert.False(again.Changed);
    }

    [Fact]
    public void A_second_snapshot_of_an_unchanged_tree_stores_nothing_new_and_rehashes_nothing()
    {
        using var dir = new TempDir("dedup");
        var tree = MakeTree(dir);
        var first = Run(dir, $"snapshot://{tree}.create(name=one)");
        Assert.True(first.Ok, first.ToString());
        Assert.True(first.Result!["snapshot"]!["new_bytes"]!.GetValue<long>() > 50_000);
        var second = Run(dir, $"snapshot://{tree}.create(name=two)");
        Assert.Equal(0, second.Result!["snapshot"]!["new_bytes"]!.GetValue<long>());
        Assert.Equal(0, second.Result!["hashed"]!.GetValue<long>());
        Assert.Equal(4, second.Result!["reused"]!.GetValue<long>());
        var objects = Directory.EnumerateFiles(Path.Combine(dir["home"], "snapshots", "objects"), "*", SearchOption.AllDirectories).Count();
        Assert.Equal(4, objects);
        Assert.Equal("conflict", Run(dir, $"snapshot://{tree}.create(name=two)").ErrorCode);
    }

    [Fact]
    public void Restoring_selected_paths_touches_only_those_paths()
    {
        using var dir = new TempDir("paths");
        var tree = MakeTree(dir);
        Assert.True(Run(dir, $"snapshot://{tree}.create(name=s1)").Ok);
        File.WriteAllText(Path.Combine(tree, "main.conf"), "changed\n");
        File.WriteAllText(Path.Combine(tree, "conf.d", "site.conf"), "changed\n");
        var run = Run(dir, $"snapshot://{tree}.restore(name=s1,paths=conf.d)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("listen 80\n", File.ReadAllText(Path.Combine(tree, "conf.d", "site.conf")));
        Assert.Equal("changed\n", File.ReadAllText(Path.Combine(tree, "main.conf")));
    }

    [Fact]
    public void Verify_finds_a_corrupted_object_and_restore_refuses_to_use_it()
    {
        using var dir = new TempDir("verify");
        var tree = MakeTree(dir);
        Assert.True(Run(dir, $"snapshot://{tree}.create(name=s1)").Ok);
        Assert.True(Run(dir, $"snapshot://{tree}.verify").Result!["intact"]!.GetValue<bool>());
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(tree, "blob.bin"))));
        var obj = Path.Combine(dir["home"], "snapshots", "objects", sha[..2], sha);
        var bytes = File.ReadAllBytes(obj);
        bytes[100] ^= 0xff;
        File.WriteAllBytes(obj, bytes);
        var verify = Run(dir, $"snapshot://{tree}.verify");
        Assert.Equal("failed", verify.ErrorCode);
        Assert.Equal(sha, verify.Envelope["error"]!["details"]!["damaged"]![0]!["object"]!.GetValue<string>());
        File.WriteAllText(Path.Combine(tree, "blob.bin"), "replaced");
        var restore = Run(dir, $"snapshot://{tree}.restore(name=s1)");
        Assert.Equal("failed", restore.ErrorCode);
        Assert.Equal("replaced", File.ReadAllText(Path.Combine(tree, "blob.bin"))); // the live tree was not touched
    }

    [Fact]
    public void Prune_keeps_the_newest_and_delete_frees_unreferenced_content()
    {
        using var dir = new TempDir("prune");
        var tree = MakeTree(dir);
        for (int i = 1; i <= 3; i++)
        {
            File.WriteAllText(Path.Combine(tree, "main.conf"), $"version {i}\n");
            Assert.True(Run(dir, $"snapshot://{tree}.create(name=s{i})").Ok);
        }
        var prune = Run(dir, $"snapshot://{tree}.prune(keep_last=2)");
        Assert.True(prune.Ok, prune.ToString());
        Assert.Equal(["s1"], prune.Result!["removed"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(1, prune.Result!["freed_objects"]!.GetValue<long>());
        Assert.False(Run(dir, $"snapshot://{tree}.prune(keep_last=2)").Changed);
        var list = Run(dir, $"snapshot://{tree}.list");
        Assert.Equal(["s2", "s3"], list.Result!["snapshots"]!.AsArray().Select(x => x!["name"]!.GetValue<string>()));
        Assert.True(Run(dir, $"snapshot://{tree}.delete(name=s2)").Changed);
        Assert.False(Run(dir, $"snapshot://{tree}.delete(name=s2)").Changed);
        var show = Run(dir, $"snapshot://{tree}.show(name=s3)");
        Assert.Contains(show.Result!["entries"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "main.conf" && e["sha256"] is not null);
        Assert.Equal("not_found", Run(dir, $"snapshot://{tree}.show(name=s1)").ErrorCode);
    }

    [Fact]
    public void The_btrfs_backend_takes_a_read_only_subvolume_snapshot_and_restores_it()
    {
        Sh.RequireRoot();
        using var dir = new TempDir("btrfs");
        using var image = new LoopImage(dir, "btrfs", "256M");
        using var ns = new MountNamespace();
        var mnt = dir["mnt"];
        Directory.CreateDirectory(mnt);
        ns.Exec("mount", "-o", "loop", image.ImagePath, mnt);
        var data = Path.Combine(mnt, "data");
        ns.Exec("btrfs", "subvolume", "create", data);
        ns.Exec("sh", "-c", $"echo one > {data}/file.txt");
        var env = Home(dir);
        var create = ns.Resh([$"snapshot://{data}.create(name=s1,backend=btrfs)"], env);
        Assert.True(create.Ok, create.ToString());
        var sub = create.Result!["snapshot"]!["subvolume"]!.GetValue<string>();
        Assert.Contains("ro=true", ns.Exec("btrfs", "property", "get", "-ts", sub, "ro"));
        ns.Exec("sh", "-c", $"echo two > {data}/file.txt");
        var diff = ns.Resh([$"snapshot://{data}.diff(from=s1)"], env);
        Assert.Equal("file.txt", diff.Result!["modified"]![0]!["path"]!.GetValue<string>());
        var restore = ns.Resh([$"snapshot://{data}.restore(name=s1)"], env);
        Assert.True(restore.Ok, restore.ToString());
        Assert.Equal("one\n", ns.Exec("cat", $"{data}/file.txt"));
        Assert.Contains("path data", ns.Exec("btrfs", "subvolume", "list", mnt)); // still a subvolume
        Assert.True(ns.Resh([$"snapshot://{data}.verify"], env).Ok);
        Assert.True(ns.Resh([$"snapshot://{data}.delete(name=s1)"], env).Changed);
        Assert.DoesNotContain("s1", ns.Exec("ls", "-a", Path.Combine(mnt, ".resh-snapshots", "data")));
    }

    [Fact]
    public void Hard_links_come_back_as_hard_links()
    {
        using var dir = new TempDir("snaplink");
        var tree = dir["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        File.WriteAllText(Path.Combine(tree, "a"), "shared\n");
        Sh.Ok("ln", Path.Combine(tree, "a"), Path.Combine(tree, "sub", "b"));
        Assert.True(Run(dir, $"snapshot://{tree}.create(name=s1)").Ok);
        // Break the link and change one side, then restore.
        File.Delete(Path.Combine(tree, "sub", "b"));
        File.WriteAllText(Path.Combine(tree, "sub", "b"), "separate\n");
        File.Delete(Path.Combine(tree, "a"));
        File.WriteAllText(Path.Combine(tree, "a"), "changed\n");
        var restore = Run(dir, $"snapshot://{tree}.restore(name=s1)");
        Assert.True(restore.Ok, restore.ToString());
        Assert.Equal("shared\n", File.ReadAllText(Path.Combine(tree, "sub", "b")));
        Assert.Equal(Sh.Ok("stat", "-c", "%i %h", Path.Combine(tree, "a")), Sh.Ok("stat", "-c", "%i %h", Path.Combine(tree, "sub", "b")));
        Assert.Equal("2", Sh.Ok("stat", "-c", "%h", Path.Combine(tree, "a")).Trim());
    }

    [Fact]
    public void An_unreadable_file_is_named_in_a_warning_left_out_and_left_alone_by_restore()
    {
        using var dir = new TempDir("snapperm");
        var tree = dir["tree"];
        Directory.CreateDirectory(Path.Combine(tree, "locked"));
        File.WriteAllText(Path.Combine(tree, "ok.txt"), "fine\n");
        File.WriteAllText(Path.Combine(tree, "secret"), "root only\n");
        File.WriteAllText(Path.Combine(tree, "locked", "inner"), "hidden\n");
        Sh.Ok("chown", "-R", "65534:65534", dir.Path);
        Sh.Ok("chown", "0:0", Path.Combine(tree, "secret"), Path.Combine(tree, "locked"));
        Sh.Ok("chmod", "0600", Path.Combine(tree, "secret"));
        Sh.Ok("chmod", "0700", Path.Combine(tree, "locked"));
        var repo = dir["repo"];
        string[] nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path];
        var create = FileScheme.Tool.RunResh([.. nobody, $"snapshot://{tree}.create", "name=s1", $"repo={repo}"]);
        Assert.True(create.Ok, create.ToString());
        var unreadable = create.Result!["unreadable"]!.AsArray().Select(u => u!["path"]!.GetValue<string>()).ToList();
        Assert.Equal(["locked", "secret"], unreadable.Order(StringComparer.Ordinal));
        var warnings = create.Envelope["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.Contains(warnings, w => w.StartsWith("secret:"));
        Assert.Contains(warnings, w => w.StartsWith("locked:"));
        Assert.Equal(1, create.Result!["snapshot"]!["files"]!.GetValue<long>());

        File.WriteAllText(Path.Combine(tree, "ok.txt"), "changed\n");
        // The same user cannot carry what it cannot read into the rebuilt tree: refused, naming it, nothing changed.
        var refused = FileScheme.Tool.RunResh([.. nobody, $"snapshot://{tree}.restore", "name=s1", $"repo={repo}"]);
        Assert.Equal("permission_denied", refused.ErrorCode);
        Assert.Contains(tree + "/", refused.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal("changed\n", File.ReadAllText(Path.Combine(tree, "ok.txt")));
        Assert.Equal(["locked", "ok.txt", "secret"], Directory.GetFileSystemEntries(tree).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["repo", "tree"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // Root restores the snapshot and leaves what it could not read as it is (not deleted as "added since").
        var restore = ReshBinary.Run($"snapshot://{tree}.restore", "name=s1", $"repo={repo}");
        Assert.True(restore.Ok, restore.ToString());
        Assert.Equal("fine\n", File.ReadAllText(Path.Combine(tree, "ok.txt")));
        Assert.Equal("root only\n", File.ReadAllText(Path.Combine(tree, "secret")));
        Assert.Equal("hidden\n", File.ReadAllText(Path.Combine(tree, "locked", "inner")));
        Assert.Equal("0 700", Sh.Ok("stat", "-c", "%u %a", Path.Combine(tree, "locked")).Trim());
    }

    [Fact]
    public void A_prune_dry_run_says_what_it_would_free_and_the_real_prune_frees_that()
    {
        using var dir = new TempDir("snapprune");
        var tree = dir["tree"];
        Directory.CreateDirectory(tree);
        File.WriteAllText(Path.Combine(tree, "keep"), "always here\n");
        File.WriteAllText(Path.Combine(tree, "v"), new string('1', 1000));
        Assert.True(Run(dir, $"snapshot://{tree}.create(name=s1)").Ok);
        File.WriteAllText(Path.Combine(tree, "v"), new string('2', 2000));
        Assert.True(Run(dir, $"snapshot://{tree}.create(name=s2)").Ok);
        var dry = Run(dir, $"snapshot://{tree}.prune(keep_last=1)", "--dry-run");
        Assert.True(dry.Ok, dry.ToString());
        Assert.Equal(["s1"], dry.Result!["removed"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(1, dry.Result!["freed_objects"]!.GetValue<long>());
        Assert.Equal(1000, dry.Result!["freed_bytes"]!.GetValue<long>());
        var real = Run(dir, $"snapshot://{tree}.prune(keep_last=1)");
        Assert.Equal(dry.Result!["freed_objects"]!.GetValue<long>(), real.Result!["freed_objects"]!.GetValue<long>());
        Assert.Equal(dry.Result!["freed_bytes"]!.GetValue<long>(), real.Result!["freed_bytes"]!.GetValue<long>());
        var deleteDry = Run(dir, $"snapshot://{tree}.delete(name=s2)", "--dry-run");
        Assert.Equal(2, deleteDry.Result!["freed_objects"]!.GetValue<long>());
    }

    [Fact]
    public void Restoring_paths_that_name_nothing_is_not_found()
    {
        using var dir = new TempDir("snaptypo");
        var tree = MakeTree(dir);
        Assert.True(Run(dir, $"snapshot://{tree}.create(name=s1)").Ok);
        var typo = Run(dir, $"snapshot://{tree}.restore(name=s1,paths=mian.conf)");
        Assert.Equal("not_found", typo.ErrorCode);
        Assert.Equal(3, typo.ExitCode);
        Assert.Contains("mian.conf", typo.Envelope["error"]!["message"]!.GetValue<string>());
        // A path only in the live tree is a real request: restoring it deletes it.
        File.WriteAllText(Path.Combine(tree, "added.txt"), "x");
        var live = Run(dir, $"snapshot://{tree}.restore(name=s1,paths=added.txt)");
        Assert.True(live.Ok, live.ToString());
        Assert.False(File.Exists(Path.Combine(tree, "added.txt")));
    }

    [Fact]
    public void Reads_never_create_a_repository()
    {
        // attacker s30 #9: list/verify/show/diff with repo= made the directories (a read-only MCP server could plant a
        // directory where a file belongs). A missing repo= is not_found; a default repository not made yet is empty.
        using var dir = new TempDir("snap-ro");
        var tree = MakeTree(dir);
        var missing = Path.Combine(dir.Path, "no", "repo");
        foreach (var verb in new[] { "list", "verify" })
        {
            var run = Run(dir, $"snapshot://{tree}.{verb}", $"repo={missing}");
            Assert.Equal("not_found", run.ErrorCode);
            Assert.False(Directory.Exists(Path.Combine(dir.Path, "no")), verb + " created the repository's parent");
        }
        var list = Run(dir, $"snapshot://{tree}.list");
        Assert.True(list.Ok, list.ToString());
        Assert.Empty(list.Result!["snapshots"]!.AsArray());
        Assert.False(Directory.Exists(Path.Combine(dir["home"], "snapshots")), "list created the default repository");
    }
}
