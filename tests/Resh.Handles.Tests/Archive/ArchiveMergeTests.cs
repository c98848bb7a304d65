using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// Extracting over an earlier extraction, and saying beforehand what it would do: FIFOs follow the
/// overwrite policy like files, a hard link to a symlink comes back as GNU tar makes it, and a dry run
/// compares every entry with the destination (tar -d / rsync -n -i) without touching anything.
/// Each runs as root and as nobody and checks the whole area around the destination.
/// </summary>
public sealed class ArchiveMergeTests
{
    static void Ok(ReshRun run) => Assert.True(run.Ok && run.ExitCode == 0, run.ToString());

    static string Q(string s) => Shell.Q(s);

    /// <summary>Runs a shell script as root, or as nobody (then the files it makes are nobody's).</summary>
    static void ShAs(bool asNobody, string script)
    {
        var run = asNobody ? Shell.Run($"setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c {Q("umask 022; " + script)}")
                           : Shell.Run("umask 022; " + script);
        Assert.True(run.ExitCode == 0, $"{script}\n{run}");
    }

    /// <summary>Everything beside the destination `dest` (the directory holding it changes its own mtime when dest is made, nothing else may change).</summary>
    static SortedDictionary<string, string> Around(string d)
    {
        var area = ArchiveKit.Snapshot(d, "dest");
        area.Remove("");
        return area;
    }

    static TempDir Area(string name, bool asNobody)
    {
        var dir = new TempDir(name);
        if (asNobody) ArchiveKit.Chown(dir.Path, ArchiveKit.Nobody);
        return dir;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Extracting_a_FIFO_again_follows_the_overwrite_policy_like_a_file(bool asNobody)
    {
        using var dir = Area("fifo2", asNobody);
        var d = dir.Path;
        ShAs(asNobody, $"cd {Q(d)} && mkdir src && mkfifo -m 0640 src/p && echo hi > src/f && tar -C src -cf a.tar p f " +
                       "&& mkdir src2 && mkfifo -m 0600 src2/p && echo hi > src2/f && tar -C src2 -cf b.tar p f " +
                       "&& touch decoy && mkfifo decoy-fifo");
        var dest = Path.Combine(d, "dest");
        var area = Around(d);

        Ok(ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={dest}", "allow_special=true"));
        Assert.Equal("fifo", Sh.Ok("stat", "-c", "%F", Path.Combine(dest, "p")).Trim());
        // The same archive again: the FIFO is the same entry (type and mode), as the file is: unchanged, not a conflict.
        var again = ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={dest}", "allow_special=true");
        Ok(again);
        Assert.False(again.Changed, again.ToString());
        Assert.Equal(2, again.Result!["unchanged"]!.GetValue<long>());

        // A FIFO that differs (mode 0600): a conflict by default, kept with skip, replaced with replace.
        var differ = ArchiveKit.Run(asNobody, $"archive://{d}/b.tar.extract", $"destination={dest}", "allow_special=true");
        Assert.Equal("conflict", differ.ErrorCode);
        Assert.Equal("640", ArchiveKit.Mode(Path.Combine(dest, "p")));
        Ok(ArchiveKit.Run(asNobody, $"archive://{d}/b.tar.extract", $"destination={dest}", "allow_special=true", "overwrite=skip"));
        Assert.Equal("640", ArchiveKit.Mode(Path.Combine(dest, "p")));
        var replace = ArchiveKit.Run(asNobody, $"archive://{d}/b.tar.extract", $"destination={dest}", "allow_special=true", "overwrite=replace");
        Ok(replace);
        Assert.Equal(1, replace.Result!["replaced"]!.GetValue<long>());
        Assert.Equal("600", ArchiveKit.Mode(Path.Combine(dest, "p")));
        Assert.Equal("fifo", Sh.Ok("stat", "-c", "%F", Path.Combine(dest, "p")).Trim());
        ArchiveKit.SameArea(area, Around(d), "around the destination");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_hard_link_to_a_symlink_comes_back_as_GNU_tar_makes_it(bool asNobody)
    {
        using var dir = Area("hlsym", asNobody);
        var d = dir.Path;
        // ln -P links the symlink itself; tar stores the second name as a hard link entry to the first.
        ShAs(asNobody, $"cd {Q(d)} && mkdir -p src/sub && echo data > src/target && ln -s target src/l && ln -P src/l src/h && ln -P src/l src/sub/h2 " +
                       "&& tar -C src -cf a.tar target l h sub && mkdir gnu && tar -C gnu -xf a.tar");
        Assert.Contains("link to l", Sh.Ok("tar", "-tvf", Path.Combine(d, "a.tar")));
        var area = Around(d);

        var run = ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={d}/dest");
        Ok(run);
        Assert.Equal(2, run.Result!["hardlinks"]!.GetValue<long>());
        foreach (var root in new[] { "gnu", "dest" })
        {
            var r = Path.Combine(d, root);
            // Three names of one symlink inode, each reading "target" (sub/h2 then points at sub/target: dangling, as GNU tar leaves it).
            Assert.Equal("symbolic link 3", Sh.Ok("stat", "-c", "%F %h", Path.Combine(r, "h")).Trim());
            Assert.Equal("target", new FileInfo(Path.Combine(r, "h")).LinkTarget);
            Assert.Equal(Sh.Ok("stat", "-c", "%i", Path.Combine(r, "l")), Sh.Ok("stat", "-c", "%i", Path.Combine(r, "h")));
            Assert.Equal(Sh.Ok("stat", "-c", "%i", Path.Combine(r, "l")), Sh.Ok("stat", "-c", "%i", Path.Combine(r, "sub", "h2")));
            Assert.Equal("data\n", File.ReadAllText(Path.Combine(r, "h")));
        }
        ArchiveKit.SameArea(area, Around(d), "around the destination");
    }

    [Fact]
    public void A_hard_link_to_a_symlink_is_judged_as_a_symlink_at_its_own_place()
    {
        using var dir = new TempDir("hlsym2");
        var d = dir.Path;
        // deep/l -> ../x stays inside; the same link at the top would point at ../x: outside the destination.
        Assert.Equal(0, Shell.Run($"cd {Q(d)} && mkdir -p src/deep && ln -s ../x src/deep/l && ln -P src/deep/l src/top && tar -C src -cf a.tar deep top").ExitCode);
        var area = Around(d);
        var run = ArchiveKit.Run(false, $"archive://{d}/a.tar.extract", $"destination={d}/dest");
        Assert.Equal(9, run.ExitCode);
        var refused = run.Result!["refused"]!.AsArray().Select(r => $"{r!["path"]} {r["reason"]}").ToList();
        Assert.Equal(["top symlink_escape"], refused);
        Assert.Equal("../x", new FileInfo(Path.Combine(d, "dest", "deep", "l")).LinkTarget);
        Assert.False(Path.Exists(Path.Combine(d, "dest", "top")) || new FileInfo(Path.Combine(d, "dest", "top")).LinkTarget is not null);
        ArchiveKit.SameArea(area, Around(d), "around the destination");
    }

    static Dictionary<string, string> Actions(ReshRun run) =>
        run.Result!["actions"]!.AsArray().ToDictionary(a => a!["path"]!.GetValue<string>(), a => a!["action"]!.GetValue<string>());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_dry_run_compares_every_entry_with_the_destination_and_touches_nothing(bool asNobody)
    {
        using var dir = Area("dryd", asNobody);
        var d = dir.Path;
        ShAs(asNobody, $"cd {Q(d)} && mkdir -p src/sub src/deep/er && echo one > src/a && echo two > src/b && echo three > src/sub/c && echo four > src/deep/er/f " +
                       "&& ln -s a src/l && mkfifo src/p && tar -C src -cf a.tar a b sub l deep p && mkdir outside && echo keep > outside/x");
        var dest = Path.Combine(d, "dest");
        var plan = ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={dest}", "--dry-run", "allow_special=true");
        Ok(plan);
        Assert.False(Directory.Exists(dest));
        Assert.All(Actions(plan).Values, a => Assert.Equal("create", a));

        Ok(ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={dest}", "allow_special=true"));
        // Change the destination: b's content, sub/c gone, l points elsewhere, deep replaced by a symlink
        // to a directory outside (never followed), p's mode, and a file the archive does not have.
        ShAs(asNobody, $"cd {Q(dest)} && echo TWO > b && rm sub/c && ln -sfn b l && rm -r deep && ln -s ../outside deep && chmod 0600 p && echo mine > mine");
        var area = ArchiveKit.Snapshot(d);

        var replace = ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={dest}", "--dry-run", "allow_special=true", "overwrite=replace");
        Ok(replace);
        Assert.True(replace.Changed);
        var actions = Actions(replace);
        Assert.Equal("unchanged", actions["a"]);
        Assert.Equal("replace", actions["b"]);
        Assert.Equal("unchanged", actions["sub"]);
        Assert.Equal("create", actions["sub/c"]);
        Assert.Equal("replace", actions["l"]);
        Assert.Equal("replace", actions["deep"]);
        Assert.Equal("replace", actions["deep/er/f"]); // moves with its parent
        Assert.Equal("replace", actions["p"]);
        Assert.False(actions.ContainsKey("mine")); // not in the archive: left as it is
        ArchiveKit.SameArea(area, ArchiveKit.Snapshot(d), "after the dry run");

        var skip = ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={dest}", "--dry-run", "allow_special=true", "overwrite=skip");
        Ok(skip);
        Assert.Equal("skip", Actions(skip)["b"]);
        Assert.Equal("create", Actions(skip)["sub/c"]);
        var error = ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={dest}", "--dry-run", "allow_special=true");
        Assert.Equal("conflict", error.ErrorCode); // what the real run would answer
        Assert.Contains("b", error.Envelope["error"]!["details"]!["conflicts"]!.AsArray().Select(c => c!.GetValue<string>()));
        ArchiveKit.SameArea(area, ArchiveKit.Snapshot(d), "after the dry runs");

        // The real run does what the dry run said.
        var real = ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={dest}", "allow_special=true", "overwrite=replace");
        Ok(real);
        foreach (var key in new[] { "created", "replaced", "unchanged", "skipped" })
            Assert.True(real.Result![key]!.GetValue<long>() == replace.Result![key]!.GetValue<long>(), $"{key}: dry {replace.Result[key]} real {real.Result[key]}");
        Assert.Equal("keep\n", File.ReadAllText(Path.Combine(d, "outside", "x")));
        Assert.Equal(["x"], Directory.GetFileSystemEntries(Path.Combine(d, "outside")).Select(Path.GetFileName));
        Assert.Equal("mine\n", File.ReadAllText(Path.Combine(dest, "mine")));

        var same = ArchiveKit.Run(asNobody, $"archive://{d}/a.tar.extract", $"destination={dest}", "--dry-run", "allow_special=true");
        Ok(same);
        Assert.False(same.Changed);
        Assert.All(Actions(same).Values, a => Assert.Equal("unchanged", a));
    }
}
