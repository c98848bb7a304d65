using System.Diagnostics;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

/// <summary>
/// Symlinks where a directory or file is expected, planted beforehand or swapped in while resh works:
/// mkdir's mode, a recursive copy (sources, destination directories, directory fix-ups) and ea.set must
/// never act on what such a link points to. Each case checks that a decoy outside the target stays
/// byte- and mode-identical. Races use a bounded swapper loop.
/// </summary>
public sealed class FileSymlinkSwapTests
{
    const string OtherUser = "65533";

    static ReshRun AsUser(string uid, params string[] args) =>
        Tool.RunResh(["setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", ReshBinary.Path, .. args]);

    static void AsUserOk(string uid, params string[] argv) =>
        Tool.Ok(["setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", .. argv]);

    /// <summary>Every entry's type, mode, owner, size, inode, mtime and link target, every file's content hash, and user.* attributes.</summary>
    static string Fingerprint(string root) =>
        Tool.Ok("find", root, "-printf", "%y %m %U %G %s %i %T@ %p -> %l\n")
        + Tool.Ok("bash", "-c", "find \"$1\" -type f -print0 | sort -z | xargs -0r sha256sum; getfattr -R -d -m - \"$1\" 2>/dev/null || true", "-", root);

    /// <summary>A bounded background loop of shell commands (the swapper); stopped and waited for on dispose.</summary>
    sealed class Swapper : IDisposable
    {
        readonly Process _p;

        public Swapper(string body, int rounds = 20000, string? asUid = null)
        {
            var script = $"for i in $(seq 1 {rounds}); do {body}; done 2>/dev/null; true";
            var psi = asUid is null
                ? new ProcessStartInfo("bash")
                : new ProcessStartInfo("setpriv");
            if (asUid is not null) foreach (var a in new[] { $"--reuid={asUid}", $"--regid={asUid}", "--clear-groups", "--", "bash" }) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
            psi.UseShellExecute = false;
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            _p = Process.Start(psi)!;
        }

        public void Dispose()
        {
            if (!_p.HasExited) _p.Kill(true);
            _p.WaitForExit(30_000);
            _p.Dispose();
        }
    }

    // ---- A: mkdir mode= ----------------------------------------------------------------------

    [Fact]
    public void Mkdir_mode_never_changes_the_directory_a_symlink_points_to()
    {
        using var dir = new TempDir("mkln");
        Directory.CreateDirectory(dir["t1/shared"]);
        Directory.CreateDirectory(dir["victimdir"]);
        File.WriteAllText(dir["victimdir/keep"], "keep\n");
        Tool.Ok("chmod", "0700", dir["victimdir"]);
        Tool.Ok("ln", "-s", "../../victimdir", dir["t1/shared/cache"]);
        var before = Fingerprint(dir["victimdir"]);

        var error = Resh.Fails(Resh.Run($"file://{dir["t1/shared/cache"]}.mkdir", "mode=0777"), "conflict");
        Assert.Contains("symlink", error["message"]!.GetValue<string>());
        Assert.Equal(before, Fingerprint(dir["victimdir"]));
        Assert.Equal("700", Tool.Mode(dir["victimdir"]));
        // Without a mode, an existing link to a directory is fine (mkdir -p), and nothing changes.
        Resh.Ok(Resh.Run($"file://{dir["t1/shared/cache"]}.mkdir"), changed: false);
        Assert.Equal(before, Fingerprint(dir["victimdir"]));
        // A real directory still gets its mode fixed.
        Directory.CreateDirectory(dir["t1/real"]);
        Tool.Ok("chmod", "0700", dir["t1/real"]);
        Resh.Ok(Resh.Run($"file://{dir["t1/real"]}.mkdir", "mode=0750"), changed: true);
        Assert.Equal("750", Tool.Mode(dir["t1/real"]));
    }

    [Fact]
    public void Mkdir_mode_through_a_link_planted_by_another_user_in_a_sticky_directory_changes_nothing()
    {
        using var dir = new TempDir("mksticky");
        Tool.Ok("chmod", "0755", dir.Path);
        Directory.CreateDirectory(dir["tmp"]);
        Tool.Ok("chmod", "1777", dir["tmp"]);
        Directory.CreateDirectory(dir["victim"]);
        File.WriteAllText(dir["victim/data"], "data\n");
        Tool.Ok("chown", "-R", $"{OtherUser}:{OtherUser}", dir["victim"]);
        Tool.Ok("chmod", "0700", dir["victim"]);
        AsUserOk("65534", "ln", "-s", dir["victim"], dir["tmp/cache"]);
        var before = Fingerprint(dir.Path);

        Resh.Fails(Resh.Run($"file://{dir["tmp/cache"]}.mkdir", "mode=0777"), "conflict");
        Resh.Fails(AsUser(OtherUser, $"file://{dir["tmp/cache"]}.mkdir", "mode=0777"), "conflict");
        Resh.Fails(AsUser(OtherUser, $"file://{dir["tmp/cache/sub"]}.mkdir", "mode=0777"), "permission_denied");
        Assert.Equal(before, Fingerprint(dir.Path));
    }

    [Fact]
    public void Mkdir_mode_of_a_new_directory_swapped_for_a_symlink_never_reaches_the_decoy()
    {
        using var dir = new TempDir("mkrace");
        Tool.Ok("chmod", "0755", dir.Path);
        Directory.CreateDirectory(dir["work"]);
        Tool.Ok("chown", "65534:65534", dir["work"]);
        Directory.CreateDirectory(dir["decoy"]);
        File.WriteAllText(dir["decoy/file"], "decoy\n");
        Tool.Ok("chown", "-R", "65534:65534", dir["decoy"]);
        Tool.Ok("chmod", "0700", dir["decoy"]);
        var before = Fingerprint(dir["decoy"]);
        var target = dir["work/new"];
        // As root (the victim is nobody's directory) and as nobody (its own decoy): the swapper replaces the
        // fresh directory by a link to the decoy between resh's mkdir and its chmod.
        using (new Swapper($"rmdir '{target}'; ln -s '{dir["decoy"]}' '{target}' && rm -f '{target}'", asUid: "65534"))
        {
            for (int i = 0; i < 60; i++)
            {
                Resh.Run($"file://{target}.mkdir", "mode=0777");
                AsUser("65534", $"file://{target}.mkdir", "mode=0777");
                Assert.Equal(before, Fingerprint(dir["decoy"]));
            }
        }
        Assert.Equal(before, Fingerprint(dir["decoy"]));
    }

    // ---- B: recursive copy --------------------------------------------------------------------

    static void MakeTree(TempDir dir, string root, int files)
    {
        for (int d = 0; d < 3; d++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"sub{d}"));
            for (int i = 0; i < files; i++)
                File.WriteAllText(Path.Combine(root, $"sub{d}", $"f{i}"), $"public {d}/{i}\n");
        }
        foreach (var sub in Directory.GetDirectories(root)) Tool.Ok("chmod", "0777", sub);
        Tool.Ok("chmod", "0777", root);
    }

    [Fact]
    public void Recursive_copy_never_writes_into_or_chmods_a_directory_swapped_for_a_symlink()
    {
        using var dir = new TempDir("cprace");
        Tool.Ok("chmod", "0755", dir.Path);
        MakeTree(dir, dir["src"], 80);
        Directory.CreateDirectory(dir["decoy"]);
        File.WriteAllText(dir["decoy/keep"], "decoy\n");
        Tool.Ok("chmod", "0700", dir["decoy"]);
        var before = Fingerprint(dir["decoy"]);
        for (int round = 0; round < 25; round++)
        {
            var dst = dir[$"dst{round}"];
            // Swaps each destination directory for a link to the decoy as soon as it appears (and back).
            var body = string.Join("; ", Enumerable.Range(0, 3).Select(d =>
                $"mv -T '{dst}/sub{d}' '{dir[$"aside{round}-{d}"]}' && ln -s '{dir["decoy"]}' '{dst}/sub{d}'"));
            using (new Swapper(body, rounds: 4000))
                Resh.Run($"file://{dir["src"]}.copy", $"to={dst}", "recursive=true");
            Assert.Equal(before, Fingerprint(dir["decoy"]));
        }
        Assert.Equal("700", Tool.Mode(dir["decoy"]));
        Assert.Equal(["keep"], Directory.GetFileSystemEntries(dir["decoy"]).Select(Path.GetFileName));
    }

    [Fact]
    public void Recursive_copy_never_copies_a_secret_swapped_in_for_a_planned_source_file()
    {
        using var dir = new TempDir("cpsrc");
        Tool.Ok("chmod", "0755", dir.Path);
        MakeTree(dir, dir["src"], 40);
        File.WriteAllText(dir["secret"], "PRIVATE KEY\n");
        Tool.Ok("chmod", "0600", dir["secret"]);
        var before = Fingerprint(dir["secret"]);
        File.WriteAllText(dir["src/sub1/key"], "public key\n");
        File.WriteAllText(dir["plain"], "public key\n");
        using (new Swapper($"ln -sfn '{dir["secret"]}' '{dir["src/sub1/key"]}'; cp '{dir["plain"]}' '{dir["src/sub1/.k"]}' && mv -f '{dir["src/sub1/.k"]}' '{dir["src/sub1/key"]}'"))
        {
            for (int round = 0; round < 40; round++)
            {
                var dst = dir[$"dst{round}"];
                Resh.Run($"file://{dir["src"]}.copy", $"to={dst}", "recursive=true");
                var copied = dir[$"dst{round}/sub1/key"];
                if (File.Exists(copied) && !new FileInfo(copied).Attributes.HasFlag(FileAttributes.ReparsePoint))
                    Assert.DoesNotContain("PRIVATE", File.ReadAllText(copied));
            }
        }
        Assert.Equal(before, Fingerprint(dir["secret"]));
    }

    [Fact]
    public void Recursive_copy_as_a_user_keeps_a_decoy_of_its_own_untouched_when_destination_directories_are_swapped()
    {
        using var dir = new TempDir("cpuser");
        Tool.Ok("chmod", "0755", dir.Path);
        MakeTree(dir, dir["src"], 40);
        Directory.CreateDirectory(dir["out"]);
        Directory.CreateDirectory(dir["decoy"]);
        File.WriteAllText(dir["decoy/keep"], "decoy\n");
        Tool.Ok("chown", "-R", "65534:65534", dir["out"], dir["decoy"]);
        Tool.Ok("chmod", "0700", dir["decoy"]);
        var before = Fingerprint(dir["decoy"]);
        for (int round = 0; round < 15; round++)
        {
            var dst = dir[$"out/dst{round}"];
            var body = string.Join("; ", Enumerable.Range(0, 3).Select(d =>
                $"mv -T '{dst}/sub{d}' '{dir[$"out/aside{round}-{d}"]}' && ln -s '{dir["decoy"]}' '{dst}/sub{d}'"));
            using (new Swapper(body, rounds: 4000, asUid: "65534"))
                AsUser("65534", $"file://{dir["src"]}.copy", $"to={dst}", "recursive=true");
            Assert.Equal(before, Fingerprint(dir["decoy"]));
        }
    }

    // ---- C: ea.set ----------------------------------------------------------------------------

    [Fact]
    public void Ea_set_does_not_follow_a_link_planted_by_another_user_in_a_sticky_directory()
    {
        using var dir = new TempDir("easticky");
        Tool.Ok("chmod", "0755", dir.Path);
        Directory.CreateDirectory(dir["tmp"]);
        Tool.Ok("chmod", "1777", dir["tmp"]);
        File.WriteAllText(dir["decoy"], "decoy\n");
        Tool.Ok("chown", $"{OtherUser}:{OtherUser}", dir["decoy"]);
        Tool.Ok("chmod", "0644", dir["decoy"]);
        AsUserOk("65534", "ln", "-s", dir["decoy"], dir["tmp/link"]);
        var before = Fingerprint(dir.Path);

        var error = Resh.Fails(Resh.Run($"file://{dir["tmp/link"]}.ea.set", "name=user.x", "value=owned"), "permission_denied");
        Assert.Contains("protected_symlinks", error["message"]!.GetValue<string>());
        Resh.Fails(AsUser(OtherUser, $"file://{dir["tmp/link"]}.ea.set", "name=user.x", "value=owned"), "permission_denied");
        Assert.Equal(before, Fingerprint(dir.Path));
        Assert.NotEqual(0, Tool.Run("getfattr", "-n", "user.x", dir["decoy"]).Exit);

        // The caller's own link is followed, and the attribute lands on the file it names.
        Tool.Ok("ln", "-s", dir["decoy"], dir["tmp/mine"]);
        Resh.Ok(Resh.Run($"file://{dir["tmp/mine"]}.ea.set", "name=user.x", "value=ok"), changed: true);
        Assert.Equal("ok", Tool.Ok("getfattr", "--only-values", "-n", "user.x", dir["decoy"]));
    }

    // ---- D: recursive delete -----------------------------------------------------------------

    [Fact]
    public void A_recursive_delete_never_empties_a_mount_that_a_parent_swapped_after_the_check_leads_to()
    {
        // Root deletes u/p/tree; the user who owns u flips u/p between a real directory holding tree/ and a link to
        // ../victim, whose tree/ holds a mount point. The plan may see the harmless tree; the removal must work on
        // that same tree (the parent held open, the tree's inode checked), never on victim/tree, whose mount the
        // plan would have refused.
        using var dir = new TempDir("delswap");
        Tool.Ok("chmod", "755", dir.Path);
        var mount = Path.Combine(dir["victim"], "tree", "m");
        Directory.CreateDirectory(mount);
        Tool.Ok("mount", "-t", "tmpfs", "-o", "size=1m", "resh-delswap", mount);
        try
        {
            var canary = Path.Combine(mount, "canary");
            System.IO.File.WriteAllText(canary, "keep");
            var u = Directory.CreateDirectory(dir["u"]).FullName;
            Tool.Ok("chown", OtherUser + ":" + OtherUser, u);
            // The swap is one renameat2(RENAME_EXCHANGE) of p and q in a tight, time-bounded loop: p is the real
            // directory and q the link, then the other way round, thousands of times a second.
            var swapper = dir.File("swap.py", """
                import ctypes, os, sys, time
                libc = ctypes.CDLL(None, use_errno=True)
                os.chdir(sys.argv[1])
                def fill(top):
                    try:
                        if os.path.isdir(top + "/tree/d"): return
                        os.makedirs(top + "/tree/d", exist_ok=True)
                        for i in range(200): open(f"{top}/tree/d/f{i}", "w").close()
                    except OSError: pass
                fill("p")
                os.symlink("../victim", "q")
                real, n, end = "p", 0, time.time() + 120
                while time.time() < end:
                    libc.renameat2(-100, b"p", -100, b"q", 2)
                    real = "q" if real == "p" else "p"
                    n += 1
                    if n % 20 == 0: fill(real)
                """);
            using (new Swapper($"/usr/bin/python3 {swapper} {u}", rounds: 1, asUid: OtherUser))
            {
                // 300 deletes, or as many as 30 s allow on a loaded machine (the tool's own limit is 60 s).
                var loop = Tool.Run("bash", "-c", "end=$((SECONDS+30)); for i in $(seq 1 300); do \"$0\" \"file://$1/p/tree.delete\" recursive=true >/dev/null 2>&1; [ $SECONDS -lt $end ] || break; done; true", ReshBinary.Path, u);
                Assert.Equal(0, loop.Exit);
            }
            Assert.True(System.IO.File.Exists(canary), "the content of the mount below victim/tree was removed");
            Assert.Equal("keep", System.IO.File.ReadAllText(canary));
        }
        finally
        {
            Tool.Run("umount", mount);
        }
    }
}
