using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Archive;

/// <summary>
/// What archive:// writes never lands on something that is not its own regular file: a symlink or FIFO at the
/// archive path, an existing compress/decompress output, a destination reached through a planted link.
/// </summary>
public sealed class ArchiveOutputSafetyTests
{
    [Fact]
    public void Create_refuses_a_symlink_or_fifo_at_the_archive_path_and_leaves_it_alone()
    {
        using var dir = new TempDir("arclink");
        var src = dir.File("src/a.txt", "payload\n");
        var real = dir.File("real.tar", "the real file\n");
        var link = dir["lnk.tar"];
        File.CreateSymbolicLink(link, real);
        var run = ReshBinary.Run($"archive://{link}.create(sources={src})");
        Assert.Equal("conflict", run.ErrorCode);
        Assert.Contains("symlink", run.ToString());
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal("the real file\n", File.ReadAllText(real));

        var fifo = dir["pipe.tar"];
        Sh.Ok("mkfifo", fifo);
        var onFifo = ReshBinary.Run($"archive://{fifo}.create(sources={src})");
        Assert.Equal("conflict", onFifo.ErrorCode);
        Assert.Equal("fifo", Sh.Ok("stat", "-c", "%F", fifo).Trim());
        Assert.Empty(Directory.GetFiles(dir.Path, ".*resh-*"));
    }

    [Theory]
    [InlineData("gz")]
    [InlineData("zst")]
    public void Compress_and_decompress_never_overwrite_an_existing_output_unless_asked(string codec)
    {
        using var dir = new TempDir("czkeep");
        var file = dir.File("log.txt", string.Concat(Enumerable.Repeat("line of log\n", 500)));
        var packed = dir.File("log.txt." + codec, "an older file the user keeps\n");
        var c = ReshBinary.Run($"archive://{file}.compress(type={codec})");
        Assert.Equal("conflict", c.ErrorCode);
        Assert.Contains("already exists", c.ToString());
        Assert.Equal("an older file the user keeps\n", File.ReadAllText(packed));
        var forced = ReshBinary.Run($"archive://{file}.compress(type={codec},overwrite=true)");
        Assert.True(forced.Ok, forced.ToString());
        Assert.NotEqual("an older file the user keeps\n", File.ReadAllText(packed));

        File.WriteAllText(file, "edited since\n");
        var d = ReshBinary.Run($"archive://{packed}.decompress");
        Assert.Equal("conflict", d.ErrorCode);
        Assert.Equal("edited since\n", File.ReadAllText(file));

        // A symlink at the output is never replaced, not even with overwrite=true.
        var target = dir.File("elsewhere.txt", "link target\n");
        var linked = dir["linked.txt"];
        File.CreateSymbolicLink(linked, target);
        var viaLink = ReshBinary.Run($"archive://{packed}.decompress(output={linked},overwrite=true)");
        Assert.Equal("conflict", viaLink.ErrorCode);
        Assert.NotNull(new FileInfo(linked).LinkTarget);
        Assert.Equal("link target\n", File.ReadAllText(target));
        var ok = ReshBinary.Run($"archive://{packed}.decompress(overwrite=true)");
        Assert.True(ok.Ok, ok.ToString());
        Assert.Equal(string.Concat(Enumerable.Repeat("line of log\n", 500)), File.ReadAllText(file));
    }

    [Fact]
    public void Extract_follows_a_destination_link_only_under_the_protected_symlinks_rule()
    {
        Sh.RequireRoot();
        using var dir = new TempDir("extlink");
        var src = dir.File("src/a.txt", "payload\n");
        var archive = dir["x.tar"];
        Assert.True(ReshBinary.Run($"archive://{archive}.create(sources={src})").Ok);
        var sticky = Directory.CreateDirectory(dir["sticky"]).FullName;
        File.SetUnixFileMode(sticky, (UnixFileMode)0x3FF); // 1777, like /tmp
        var victim = Directory.CreateDirectory(dir["victim"]).FullName;
        var planted = Path.Combine(sticky, "out");
        File.CreateSymbolicLink(planted, victim);
        Sh.Ok("chown", "-h", "65534:65534", planted);
        var run = ReshBinary.Run($"archive://{archive}.extract(destination={planted})");
        Assert.Equal("permission_denied", run.ErrorCode);
        Assert.Empty(Directory.GetFileSystemEntries(victim));
    }

    [Fact]
    public void Extract_refuses_a_destination_that_leads_to_the_root_through_a_link()
    {
        using var dir = new TempDir("extroot");
        var src = dir.File("src/a.txt", "payload\n");
        var archive = dir["x.tar"];
        Assert.True(ReshBinary.Run($"archive://{archive}.create(sources={src})").Ok);
        var rootlink = dir["rootlink"];
        File.CreateSymbolicLink(rootlink, "/");
        // --dry-run: even the code before the fix writes nothing anywhere.
        var run = ReshBinary.Run($"archive://{archive}.extract(destination={rootlink})", "--dry-run");
        Assert.Equal("usage", run.ErrorCode);
    }

    [Fact]
    public void Empty_files_in_a_zip_are_stored_and_pass_unzip_and_7z_tests()
    {
        using var dir = new TempDir("zipempty");
        dir.File("src/empty.txt", "");
        dir.File("src/full.txt", "some content\n");
        var zip = dir["x.zip"];
        var create = ReshBinary.Run($"archive://{zip}.create(sources={dir["src"]})");
        Assert.True(create.Ok, create.ToString());
        Sh.Ok("unzip", "-t", zip);
        Sh.Ok("7z", "t", zip);
        Assert.Matches(@"Method = Store", Sh.Ok("7z", "l", "-slt", zip).Split("Path = ").Single(b => b.StartsWith("src/empty.txt")));
    }

    [Fact]
    public void Seven_zip_create_takes_source_names_literally_never_as_wildcards()
    {
        using var dir = new TempDir("7zwild");
        dir.File("a*/note.txt", "meant to be archived\n");
        dir.File("admin-secrets/key.txt", "must never be archived\n");
        var archive = dir["x.7z"];
        var create = ReshBinary.Run($"archive://{archive}.create(sources={dir["a*"]})");
        Assert.True(create.Ok, create.ToString());
        var listing = Sh.Ok("7z", "l", archive);
        Assert.Contains("note.txt", listing);
        Assert.DoesNotContain("admin-secrets", listing);
        Assert.DoesNotContain("key.txt", listing);
    }
}
