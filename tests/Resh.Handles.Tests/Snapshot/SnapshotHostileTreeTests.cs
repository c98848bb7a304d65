using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Snapshot;

/// <summary>
/// A live tree (or a stage beside it) that someone else can write must never steer snapshot restore or
/// create outside the tree: planted symlinks, a stage swapped for a symlink, a file swapped for a
/// symlink while it is read. Each test checks a decoy outside the tree byte for byte and by mode.
/// </summary>
public sealed class SnapshotHostileTreeTests
{
    static readonly string[] Nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];

    static ReshRun Resh(bool asNobody, params string[] args) =>
        asNobody ? FileScheme.Tool.RunResh([.. Nobody, ReshBinary.Path, .. args]) : ReshBinary.Run(args);

    /// <summary>Every entry under <paramref name="root"/> with its mode and bytes (or link target).</summary>
    static List<string> Fingerprint(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(p =>
        {
            var info = new FileInfo(p);
            if (info.LinkTarget is { } target) return $"{p} -> {target}";
            var mode = Sh.Ok("stat", "-c", "%a %u", p).Trim();
            return Directory.Exists(p) ? $"{p}/ {mode}" : $"{p} {mode} {Convert.ToHexString(System.IO.File.ReadAllBytes(p))}";
        }).ToList();

    static (string Tree, string Outside, string Repo) Layout(TempDir dir, bool asNobody)
    {
        var tree = dir["tree"];
        var outside = dir["outside"];
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        System.IO.File.WriteAllText(Path.Combine(tree, "sub", "file"), "from the snapshot\n");
        Directory.CreateDirectory(Path.Combine(outside, "d"));
        System.IO.File.WriteAllText(Path.Combine(outside, "file"), "decoy: must stay\n");
        System.IO.File.WriteAllText(Path.Combine(outside, "only-outside"), "decoy two\n");
        System.IO.File.WriteAllText(Path.Combine(outside, "d", "inner"), "decoy three\n");
        Sh.Ok("chmod", "0640", Path.Combine(outside, "file"));
        Directory.CreateDirectory(dir["repo"]);
        if (asNobody) Sh.Ok("chown", "-R", "65534:65534", tree, dir["repo"], outside);
        return (tree, outside, dir["repo"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_symlink_planted_in_the_live_tree_is_replaced_never_followed_by_a_paths_restore(bool asNobody)
    {
        using var dir = new TempDir("snaplink");
        var (tree, outside, repo) = Layout(dir, asNobody);
        var create = Resh(asNobody, $"snapshot://{tree}.create", "name=s1", $"repo={repo}");
        Assert.True(create.Ok, create.ToString());
        var before = Fingerprint(outside);

        Directory.Delete(Path.Combine(tree, "sub"), recursive: true);
        System.IO.File.CreateSymbolicLink(Path.Combine(tree, "sub"), "../outside");
        // Deleting through the link: names the snapshot lacks, reachable only through the symlink.
        var delete = Resh(asNobody, $"snapshot://{tree}.restore", "name=s1", "paths:=[\"sub/only-outside\",\"sub/d\"]", $"repo={repo}");
        Assert.Equal(before, Fingerprint(outside));
        Assert.Equal("not_found", delete.ErrorCode); // nothing of that name in the snapshot or in the tree itself

        // Writing through the link: the link itself is replaced by a real directory holding the restored file.
        var write = Resh(asNobody, $"snapshot://{tree}.restore", "name=s1", "paths=sub/file", $"repo={repo}");
        Assert.True(write.Ok, write.ToString());
        Assert.Equal(before, Fingerprint(outside));
        Assert.Null(new DirectoryInfo(Path.Combine(tree, "sub")).LinkTarget);
        Assert.Equal("from the snapshot\n", System.IO.File.ReadAllText(Path.Combine(tree, "sub", "file")));
        Assert.Equal(["file"], Directory.GetFileSystemEntries(Path.Combine(tree, "sub")).Select(Path.GetFileName));
    }

    [Fact]
    public void A_stage_swapped_for_a_symlink_during_restore_sends_nothing_outside_the_tree()
    {
        using var dir = new TempDir("snapstage");
        var (tree, outside, repo) = Layout(dir, asNobody: false);
        var many = Path.Combine(tree, "sub", "many");
        Directory.CreateDirectory(many);
        for (int i = 0; i < 400; i++) System.IO.File.WriteAllText(Path.Combine(many, $"f{i:D3}"), $"content {i}\n");
        var create = ReshBinary.Run($"snapshot://{tree}.create", "name=s1", $"repo={repo}");
        Assert.True(create.Ok, create.ToString());
        var before = Fingerprint(outside);

        using var stop = new CancellationTokenSource();
        var swaps = 0;
        var swapper = new Thread(() =>
        {
            // Bounded: stops when the restores end (or after a generous number of rounds).
            for (long round = 0; round < 50_000_000 && !stop.IsCancellationRequested; round++)
            {
                foreach (var parent in new[] { tree, Path.Combine(tree, "sub") })
                {
                    try
                    {
                        foreach (var stage in Directory.EnumerateDirectories(parent, ".*.resh-restore-*"))
                        {
                            if (new DirectoryInfo(stage).LinkTarget is not null) continue;
                            Directory.Move(stage, stage + ".taken");
                            System.IO.File.CreateSymbolicLink(stage, outside);
                            Interlocked.Increment(ref swaps);
                        }
                    }
                    catch (IOException) { }
                    catch (UnauthorizedAccessException) { }
                }
            }
        }) { IsBackground = true };
        swapper.Start();
        try
        {
            for (int attempt = 0; attempt < 12; attempt++)
            {
                System.IO.File.WriteAllText(Path.Combine(many, "f000"), $"changed {attempt}\n");
                Resh(false, $"snapshot://{tree}.restore", "name=s1", "paths=sub", $"repo={repo}");
                AssertNoSymlinkRestored(tree);
                Resh(false, $"snapshot://{tree}.restore", "name=s1", $"repo={repo}");
                Assert.Equal(before, Fingerprint(outside));
                AssertNoSymlinkRestored(tree);
            }
        }
        finally
        {
            stop.Cancel();
            swapper.Join();
        }
        Assert.True(swaps > 0, "the swapper never caught a stage");
        Assert.Equal(before, Fingerprint(outside));
    }

    /// <summary>
    /// The snapshot holds no symlink: whatever a restore put in the tree is a real directory or file. Only the
    /// swapper's own links (named like a stage) may be there; a swapped stage must never be renamed in.
    /// </summary>
    static void AssertNoSymlinkRestored(string tree)
    {
        Assert.Null(new DirectoryInfo(tree).LinkTarget);
        var pending = new Stack<string>([tree]);
        while (pending.TryPop(out var dir))
        {
            foreach (var p in Directory.EnumerateFileSystemEntries(dir))
            {
                if (Path.GetFileName(p).Contains(".resh-restore-", StringComparison.Ordinal)) continue;
                Assert.True(new FileInfo(p).LinkTarget is null, $"{p} is a symlink after a restore");
                if (Directory.Exists(p)) pending.Push(p);
            }
        }
    }

    [Fact]
    public void A_file_swapped_for_a_symlink_while_create_reads_it_is_left_out_not_followed()
    {
        using var dir = new TempDir("snapswap");
        var tree = dir["tree"];
        var outside = dir["outside"];
        Directory.CreateDirectory(tree);
        Directory.CreateDirectory(outside);
        var secretBytes = "TOP-SECRET-0123456789\n"u8.ToArray();
        var secret = Path.Combine(outside, "secret");
        System.IO.File.WriteAllBytes(secret, secretBytes);
        Sh.Ok("chmod", "0600", secret);
        var publicBytes = "public-text-abcdefghi\n"u8.ToArray(); // the same size as the secret
        for (int i = 0; i < 200; i++) System.IO.File.WriteAllText(Path.Combine(tree, $"pad{i:D3}"), $"padding {i}\n");
        var target = Path.Combine(tree, "f");
        System.IO.File.WriteAllBytes(target, publicBytes);
        var before = Fingerprint(outside);
        var repo = dir["repo"];

        using var stop = new CancellationTokenSource();
        var swapper = new Thread(() =>
        {
            var link = Path.Combine(tree, ".l");
            var file = Path.Combine(tree, ".f");
            for (long round = 0; round < 50_000_000 && !stop.IsCancellationRequested; round++)
            {
                try
                {
                    if (round % 2 == 0) { System.IO.File.Delete(link); System.IO.File.CreateSymbolicLink(link, secret); System.IO.File.Move(link, target, overwrite: true); }
                    else { System.IO.File.WriteAllBytes(file, publicBytes); System.IO.File.Move(file, target, overwrite: true); }
                }
                catch (IOException) { }
            }
        }) { IsBackground = true };
        swapper.Start();
        try
        {
            for (int attempt = 0; attempt < 25; attempt++)
                ReshBinary.Run($"snapshot://{tree}.create", $"name=s{attempt}", $"repo={repo}");
        }
        finally
        {
            stop.Cancel();
            swapper.Join();
        }
        Assert.Equal(before, Fingerprint(outside));
        var objects = Directory.EnumerateFiles(repo, "*", SearchOption.AllDirectories).Where(p => p.Contains("/objects/")).ToList();
        Assert.NotEmpty(objects);
        Assert.DoesNotContain(objects, o => System.IO.File.ReadAllBytes(o).AsSpan().SequenceEqual(secretBytes));
    }
}
