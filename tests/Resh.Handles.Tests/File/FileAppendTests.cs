using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileAppendTests
{
    [Fact]
    public void Appending_adds_bytes_at_the_end_and_keeps_mode_and_owner()
    {
        using var dir = new TempDir("append");
        var path = dir.File("log", "one\n");
        Tool.Ok("chmod", "0604", path);
        Tool.Ok("chown", "65534:65534", path);
        var r = Resh.Ok(Resh.WithStdin(Encoding.UTF8.GetBytes("two\n"), $"file://{path}.append", "content=@-"), changed: true);
        Assert.Equal(4, r.Num("appended"));
        Assert.Equal(8, r.Num("size"));
        Assert.Contains("+two", r.Str("diff"));
        Assert.Equal("one\ntwo\n", File.ReadAllText(path));
        Assert.Equal("604 65534 65534", Tool.Stat("%a %u %g", path));
    }

    [Fact]
    public void Every_run_with_content_appends_again()
    {
        using var dir = new TempDir("append");
        var path = dir.File("log", "");
        Resh.Ok(Resh.Run($"file://{path}.append", "content=x"), changed: true);
        Resh.Ok(Resh.Run($"file://{path}.append", "content=x"), changed: true);
        Assert.Equal("xx", File.ReadAllText(path));
        Resh.Ok(Resh.Run($"file://{path}.append", "content="), changed: false);
        Assert.Equal("xx", File.ReadAllText(path));
    }

    [Fact]
    public void Dry_run_shows_the_diff_and_appends_nothing()
    {
        using var dir = new TempDir("append");
        var path = dir.File("log", "a\n");
        var r = Resh.Ok(Resh.Run($"file://{path}.append", "content=b\n", "--dry-run"), changed: true);
        Assert.Contains("+b", r.Str("diff"));
        Assert.Equal("a\n", File.ReadAllText(path));
    }

    [Fact]
    public void A_missing_file_is_created_unless_create_is_false()
    {
        using var dir = new TempDir("append");
        Resh.Fails(Resh.Run($"file://{dir["a"]}.append", "content=x", "create=false"), "not_found");
        Assert.False(File.Exists(dir["a"]));
        var r = Resh.Ok(Resh.Run($"file://{dir["a"]}.append", "content=x"), changed: true);
        Assert.True(r.Flag("created"));
        Assert.Equal("x", File.ReadAllText(dir["a"]));
    }

    [Fact]
    public void In_place_append_keeps_the_inode_for_processes_holding_the_file_open()
    {
        using var dir = new TempDir("append");
        var path = dir.File("live.log", "1\n");
        var inode = Tool.Stat("%i", path);
        Resh.Ok(Resh.Run($"file://{path}.append", "content=2\n", "atomic=false"), changed: true);
        Assert.Equal("1\n2\n", File.ReadAllText(path));
        Assert.Equal(inode, Tool.Stat("%i", path));
    }

    [Fact]
    public void Appending_to_a_directory_is_a_usage_error()
    {
        using var dir = new TempDir("append");
        Resh.Fails(Resh.Run($"file://{dir.Path}.append", "content=x"), "usage");
    }
}
