using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileCopyTests
{
    [Fact]
    public void Copying_a_file_preserves_mode_and_times_and_a_second_run_is_unchanged()
    {
        using var dir = new TempDir("copy");
        var src = dir.File("src", "data\n");
        Tool.Ok("chmod", "0751", src);
        Tool.Ok("touch", "-d", "2021-02-03 04:05:06.123456789", src);
        var dst = dir["dst"];
        var r = Resh.Ok(Resh.Run($"file://{src}.copy", $"to={dst}"), changed: true);
        Assert.Equal(1, r.Num("files_copied"));
        Assert.Equal("data\n", File.ReadAllText(dst));
        Assert.Equal(Tool.Stat("%a %y", src), Tool.Stat("%a %y", dst)); // nanoseconds included
        var again = Resh.Ok(Resh.Run($"file://{src}.copy", $"to={dst}"), changed: false);
        Assert.Equal(1, again.Num("unchanged"));
    }

    [Fact]
    public void A_trailing_slash_or_an_existing_directory_copies_into_it()
    {
        using var dir = new TempDir("copy");
        var src = dir.File("a.txt", "x");
        Directory.CreateDirectory(dir["into"]);
        var r = Resh.Ok(Resh.Run($"file://{src}.copy", $"to={dir["into"]}"), changed: true);
        Assert.Equal(dir["into/a.txt"], r.Str("to"));
        Assert.Equal("x", File.ReadAllText(dir["into/a.txt"]));

        dir.File("tree/f", "y");
        var t = Resh.Ok(Resh.Run($"file://{dir["tree"]}.copy", $"to={dir["into"]}/", "recursive=true"), changed: true);
        Assert.Equal(dir["into/tree"], t.Str("to"));
        Assert.Equal("y", File.ReadAllText(dir["into/tree/f"]));
    }

    [Fact]
    public void An_existing_different_destination_is_a_conflict_by_default()
    {
        using var dir = new TempDir("copy");
        var src = dir.File("src", "new");
        var dst = dir.File("dst", "old");
        var error = Resh.Fails(Resh.Run($"file://{src}.copy", $"to={dst}"), "conflict");
        Assert.Equal(dst, error["details"]!["conflicts"]![0]!.GetValue<string>());
        Assert.Equal("old", File.ReadAllText(dst));
    }

    [Fact]
    public void Overwrite_always_replaces_with_a_diff_and_then_is_unchanged()
    {
        using var dir = new TempDir("copy");
        var src = dir.File("src", "new\n");
        var dst = dir.File("dst", "old\n");
        var dry = Resh.Ok(Resh.Run($"file://{src}.copy", $"to={dst}", "overwrite=always", "--dry-run"), changed: true);
        Assert.Contains("-old", dry.Str("diff"));
        Assert.Equal("old\n", File.ReadAllText(dst));
        var r = Resh.Ok(Resh.Run($"file://{src}.copy", $"to={dst}", "overwrite=always"), changed: true);
        Assert.Equal(1, r.Num("overwritten"));
        Assert.Equal("new\n", File.ReadAllText(dst));
        Resh.Ok(Resh.Run($"file://{src}.copy", $"to={dst}", "overwrite=always"), changed: false);
    }

    [Fact]
    public void Overwrite_newer_and_skip_keep_a_newer_destination()
    {
        using var dir = new TempDir("copy");
        var src = dir.File("src", "source");
        var dst = dir.File("dst", "destination");
        Tool.Ok("touch", "-d", "2020-01-01", src);
        var newer = Resh.Ok(Resh.Run($"file://{src}.copy", $"to={dst}", "overwrite=newer"), changed: false);
        Assert.Equal(1, newer.Num("skipped"));
        var skip = Resh.Ok(Resh.Run($"file://{src}.copy", $"to={dst}", "overwrite=skip"), changed: false);
        Assert.Equal(1, skip.Num("skipped"));
        Assert.Equal("destination", File.ReadAllText(dst));
        Tool.Ok("touch", "-d", "2020-01-01", dst);
        Tool.Ok("touch", src);
        Resh.Ok(Resh.Run($"file://{src}.copy", $"to={dst}", "overwrite=newer"), changed: true);
        Assert.Equal("source", File.ReadAllText(dst));
    }

    [Fact]
    public void A_tree_is_copied_with_links_as_links_and_merged_idempotently()
    {
        using var dir = new TempDir("copy");
        dir.File("src/a", "1");
        dir.File("src/sub/b", "22");
        File.CreateSymbolicLink(dir["src/link"], "a");
        Tool.Ok("chmod", "0750", dir["src/sub"]);
        Resh.Fails(Resh.Run($"file://{dir["src"]}.copy", $"to={dir["dst"]}"), "usage");

        var r = Resh.Ok(Resh.Run($"file://{dir["src"]}.copy", $"to={dir["dst"]}", "recursive=true"), changed: true);
        Assert.Equal(2, r.Num("files_copied"));
        Assert.Equal(1, r.Num("links_created"));
        Assert.Equal(2, r.Num("dirs_created"));
        Assert.Equal("22", File.ReadAllText(dir["dst/sub/b"]));
        Assert.Equal("a", new FileInfo(dir["dst/link"]).LinkTarget);
        Assert.Equal("750", Tool.Mode(dir["dst/sub"]));

        Resh.Ok(Resh.Run($"file://{dir["src"]}.copy", $"to={dir["dst"]}", "recursive=true"), changed: false);

        File.WriteAllText(dir["src/new"], "n");
        var merged = Resh.Ok(Resh.Run($"file://{dir["src"]}.copy", $"to={dir["dst"]}", "recursive=true"), changed: true);
        Assert.Equal(1, merged.Num("files_copied"));
        Assert.Equal("n", File.ReadAllText(dir["dst/new"]));
    }

    [Fact]
    public void Dry_run_copies_nothing()
    {
        using var dir = new TempDir("copy");
        dir.File("src/a", "1");
        var r = Resh.Ok(Resh.Run($"file://{dir["src"]}.copy", $"to={dir["dst"]}", "recursive=true", "--dry-run"), changed: true);
        Assert.Equal(1, r.Num("files_copied"));
        Assert.False(Directory.Exists(dir["dst"]));
    }

    [Fact]
    public void A_tree_with_any_conflict_writes_nothing()
    {
        using var dir = new TempDir("copy");
        dir.File("src/a", "1");
        dir.File("src/b", "2");
        dir.File("dst/b", "other");
        Resh.Fails(Resh.Run($"file://{dir["src"]}.copy", $"to={dir["dst"]}", "recursive=true"), "conflict");
        Assert.False(File.Exists(dir["dst/a"]));
    }

    [Fact]
    public void Copying_onto_itself_or_into_itself_is_a_usage_error()
    {
        using var dir = new TempDir("copy");
        var f = dir.File("f", "x");
        Resh.Fails(Resh.Run($"file://{f}.copy", $"to={f}"), "usage");
        dir.File("t/a", "x");
        Resh.Fails(Resh.Run($"file://{dir["t"]}.copy", $"to={dir["t/inner"]}", "recursive=true"), "usage");
        Assert.False(Directory.Exists(dir["t/inner"]));
    }

    [Fact]
    public void A_missing_source_is_not_found()
    {
        using var dir = new TempDir("copy");
        Resh.Fails(Resh.Run($"file://{dir["nope"]}.copy", $"to={dir["x"]}"), "not_found");
    }

    [Fact]
    public void Copying_into_an_unwritable_directory_is_permission_denied()
    {
        using var dir = new TempDir("copy");
        var src = dir.File("src", "x");
        Tool.Ok("chmod", "0644", src);
        Resh.Fails(Resh.AsNobody($"file://{src}.copy", $"to={dir["dst"]}"), "permission_denied");
        Assert.False(File.Exists(dir["dst"]));
    }
}
