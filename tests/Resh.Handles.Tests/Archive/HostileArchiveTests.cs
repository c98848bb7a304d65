using System.IO.Compression;
using Resh.TestSupport;
using Xunit;
using static Resh.Handles.Tests.Archive.TarBuilder;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// Archives built to break out of the destination, extracted as root and as nobody. Each test checks
/// the whole area around the destination (every path's type, mode, owner, size, time, target and
/// content) before and after, not only the top level.
/// </summary>
public sealed class HostileArchiveTests
{
    /// <summary>box/{victim/secret, victim/dir/inner, top.txt, dest/} owned by the user resh runs as; extraction goes to box/dest/out.</summary>
    sealed class Box : IDisposable
    {
        readonly TempDir _dir = new("hostile");
        public Box(bool asNobody)
        {
            AsNobody = asNobody;
            Root = _dir["box"];
            Directory.CreateDirectory(Path.Combine(Root, "victim", "dir"));
            Directory.CreateDirectory(Path.Combine(Root, "dest"));
            File.WriteAllText(Path.Combine(Root, "victim", "secret"), "secret\n");
            File.SetUnixFileMode(Path.Combine(Root, "victim", "secret"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(Path.Combine(Root, "victim", "dir", "inner"), "inner\n");
            File.WriteAllText(Path.Combine(Root, "top.txt"), "top\n");
            if (asNobody) ArchiveKit.Chown(Root, ArchiveKit.Nobody, recursive: true);
            Before = ArchiveKit.Snapshot(Root, "dest");
        }

        public bool AsNobody { get; }
        public string Root { get; }
        public string Out => Path.Combine(Root, "dest", "out");
        public SortedDictionary<string, string> Before { get; }
        public string Archive(string ext) => _dir["evil." + ext];

        public ReshRun Extract(string archive, string extra = "") =>
            ArchiveKit.Run(AsNobody, $"archive://{archive}.extract(destination={Out}{extra})");

        /// <summary>Nothing outside the destination changed; no staging directory was left behind.</summary>
        public void Untouched(string what)
        {
            ArchiveKit.SameArea(Before, ArchiveKit.Snapshot(Root, "dest"), what);
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.Combine(Root, "dest")), p => Path.GetFileName(p) != "out");
        }

        public void Dispose() => _dir.Dispose();
    }

    public static TheoryData<bool> Users => new() { false, true };

    static void Partial(ReshRun run, params (string Path, string Reason)[] expected)
    {
        Assert.True(run.ExitCode == 9, run.ToString());
        Assert.Equal("partial", run.ErrorCode);
        Assert.NotNull(run.Result); // a partial result says what was done
        var refused = run.Result!["refused"]!.AsArray().Select(r => (r!["path"]!.GetValue<string>(), r["reason"]!.GetValue<string>())).ToList();
        foreach (var e in expected) Assert.Contains(e, refused);
    }

    [Theory, MemberData(nameof(Users))]
    public void A_directory_replaced_by_a_symlink_does_not_get_its_deferred_mode_outside(bool asNobody)
    {
        using var box = new Box(asNobody);
        var tar = new TarBuilder()
            .Dir("d", mode: 0xDFF) // 06777
            .Symlink("a/p", "..")
            .Symlink("d", "a/p/../../victim/secret")
            .Dir("e", mode: 0xDFF)
            .Symlink("e", "../../victim/dir")
            .Save(box.Archive("tar"));
        var run = box.Extract(tar);
        Partial(run, ("d", "symlink_escape"), ("e", "symlink_escape"));
        box.Untouched("deferred chmod through a replaced directory");
        Assert.Equal("600", ArchiveKit.Mode(Path.Combine(box.Root, "victim", "secret")));
        Assert.True(Directory.Exists(Path.Combine(box.Out, "a")));
    }

    [Theory, MemberData(nameof(Users))]
    public void A_file_that_replaces_a_directory_does_not_take_the_directory_mode(bool asNobody)
    {
        using var box = new Box(asNobody);
        var tar = new TarBuilder().File("z", "one").Dir("z", mode: 0xDFF).File("z", "two").Save(box.Archive("tar"));
        var run = box.Extract(tar);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("two", File.ReadAllText(Path.Combine(box.Out, "z")));
        Assert.Equal("644", ArchiveKit.Mode(Path.Combine(box.Out, "z")));
        box.Untouched("file, directory, file");
    }

    [Theory, MemberData(nameof(Users))]
    public void Symlink_chains_that_leave_the_destination_are_refused_and_nothing_is_written_through_them(bool asNobody)
    {
        using var box = new Box(asNobody);
        var tar = new TarBuilder()
            .Symlink("a/b/c/d/e/p2", "../../../../..")
            .Symlink("a/b/c/d/e/v", "p2/../../victim")
            .File("a/b/c/d/e/v/planted", "bad")
            .Symlink("p", ".")
            .Symlink("q", "p/..")
            .File("q/victim/planted", "bad")
            .Symlink("inside", "a/b/c/d/e/p2/a")
            .Save(box.Archive("tar"));
        var run = box.Extract(tar);
        Partial(run, ("a/b/c/d/e/v", "symlink_escape"), ("q", "symlink_escape"),
            ("a/b/c/d/e/v/planted", "through_symlink"), ("q/victim/planted", "through_symlink"));
        box.Untouched("symlink chains");
        // Links that resolve inside stay.
        Assert.Equal("../../../../..", new FileInfo(Path.Combine(box.Out, "a/b/c/d/e/p2")).LinkTarget);
        Assert.Equal(".", new FileInfo(Path.Combine(box.Out, "p")).LinkTarget);
        Assert.Equal("a/b/c/d/e/p2/a", new FileInfo(Path.Combine(box.Out, "inside")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(box.Out, "q")));
    }

    [Theory, MemberData(nameof(Users))]
    public void Names_with_parent_or_absolute_paths_are_refused_in_every_spelling(bool asNobody)
    {
        using var box = new Box(asNobody);
        var absolute = Path.Combine(box.Root, "victim", "absolute.txt"); // inside the watched area, never a real system path
        var tar = new TarBuilder()
            .File("ok.txt", "fine")
            .File("../escaped.txt", "bad")
            .File(absolute, "bad")
            .File("a/../../x", "bad")
            .Pax(("path", "../../victim/pax.txt")).File("innocent", "bad", magic: "ustar")
            .Long('L', B("../../victim/" + new string('l', 120))).File("short", "bad")
            .Save(box.Archive("tar"));
        var run = box.Extract(tar);
        Partial(run, ("../escaped.txt", "parent_traversal"), (absolute, "absolute_path"), ("a/../../x", "parent_traversal"),
            ("../../victim/pax.txt", "parent_traversal"));
        Assert.Equal("fine", File.ReadAllText(Path.Combine(box.Out, "ok.txt")));
        Assert.False(File.Exists(absolute));
        box.Untouched("parent and absolute names");
    }

    [Theory, MemberData(nameof(Users))]
    public void Hard_links_reach_only_files_the_archive_made(bool asNobody)
    {
        using var box = new Box(asNobody);
        var tar = new TarBuilder()
            .Hardlink("hl", "../../victim/secret")
            .Symlink("s", "../../victim/secret")
            .Hardlink("h", "s")
            .File("f", "content")
            .Hardlink("g", "f")
            .File("g", "replaced")
            .Save(box.Archive("tar"));
        var run = box.Extract(tar);
        // A hard link to a symlink is that symlink at its own place (GNU tar links the link itself): refused as an escape.
        Partial(run, ("hl", "hardlink_escape"), ("h", "symlink_escape"), ("s", "symlink_escape"));
        Assert.Equal("content", File.ReadAllText(Path.Combine(box.Out, "f")));
        Assert.Equal("replaced", File.ReadAllText(Path.Combine(box.Out, "g")));
        Assert.False(File.Exists(Path.Combine(box.Out, "h")) || new FileInfo(Path.Combine(box.Out, "h")).LinkTarget is not null);
        box.Untouched("hard links");
    }

    [Theory, MemberData(nameof(Users))]
    public void Entries_under_a_symlink_are_refused_even_when_the_link_is_kept(bool asNobody)
    {
        using var box = new Box(asNobody);
        var tar = new TarBuilder()
            .Symlink("l", "../../victim")
            .File("l/new.txt", "bad")
            .File("l/dir/x", "bad")
            .Dir("l")
            .File("l/ok", "fine")
            .Symlink("m", "../../victim/dir")
            .File("m/inner", "overwritten")
            .Save(box.Archive("tar"));
        foreach (var links in new[] { "safe", "keep" })
        {
            if (Directory.Exists(box.Out)) Directory.Delete(box.Out, true);
            var run = box.Extract(tar, $",links={links}");
            Partial(run, ("l/new.txt", "through_symlink"), ("l/dir/x", "through_symlink"), ("m/inner", "through_symlink"));
            Assert.Equal("fine", File.ReadAllText(Path.Combine(box.Out, "l", "ok")));
            box.Untouched($"writes through symlinks (links={links})");
        }
        // With links=keep the outward link itself is created verbatim (and never followed).
        Assert.Equal("../../victim/dir", new FileInfo(Path.Combine(box.Out, "m")).LinkTarget);
    }

    [Theory, MemberData(nameof(Users))]
    public void Device_nodes_and_fifos_are_refused_by_default(bool asNobody)
    {
        using var box = new Box(asNobody);
        var tar = new TarBuilder()
            .Entry(B("null"), '3', 0x1B6, devMajor: 1, devMinor: 3)
            .Entry(B("disk"), '4', 0x1B0, devMajor: 8, devMinor: 0)
            .Entry(B("pipe"), '6', 0x1A4)
            .File("ok", "fine")
            .Save(box.Archive("tar"));
        Partial(box.Extract(tar), ("null", "device_node"), ("disk", "device_node"), ("pipe", "fifo"));
        Assert.Equal(["ok"], Directory.EnumerateFileSystemEntries(box.Out).Select(Path.GetFileName));
        box.Untouched("devices");
    }

    [Theory, MemberData(nameof(Users))]
    public void Set_id_bits_are_kept_for_root_and_dropped_with_the_umask_for_other_users(bool asNobody)
    {
        using var box = new Box(asNobody);
        var tar = new TarBuilder()
            .Entry(B("suid"), '0', 0xDED, B("#!/bin/sh\n")) // 06755
            .Dir("sgid", mode: 0x5FF)                        // 02777
            .Entry(B("open"), '0', 0x1FF, B("x"))            // 0777
            .Save(box.Archive("tar"));
        var run = box.Extract(tar);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(asNobody ? "755" : "6755", ArchiveKit.Mode(Path.Combine(box.Out, "suid")));
        Assert.Equal(asNobody ? "755" : "2777", ArchiveKit.Mode(Path.Combine(box.Out, "sgid")));
        Assert.Equal(asNobody ? "755" : "777", ArchiveKit.Mode(Path.Combine(box.Out, "open")));
        if (asNobody)
        {
            Directory.Delete(box.Out, true);
            var keep = box.Extract(tar, ",preserve_permissions=true");
            Assert.True(keep.Ok, keep.ToString());
            Assert.Equal("6755", ArchiveKit.Mode(Path.Combine(box.Out, "suid")));
        }
        box.Untouched("modes");
    }

    [Theory, MemberData(nameof(Users))]
    public void Read_only_directories_are_filled_and_get_their_mode_last(bool asNobody)
    {
        using var box = new Box(asNobody);
        var tar = new TarBuilder().Dir("ro", mode: 0x16D).Dir("ro/sub", mode: 0x16D).File("ro/sub/f", "x").Save(box.Archive("tar"));
        var run = box.Extract(tar);
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("555", ArchiveKit.Mode(Path.Combine(box.Out, "ro")));
        Assert.Equal("555", ArchiveKit.Mode(Path.Combine(box.Out, "ro", "sub")));
        Assert.Equal("x", File.ReadAllText(Path.Combine(box.Out, "ro", "sub", "f")));
        box.Untouched("read-only directories");
    }

    [Theory, MemberData(nameof(Users))]
    public void Hostile_zip_entries_are_refused_like_tar_ones(bool asNobody)
    {
        using var box = new Box(asNobody);
        var path = box.Archive("zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            zip.CreateEntry("ok.txt").Open().Dispose();
            zip.CreateEntry("../zip-escape.txt").Open().Dispose();
            var link = zip.CreateEntry("zl");
            link.ExternalAttributes = unchecked((int)(0xA1FFu << 16));
            using (var s = link.Open()) s.Write(B("../../victim/secret"));
            zip.CreateEntry("a\\..\\..\\victim\\dos.txt").Open().Dispose();
        }
        ZipPatch.SetHost(path, "a\\..\\..\\victim\\dos.txt", 0); // made on MS-DOS: backslashes separate directories
        var run = box.Extract(path);
        Partial(run, ("../zip-escape.txt", "parent_traversal"), ("zl", "symlink_escape"));
        Assert.Contains(run.Result!["refused"]!.AsArray(), r => r!["reason"]!.GetValue<string>() == "parent_traversal" && r["path"]!.GetValue<string>().Contains("dos.txt"));
        box.Untouched("zip");
    }

    [Theory, MemberData(nameof(Users))]
    public void A_symlink_planted_in_an_existing_destination_is_never_followed(bool asNobody)
    {
        using var box = new Box(asNobody);
        Directory.CreateDirectory(box.Out);
        File.CreateSymbolicLink(Path.Combine(box.Out, "sub"), "../../victim/dir");
        if (asNobody) ArchiveKit.Chown(box.Out, ArchiveKit.Nobody, recursive: true);
        var tar = new TarBuilder().Dir("sub", mode: 0x1FF).File("sub/inner", "overwritten").File("sub/new", "new").Save(box.Archive("tar"));
        Assert.Equal("conflict", box.Extract(tar).ErrorCode);
        box.Untouched("merge, overwrite=error");
        var skip = box.Extract(tar, ",overwrite=skip");
        Assert.True(skip.Ok, skip.ToString());
        box.Untouched("merge, overwrite=skip");
        var replace = box.Extract(tar, ",overwrite=replace");
        Assert.True(replace.Ok, replace.ToString());
        Assert.Equal("new", File.ReadAllText(Path.Combine(box.Out, "sub", "new")));
        Assert.Null(new FileInfo(Path.Combine(box.Out, "sub")).LinkTarget);
        box.Untouched("merge, overwrite=replace");
    }

    [Theory, MemberData(nameof(Users))]
    public void Refused_entries_are_partial_unless_strict_is_off(bool asNobody)
    {
        using var box = new Box(asNobody);
        var tar = new TarBuilder().File("ok", "fine").Symlink("up", "../..").Save(box.Archive("tar"));
        var strict = box.Extract(tar);
        Partial(strict, ("up", "symlink_escape"));
        Assert.True(strict.Changed);
        Assert.Contains("links=keep", strict.Envelope["error"]!["hint"]!.GetValue<string>());
        Directory.Delete(box.Out, true);
        var lenient = box.Extract(tar, ",strict=false");
        Assert.True(lenient.Ok && lenient.ExitCode == 0, lenient.ToString());
        Assert.NotEmpty(lenient.Envelope["warnings"]!.AsArray());
        Directory.Delete(box.Out, true);
        var keep = box.Extract(tar, ",links=keep");
        Assert.True(keep.Ok, keep.ToString());
        Assert.Equal("../..", new FileInfo(Path.Combine(box.Out, "up")).LinkTarget);
        box.Untouched("strict and links");
    }
}

/// <summary>Edits a zip's central directory in place (tests of what other zip writers produce).</summary>
public static class ZipPatch
{
    /// <summary>Sets the "made by" host system of the entry named <paramref name="name"/> (0 = MS-DOS, 3 = Unix).</summary>
    public static void SetHost(string path, string name, byte host, bool keepAttributes = false)
    {
        var bytes = File.ReadAllBytes(path);
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            if (bytes[i] != 0x50 || bytes[i + 1] != 0x4b || bytes[i + 2] != 1 || bytes[i + 3] != 2) continue;
            var len = BitConverter.ToUInt16(bytes, i + 28);
            if (!bytes.AsSpan(i + 46, len).SequenceEqual(nameBytes)) continue;
            bytes[i + 5] = host;
            if (host == 0 && !keepAttributes) { bytes[i + 38] = 0; bytes[i + 39] = 0; bytes[i + 40] = 0; bytes[i + 41] = 0; } // no Unix mode
        }
        File.WriteAllBytes(path, bytes);
    }
}
