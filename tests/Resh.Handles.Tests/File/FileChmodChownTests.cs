using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileChmodTests
{
    [Theory]
    [InlineData("644", "0600", "600")]
    [InlineData("644", "755", "755")]
    [InlineData("644", "u+x,g-r", "704")]
    [InlineData("600", "go=rx", "655")]
    [InlineData("640", "o=u", "646")]
    [InlineData("755", "a-x", "644")]
    [InlineData("600", "u=rwx,go=rx", "755")]
    [InlineData("755", "u+s", "4755")]
    public void Octal_and_symbolic_modes_set_the_bits_chmod_would(string before, string mode, string after)
    {
        using var dir = new TempDir("chmod");
        var f = dir.File("f", "x");
        Tool.Ok("chmod", before, f);
        Resh.Ok(Resh.Run($"file://{f}.chmod", $"mode={mode}"), changed: true);
        Assert.Equal(after, Tool.Mode(f));
        Resh.Ok(Resh.Run($"file://{f}.chmod", $"mode={mode}"), changed: false);
    }

    [Fact]
    public void Recursive_capital_x_makes_directories_searchable_but_not_plain_files_executable()
    {
        using var dir = new TempDir("chmod");
        dir.File("t/f", "x");
        dir.File("t/s/g", "y");
        Tool.Ok("chmod", "-R", "u=rwX,go=", dir["t"]);
        var r = Resh.Ok(Resh.Run($"file://{dir["t"]}.chmod", "mode=go+rX", "recursive=true"), changed: true);
        Assert.Equal(4, r.Num("changed_count"));
        Assert.Equal("755", Tool.Mode(dir["t/s"]));
        Assert.Equal("644", Tool.Mode(dir["t/s/g"]));
        Resh.Ok(Resh.Run($"file://{dir["t"]}.chmod", "mode=go+rX", "recursive=true"), changed: false);
    }

    [Fact]
    public void Dry_run_changes_no_bits()
    {
        using var dir = new TempDir("chmod");
        var f = dir.File("f", "x");
        Tool.Ok("chmod", "600", f);
        var r = Resh.Ok(Resh.Run($"file://{f}.chmod", "mode=0644", "--dry-run"), changed: true);
        Assert.Equal("0644", r.Str("mode"));
        Assert.Equal("600", Tool.Mode(f));
    }

    [Fact]
    public void Bad_modes_are_usage_errors_and_missing_paths_not_found()
    {
        using var dir = new TempDir("chmod");
        var f = dir.File("f", "x");
        Resh.Fails(Resh.Run($"file://{f}.chmod", "mode=8"), "usage");
        Resh.Fails(Resh.Run($"file://{f}.chmod", "mode=z+x"), "usage");
        Resh.Fails(Resh.Run($"file://{dir["nope"]}.chmod", "mode=600"), "not_found");
    }

    [Fact]
    public void Changing_someone_elses_file_is_permission_denied()
    {
        using var dir = new TempDir("chmod");
        var f = dir.File("f", "x");
        Resh.Fails(Resh.AsNobody($"file://{f}.chmod", "mode=0777"), "permission_denied");
        Assert.Equal("644", Tool.Mode(f));
    }
}

public sealed class FileChownTests
{
    [Fact]
    public void Owner_and_group_by_name_then_unchanged()
    {
        using var dir = new TempDir("chown");
        var f = dir.File("f", "x");
        var r = Resh.Ok(Resh.Run($"file://{f}.chown", "owner=nobody", "group=nogroup"), changed: true);
        Assert.Equal(65534, r.Num("uid"));
        Assert.Equal("65534:65534", Tool.Stat("%u:%g", f));
        Resh.Ok(Resh.Run($"file://{f}.chown", "owner=nobody", "group=nogroup"), changed: false);
    }

    [Fact]
    public void Numeric_ids_and_group_only_changes_work()
    {
        using var dir = new TempDir("chown");
        var f = dir.File("f", "x");
        Resh.Ok(Resh.Run($"file://{f}.chown", "group=65534"), changed: true);
        Assert.Equal("0:65534", Tool.Stat("%u:%g", f));
    }

    [Fact]
    public void Recursive_chown_changes_links_not_their_targets()
    {
        using var dir = new TempDir("chown");
        var outside = dir.File("outside", "keep root");
        dir.File("t/a", "x");
        File.CreateSymbolicLink(dir["t/link"], outside);
        var r = Resh.Ok(Resh.Run($"file://{dir["t"]}.chown", "owner=65534", "recursive=true"), changed: true);
        Assert.Equal(3, r.Num("changed_count"));
        Assert.Equal("65534", Tool.Stat("%u", dir["t/a"]));
        Assert.Equal("65534", Tool.Ok("stat", "-c", "%u", dir["t/link"]).Trim()); // lstat of the link
        Assert.Equal("0", Tool.Stat("%u", outside));
    }

    [Fact]
    public void Dry_run_changes_nothing()
    {
        using var dir = new TempDir("chown");
        var f = dir.File("f", "x");
        Resh.Ok(Resh.Run($"file://{f}.chown", "owner=nobody", "--dry-run"), changed: true);
        Assert.Equal("0", Tool.Stat("%u", f));
    }

    [Fact]
    public void Unknown_users_and_groups_are_not_found_and_no_names_is_usage()
    {
        using var dir = new TempDir("chown");
        var f = dir.File("f", "x");
        Resh.Fails(Resh.Run($"file://{f}.chown", "owner=no-such-user-resh"), "not_found");
        Resh.Fails(Resh.Run($"file://{f}.chown", "group=no-such-group-resh"), "not_found");
        Resh.Fails(Resh.Run($"file://{f}.chown"), "usage");
    }

    [Fact]
    public void Giving_a_file_away_without_privilege_is_permission_denied()
    {
        using var dir = new TempDir("chown");
        var f = dir.File("f", "x");
        Tool.Ok("chown", "65534:65534", f);
        Resh.Fails(Resh.AsNobody($"file://{f}.chown", "owner=root"), "permission_denied");
    }
}
