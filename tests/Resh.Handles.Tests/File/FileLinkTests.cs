using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileLinkTests
{
    [Fact]
    public void Symlink_creates_a_link_and_a_second_run_is_unchanged()
    {
        using var dir = new TempDir("link");
        dir.File("releases/v1/app", "1");
        var link = dir["current"];
        var r = Resh.Ok(Resh.Run($"file://{link}.symlink", "to=releases/v1"), changed: true);
        Assert.True(r.Flag("created"));
        Assert.Equal("releases/v1", new FileInfo(link).LinkTarget);
        Assert.Equal("1", File.ReadAllText(Path.Combine(link, "app")));
        Resh.Ok(Resh.Run($"file://{link}.symlink", "to=releases/v1"), changed: false);
    }

    [Fact]
    public void A_different_existing_link_is_a_conflict_unless_forced()
    {
        using var dir = new TempDir("link");
        var link = dir["current"];
        File.CreateSymbolicLink(link, "v1");
        Resh.Fails(Resh.Run($"file://{link}.symlink", "to=v2"), "conflict");
        Assert.Equal("v1", new FileInfo(link).LinkTarget);
        Resh.Ok(Resh.Run($"file://{link}.symlink", "to=v2", "force=true", "--dry-run"), changed: true);
        Assert.Equal("v1", new FileInfo(link).LinkTarget);
        var r = Resh.Ok(Resh.Run($"file://{link}.symlink", "to=v2", "force=true"), changed: true);
        Assert.Equal("v1", r.Str("replaced"));
        Assert.Equal("v2", new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void A_file_is_replaced_only_with_force_and_a_directory_never()
    {
        using var dir = new TempDir("link");
        var file = dir.File("f", "x");
        Resh.Fails(Resh.Run($"file://{file}.symlink", "to=elsewhere"), "conflict");
        Resh.Ok(Resh.Run($"file://{file}.symlink", "to=elsewhere", "force=true"), changed: true);
        Assert.Equal("elsewhere", new FileInfo(file).LinkTarget);
        Directory.CreateDirectory(dir["d"]);
        Resh.Fails(Resh.Run($"file://{dir["d"]}.symlink", "to=x", "force=true"), "conflict");
        Assert.True(Directory.Exists(dir["d"]) && new DirectoryInfo(dir["d"]).LinkTarget is null);
    }

    [Fact]
    public void Readlink_returns_the_stored_target_and_the_resolved_path()
    {
        using var dir = new TempDir("link");
        var real = dir.File("real", "x");
        File.CreateSymbolicLink(dir["a"], "b");
        File.CreateSymbolicLink(dir["b"], "real");
        var r = Resh.Ok(Resh.Run($"file://{dir["a"]}.readlink"), changed: false);
        Assert.Equal("b", r.Str("target"));
        Assert.Equal(real, r.Str("resolved"));
        Assert.True(r.Flag("resolved_exists"));
        Assert.Equal("b\n", Resh.Run($"file://{dir["a"]}.readlink", "--format", "raw").Stdout);
    }

    [Fact]
    public void Readlink_of_a_dangling_link_says_so_and_of_a_file_is_a_usage_error()
    {
        using var dir = new TempDir("link");
        File.CreateSymbolicLink(dir["dangling"], "missing");
        var r = Resh.Ok(Resh.Run($"file://{dir["dangling"]}.readlink"));
        Assert.False(r.Flag("resolved_exists"));
        Assert.Equal(dir["missing"], r.Str("resolved"));
        Resh.Fails(Resh.Run($"file://{dir.File("f", "x")}.readlink"), "usage");
        Resh.Fails(Resh.Run($"file://{dir["nope"]}.readlink"), "not_found");
    }

    [Fact]
    public void Creating_a_link_in_an_unwritable_directory_is_permission_denied()
    {
        using var dir = new TempDir("link");
        Resh.Fails(Resh.AsNobody($"file://{dir["l"]}.symlink", "to=x"), "permission_denied");
    }
}
