using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

/// <summary>Archives that round-trip like tar and cp -a: system trees, directory times, xattrs and ACLs, sparse files, hard links, single-file compression.</summary>
public sealed class ArchiveFidelityTests
{
    static ReshRun Resh(params string[] args) => ReshBinary.Run(args);

    static void Ok(ReshRun run) => Assert.True(run.Ok && run.ExitCode == 0, run.ToString());

    /// <summary>
    /// Every path under root → type, mode, owner, mtime (seconds), size, content hash, link target, and
    /// the other names of its inode (hard-link groups), keyed by raw name bytes.
    /// </summary>
    public static Dictionary<string, string> Tree(string root, bool symlinkTimes = true)
    {
        var psi = new ProcessStartInfo("find") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { root, "-mindepth", "1", "-printf", "%P\\t%y\\t%m\\t%U\\t%G\\t%T@\\t%s\\t%l\\t%i\\t%n\\0" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(output);
        p.WaitForExit();
        var records = Encoding.Latin1.GetString(output.ToArray()).Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split('\t')).ToList();
        var groups = records.Where(f => f[1] == "f" && f[9] != "1").GroupBy(f => f[8])
            .ToDictionary(g => g.Key, g => string.Join("|", g.Select(f => f[0]).Order(StringComparer.Ordinal)));
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in records)
        {
            var type = f[1];
            var time = type == "l" && !symlinkTimes ? "-" : f[5][..f[5].IndexOf('.')];
            var hash = "";
            if (type == "f")
            {
                var path = Encoding.Latin1.GetBytes(root + "/" + f[0]);
                hash = System.Text.Unicode.Utf8.IsValid(path) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Encoding.UTF8.GetString(path))))[..16] : "raw";
            }
            map[f[0]] = $"{type} {f[2]} {f[3]}:{f[4]} t={time} {(type == "f" ? f[6] : "-")} {hash} ->{f[7]} links={groups.GetValueOrDefault(f[8], "")}";
        }
        return map;
    }

    static void SameTree(string expectedRoot, string actualRoot, string what, bool symlinkTimes = true)
    {
        var expected = Tree(expectedRoot, symlinkTimes);
        var actual = Tree(actualRoot, symlinkTimes);
        var diffs = expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal)
            .Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Select(k => $"{k}\n   want {expected.GetValueOrDefault(k) ?? "(missing)"}\n   got  {actual.GetValueOrDefault(k) ?? "(missing)"}").ToList();
        Assert.True(diffs.Count == 0, $"{what}: {diffs.Count} of {expected.Count} entries differ\n{string.Join("\n", diffs.Take(15))}");
        Assert.True(expected.Count > 0, $"{what}: empty tree");
    }

    [Theory]
    [InlineData("etc")]
    [InlineData("usr/share/doc")]
    public void A_system_tree_round_trips_through_resh_and_GNU_tar_with_links_kept(string tree)
    {
        using var dir = new TempDir("roundtrip");
        // A private copy first, so package installs running meanwhile cannot change what is compared.
        var snap = dir["snap"];
        var source = Path.Combine(snap, tree);
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        Sh.Ok("cp", "-a", "/" + tree, Path.GetDirectoryName(source)!);
        var top = tree.Split('/')[^1];
        var parent = Path.GetDirectoryName(source)!;

        // resh writes, resh reads (tar semantics: every link as stored).
        Ok(Resh($"archive://{dir["r.tar"]}.create(sources={source})"));
        var viaResh = dir["via-resh"];
        var extract = Resh($"archive://{dir["r.tar"]}.extract(destination={viaResh},links=keep)");
        Ok(extract);
        SameTree(source, Path.Combine(viaResh, top), "resh create → resh extract");

        // resh writes, GNU tar reads: directory times survive because entries come depth-first.
        var viaGnu = dir["via-gnu"];
        Directory.CreateDirectory(viaGnu);
        Sh.Ok("tar", "-xpf", dir["r.tar"], "-C", viaGnu);
        SameTree(source, Path.Combine(viaGnu, top), "resh create → GNU tar extract");

        // GNU tar writes, resh reads.
        Sh.Ok("tar", "-cf", dir["g.tar"], "-C", parent, top);
        var fromGnu = dir["from-gnu"];
        Ok(Resh($"archive://{dir["g.tar"]}.extract(destination={fromGnu},links=keep)"));
        SameTree(source, Path.Combine(fromGnu, top), "GNU tar create → resh extract");
    }

    /// <summary>
    /// The round trips above keep links such as etc/runit/runsvdir/default/ssh -> /etc/sv/ssh: cleaning up the
    /// test's tree must remove the links, never change what they point to (an earlier cleanup made
    /// /etc/sv/ssh and every directory under a linked /usr/lib tree 0777).
    /// </summary>
    [Fact]
    public void Cleaning_up_a_test_tree_never_changes_what_its_links_point_to()
    {
        using var outside = new TempDir("cleanup-victim");
        var victim = outside["victim"];
        Directory.CreateDirectory(Path.Combine(victim, "deep"));
        foreach (var d in new[] { Path.Combine(victim, "deep"), victim }) File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var tree = new TempDir("cleanup");
        Directory.CreateDirectory(tree["sub"]);
        File.CreateSymbolicLink(tree["absolute"], victim);
        File.CreateSymbolicLink(Path.Combine(tree["sub"], "relative"), Path.GetRelativePath(tree["sub"], victim));
        File.SetUnixFileMode(tree["sub"], UnixFileMode.None);
        tree.Dispose();
        Assert.False(Directory.Exists(tree.Path));
        Assert.Equal("700", ArchiveKit.Mode(victim));
        Assert.Equal("700", ArchiveKit.Mode(Path.Combine(victim, "deep")));
    }

    [Fact]
    public void Directory_times_survive_GNU_tar_because_entries_are_written_depth_first()
    {
        using var dir = new TempDir("dfs");
        var src = dir["src"];
        Directory.CreateDirectory(Path.Combine(src, "b", "c"));
        File.WriteAllText(Path.Combine(src, "b", "c", "f"), "x");
        File.WriteAllText(Path.Combine(src, "b", "g"), "y");
        File.WriteAllText(Path.Combine(src, "z"), "z");
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        foreach (var d in new[] { Path.Combine(src, "b", "c"), Path.Combine(src, "b"), src }) Directory.SetLastWriteTimeUtc(d, old);
        Ok(Resh($"archive://{dir["x.tar"]}.create(sources={src})"));
        var names = Sh.Ok("tar", "-tf", dir["x.tar"]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["src/", "src/b/", "src/b/c/", "src/b/c/f", "src/b/g", "src/z"], names);
        Directory.CreateDirectory(dir["out"]);
        Sh.Ok("tar", "-xf", dir["x.tar"], "-C", dir["out"]);
        foreach (var d in new[] { "src", "src/b", "src/b/c" })
            Assert.Equal(old, Directory.GetLastWriteTimeUtc(Path.Combine(dir["out"], d)));
    }

    [Fact]
    public void Xattrs_and_ACLs_go_into_pax_records_as_GNU_tar_writes_them_and_come_back_when_asked()
    {
        using var dir = new TempDir("xattr");
        var src = dir["src"];
        Directory.CreateDirectory(Path.Combine(src, "shared"));
        File.WriteAllText(Path.Combine(src, "doc.txt"), "text");
        Sh.Ok("setfattr", "-n", "user.comment", "-v", "reviewed", Path.Combine(src, "doc.txt"));
        Sh.Ok("setfacl", "-m", "u:nobody:rw", Path.Combine(src, "doc.txt"));
        Sh.Ok("setfacl", "-d", "-m", "u:nobody:rx", Path.Combine(src, "shared"));
        string Attrs(string root) =>
            Sh.Ok("getfattr", "-d", "--absolute-names", Path.Combine(root, "doc.txt")).Replace(root, "") +
            Sh.Ok("getfacl", "-c", Path.Combine(root, "doc.txt")) + Sh.Ok("getfacl", "-c", Path.Combine(root, "shared"));
        var want = Attrs(src);

        Ok(Resh($"archive://{dir["x.tar"]}.create(sources={src},xattrs=true,acls=true)"));
        var listing = Sh.Ok("tar", "--xattrs", "--acls", "-tvvf", dir["x.tar"]);
        Assert.Contains("user.comment", listing);
        Assert.Contains("user:nobody:rw-", listing);

        // GNU tar restores what resh stored.
        Directory.CreateDirectory(dir["gnu"]);
        Sh.Ok("tar", "--xattrs", "--xattrs-include=*", "--acls", "-xpf", dir["x.tar"], "-C", dir["gnu"]);
        Assert.Equal(want, Attrs(Path.Combine(dir["gnu"], "src")));

        // resh restores them only when asked.
        Ok(Resh($"archive://{dir["x.tar"]}.extract(destination={dir["plain"]})"));
        Assert.DoesNotContain("user.comment", Sh.Ok("getfattr", "-d", Path.Combine(dir["plain"], "src", "doc.txt")));
        Ok(Resh($"archive://{dir["x.tar"]}.extract(destination={dir["asked"]},xattrs=true,acls=true)"));
        Assert.Equal(want, Attrs(Path.Combine(dir["asked"], "src")));

        // And what GNU tar stored.
        Sh.Ok("tar", "--xattrs", "--acls", "--format=posix", "-cf", dir["g.tar"], "-C", dir.Path, "src");
        Ok(Resh($"archive://{dir["g.tar"]}.extract(destination={dir["fromgnu"]},xattrs=true,acls=true)"));
        Assert.Equal(want, Attrs(Path.Combine(dir["fromgnu"], "src")));
    }

    [Theory]
    [InlineData("gnu")]
    [InlineData("pax")]
    public void Sparse_files_are_written_with_their_holes_and_GNU_tar_restores_them(string dialect)
    {
        using var dir = new TempDir("sparsew");
        var src = dir["src"];
        Directory.CreateDirectory(src);
        var file = Path.Combine(src, "vm.img");
        using (var fs = File.Create(file))
        {
            fs.SetLength(256L << 20);
            for (long at = 0; at < 256L << 20; at += 37L << 20) { fs.Position = at; fs.Write(Enumerable.Repeat((byte)(at % 251), 4096).ToArray()); }
        }
        var create = Resh($"archive://{dir["x.tar"]}.create(sources={src},tar_format={dialect})");
        Ok(create);
        Assert.True(new FileInfo(dir["x.tar"]).Length < 1 << 20, "the holes were stored as zeros");
        var listing = Sh.Ok("tar", "-tvf", dir["x.tar"]);
        Assert.Contains("268435456", listing);
        Assert.DoesNotContain("GNUSparseFile", listing);
        Directory.CreateDirectory(dir["gnu"]);
        Sh.Ok("tar", "-xf", dir["x.tar"], "-C", dir["gnu"]);
        var restored = Path.Combine(dir["gnu"], "src", "vm.img");
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(file)), SHA256.HashData(File.ReadAllBytes(restored)));
        Assert.True(ArchiveKit.Stat(restored, "%b") * 512 < 4 << 20, "GNU tar did not restore holes");
        Ok(Resh($"archive://{dir["x.tar"]}.extract(destination={dir["resh"]})"));
        Assert.True(ArchiveKit.Stat(Path.Combine(dir["resh"], "src", "vm.img"), "%b") * 512 < 4 << 20);
        var zip = Resh($"archive://{dir["x.zip"]}.create(sources={src})"); // zip has no holes: stored whole, deflated
        Ok(zip);
    }

    [Fact]
    public void Removing_the_file_that_hard_links_point_to_keeps_the_links_as_the_file()
    {
        using var dir = new TempDir("rmhard");
        var src = dir["src"];
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "a"), "shared content\n");
        Sh.Ok("ln", Path.Combine(src, "a"), Path.Combine(src, "b"));
        Sh.Ok("ln", Path.Combine(src, "a"), Path.Combine(src, "c"));
        Ok(Resh($"archive://{dir["x.tar.gz"]}.create(sources={src})"));
        Assert.Contains("src/b link to src/a", Sh.Ok("tar", "-tvzf", dir["x.tar.gz"]));
        var remove = Resh($"archive://{dir["x.tar.gz"]}.remove(paths=src/a)");
        Ok(remove);
        Directory.CreateDirectory(dir["out"]);
        Sh.Ok("tar", "-xzf", dir["x.tar.gz"], "-C", dir["out"]);
        Assert.False(File.Exists(Path.Combine(dir["out"], "src", "a")));
        Assert.Equal("shared content\n", File.ReadAllText(Path.Combine(dir["out"], "src", "b")));
        Assert.Equal("shared content\n", File.ReadAllText(Path.Combine(dir["out"], "src", "c")));
        Assert.Equal(ArchiveKit.Stat(Path.Combine(dir["out"], "src", "b"), "%i"), ArchiveKit.Stat(Path.Combine(dir["out"], "src", "c"), "%i"));
        Assert.Equal("not_found", Resh($"archive://{dir["x.tar.gz"]}.remove(paths=src/nothing-here)").ErrorCode);
    }

    [Theory]
    [InlineData("gz")]
    [InlineData("zst")]
    public void Compress_and_decompress_keep_mode_owner_and_times(string codec)
    {
        using var dir = new TempDir("czmeta");
        var file = dir.File("secret.log", string.Concat(Enumerable.Repeat("private line\n", 2000)));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Sh.Ok("chown", "65534:65534", file);
        var when = new DateTime(2010, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, when);
        Ok(Resh($"archive://{file}.compress(type={codec})"));
        var packed = file + "." + codec;
        Assert.Equal("600", ArchiveKit.Mode(packed));
        Assert.Equal(65534, ArchiveKit.Stat(packed, "%u"));
        Assert.Equal(when, File.GetLastWriteTimeUtc(packed));
        File.Delete(file);
        Ok(Resh($"archive://{packed}.decompress"));
        Assert.Equal("600", ArchiveKit.Mode(file));
        Assert.Equal(65534, ArchiveKit.Stat(file, "%u"));
        Assert.Equal(when, File.GetLastWriteTimeUtc(file));
    }
}
