using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileListTests : IDisposable
{
    readonly TempDir _dir = new("list");

    public FileListTests()
    {
        _dir.File("b.txt", "bb");
        _dir.File("a.log", "a");
        _dir.File("big.log", new string('x', 5000));
        _dir.File(".hidden", "h");
        _dir.File("sub/c.txt", "ccc");
        _dir.File("sub/deep/d.txt", "dddd");
        _dir.File(".dot/e.txt", "e");
        File.CreateSymbolicLink(_dir["link"], "b.txt");
        File.SetLastWriteTimeUtc(_dir["a.log"], new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
    }

    public void Dispose() => _dir.Dispose();

    static string[] Names(System.Text.Json.Nodes.JsonNode r) => r["entries"]!.AsArray().Select(e => e!.Str("name")).ToArray();

    [Fact]
    public void A_directory_lists_its_visible_entries_sorted_by_name()
    {
        var r = Resh.Ok(Resh.Run($"file://{_dir.Path}.list"), changed: false);
        Assert.Equal(["a.log", "b.txt", "big.log", "link", "sub"], Names(r));
        var link = r["entries"]!.AsArray().Single(e => e!.Str("name") == "link")!;
        Assert.Equal("symlink", link.Str("type"));
        Assert.Equal("b.txt", link.Str("link_target"));
        var b = r["entries"]!.AsArray().Single(e => e!.Str("name") == "b.txt")!;
        Assert.Equal(2, b.Num("size"));
        Assert.Equal("0644", b.Str("mode"));
        Assert.Equal(5, r.Num("count"));
        Assert.Equal(3, r.Num("files"));
        Assert.Equal(5003, r.Num("bytes"));
    }

    [Fact]
    public void Hidden_entries_appear_with_hidden_true()
    {
        var r = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "hidden=true"));
        Assert.Contains(".hidden", Names(r));
        Assert.Contains(".dot", Names(r));
    }

    [Fact]
    public void Recursive_listing_honours_depth_and_skips_dot_directories()
    {
        var all = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "recursive=true"));
        Assert.Contains("d.txt", Names(all));
        Assert.DoesNotContain("e.txt", Names(all));
        var shallow = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "recursive=true", "depth=2"));
        Assert.Contains("c.txt", Names(shallow));
        Assert.Contains("deep", Names(shallow));
        Assert.DoesNotContain("d.txt", Names(shallow));
    }

    [Fact]
    public void A_name_pattern_matches_at_every_depth_when_recursive()
    {
        var top = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "pattern=*.txt"));
        Assert.Equal(["b.txt"], Names(top));
        var deep = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "pattern=*.txt", "recursive=true"));
        Assert.Equal(["b.txt", "c.txt", "d.txt"], Names(deep));
    }

    [Fact]
    public void A_double_star_pattern_recurses_by_itself()
    {
        var r = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "pattern=sub/**/*.txt"));
        Assert.Equal(["c.txt", "d.txt"], Names(r));
        var classes = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "pattern={a,b}*.?o?"));
        Assert.Equal(["a.log", "big.log"], Names(classes));
    }

    [Fact]
    public void Sorting_by_size_and_mtime_and_limit_follow_ls_habits()
    {
        var bySize = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "sort=size", "type=file", "limit=2"));
        Assert.Equal(["big.log", "b.txt"], Names(bySize));
        Assert.True(bySize.Flag("truncated"));
        Assert.Equal(3, bySize.Num("matched"));
        var oldestFirst = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "sort=mtime", "reverse=true", "type=file"));
        Assert.Equal("a.log", Names(oldestFirst)[0]);
    }

    [Fact]
    public void Listing_a_file_lists_just_that_file()
    {
        var r = Resh.Ok(Resh.Run($"file://{_dir["b.txt"]}.list"));
        Assert.Equal(["b.txt"], Names(r));
    }

    [Fact]
    public void Raw_output_is_one_path_per_line()
    {
        var run = Resh.Run($"file://{_dir.Path}.list", "pattern=*.log", "--format", "raw");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"{_dir["a.log"]}\n{_dir["big.log"]}\n", run.Stdout);
    }

    [Fact]
    public void A_leftover_temporary_file_of_a_killed_write_is_visible_with_hidden()
    {
        var temp = _dir.File(".b.txt.resh-123-0123456789ab.tmp", "partial");
        var r = Resh.Ok(Resh.Run($"file://{_dir.Path}.list", "hidden=true"));
        Assert.Contains(Path.GetFileName(temp), Names(r));
    }

    [Fact]
    public void A_missing_directory_is_not_found()
    {
        Resh.Fails(Resh.Run($"file://{_dir["nope"]}.list"), "not_found");
    }

    [Fact]
    public void An_unreadable_directory_is_permission_denied()
    {
        var locked = _dir["sub"];
        Tool.Ok("chmod", "0700", locked);
        Resh.Fails(Resh.AsNobody($"file://{locked}.list"), "permission_denied");
    }
}
