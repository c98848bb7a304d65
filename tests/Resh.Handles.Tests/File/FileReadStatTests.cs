using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileReadStatTests
{
    [Fact]
    public void Read_returns_text_a_byte_range_and_refuses_binary_as_text()
    {
        using var dir = new TempDir("read");
        var f = dir.File("t", "hello world");
        Assert.Equal("hello world", Resh.Ok(Resh.Run($"file://{f}.read"), changed: false).Str("content"));
        var range = Resh.Ok(Resh.Run($"file://{f}.read", "offset=6", "length=3"));
        Assert.Equal("wor", range.Str("content"));
        Assert.True(range.Flag("truncated"));
        var bin = dir["b"];
        File.WriteAllBytes(bin, [0, 255, 1]);
        Resh.Fails(Resh.Run($"file://{bin}.read"), "failed");
        Assert.Equal("AP8B", Resh.Ok(Resh.Run($"file://{bin}.read", "encoding=base64")).Str("content"));
        Resh.Fails(Resh.Run($"file://{f}.read", "max_size=4"), "failed");
    }

    [Fact]
    public void Stat_describes_the_file_and_follow_false_describes_the_link()
    {
        using var dir = new TempDir("stat");
        var f = dir.File("f", "abc");
        Tool.Ok("chmod", "0640", f);
        File.CreateSymbolicLink(dir["l"], "f");
        var st = Resh.Ok(Resh.Run($"file://{dir["l"]}.stat"));
        Assert.Equal("file", st.Str("type"));
        Assert.Equal(3, st.Num("size"));
        Assert.Equal("0640", st.Str("mode"));
        Assert.Equal(Tool.Stat("%i", f), st.Num("inode").ToString());
        var lst = Resh.Ok(Resh.Run($"file://{dir["l"]}.stat", "follow=false"));
        Assert.Equal("symlink", lst.Str("type"));
        Assert.Equal("f", lst.Str("link_target"));
        Assert.False(Resh.Ok(Resh.Run($"file://{dir["nope"]}.stat")).Flag("exists"));
    }

    [Fact]
    public void Exists_is_true_false_never_an_error_and_counts_dangling_links()
    {
        using var dir = new TempDir("exists");
        File.CreateSymbolicLink(dir["dangling"], "missing");
        Assert.True(Resh.Ok(Resh.Run($"file://{dir["dangling"]}.exists")).Flag("exists"));
        Assert.False(Resh.Ok(Resh.Run($"file://{dir["nope"]}.exists")).Flag("exists"));
        Assert.Equal("false\n", Resh.Run($"file://{dir["nope"]}.exists", "--format", "raw").Stdout);
    }

    [Fact]
    public void Reading_an_unreadable_file_is_permission_denied()
    {
        using var dir = new TempDir("read");
        var f = dir.File("secret", "x");
        Tool.Ok("chmod", "0600", f);
        Resh.Fails(Resh.AsNobody($"file://{f}.read"), "permission_denied");
    }
}
