using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileMoveTests
{
    [Fact]
    public void Moving_renames_and_a_second_run_reports_it_already_happened()
    {
        using var dir = new TempDir("move");
        var src = dir.File("a", "x");
        var inode = Tool.Stat("%i", src);
        var r = Resh.Ok(Resh.Run($"file://{src}.move", $"to={dir["b"]}"), changed: true);
        Assert.Equal("rename", r.Str("method"));
        Assert.False(File.Exists(src));
        Assert.Equal(inode, Tool.Stat("%i", dir["b"]));
        var again = Resh.Ok(Resh.Run($"file://{src}.move", $"to={dir["b"]}"), changed: false);
        Assert.True(again.Flag("already_moved"));
    }

    [Fact]
    public void Dry_run_moves_nothing()
    {
        using var dir = new TempDir("move");
        var src = dir.File("a", "x");
        Resh.Ok(Resh.Run($"file://{src}.move", $"to={dir["b"]}", "--dry-run"), changed: true);
        Assert.True(File.Exists(src));
        Assert.False(File.Exists(dir["b"]));
    }

    [Fact]
    public void An_existing_destination_follows_the_overwrite_policy()
    {
        using var dir = new TempDir("move");
        var src = dir.File("a", "new");
        var dst = dir.File("b", "old");
        Resh.Fails(Resh.Run($"file://{src}.move", $"to={dst}"), "conflict");
        var skip = Resh.Ok(Resh.Run($"file://{src}.move", $"to={dst}", "overwrite=skip"), changed: false);
        Assert.True(skip.Flag("skipped"));
        Assert.Equal("old", File.ReadAllText(dst));
        var r = Resh.Ok(Resh.Run($"file://{src}.move", $"to={dst}", "overwrite=always"), changed: true);
        Assert.True(r.Flag("overwritten"));
        Assert.Equal("new", File.ReadAllText(dst));
        Assert.False(File.Exists(src));
    }

    [Fact]
    public void Moving_a_tree_across_file_systems_copies_then_deletes()
    {
        using var dir = new TempDir("move");
        dir.File("t/a", "1");
        dir.File("t/s/b", "22");
        File.CreateSymbolicLink(dir["t/l"], "a");
        Tool.Ok("chmod", "0705", dir["t/s"]);
        Tool.Ok("chown", "65534:65534", dir["t/a"]);
        var mtime = Tool.Stat("%y", dir["t/s/b"]);
        var dest = Path.Combine("/dev/shm", "resh-move-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var r = Resh.Ok(Resh.Run($"file://{dir["t"]}.move", $"to={dest}"), changed: true);
            Assert.Equal("copy+delete", r.Str("method"));
            Assert.False(Directory.Exists(dir["t"]));
            Assert.Equal("22", File.ReadAllText(Path.Combine(dest, "s/b")));
            Assert.Equal("a", new FileInfo(Path.Combine(dest, "l")).LinkTarget);
            Assert.Equal("705", Tool.Mode(Path.Combine(dest, "s")));
            Assert.Equal("65534", Tool.Stat("%u", Path.Combine(dest, "a")));
            Assert.Equal(mtime, Tool.Stat("%y", Path.Combine(dest, "s/b")));
        }
        finally
        {
            if (Directory.Exists(dest)) Directory.Delete(dest, recursive: true);
        }
    }

    [Fact]
    public void Moving_onto_itself_is_a_usage_error_and_a_missing_source_is_not_found()
    {
        using var dir = new TempDir("move");
        var f = dir.File("f", "x");
        Resh.Fails(Resh.Run($"file://{f}.move", $"to={f}"), "usage");
        Resh.Fails(Resh.Run($"file://{dir["nope"]}.move", $"to={dir["other"]}"), "not_found");
    }

    [Fact]
    public void Moving_out_of_a_directory_the_caller_cannot_write_is_permission_denied()
    {
        using var dir = new TempDir("move");
        var f = dir.File("f", "x");
        var target = dir["open"];
        Directory.CreateDirectory(target);
        Tool.Ok("chmod", "0777", target);
        Resh.Fails(Resh.AsNobody($"file://{f}.move", $"to={target}/"), "permission_denied");
        Assert.True(File.Exists(f));
    }
}
