using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileMkdirTests
{
    [Fact]
    public void Mkdir_creates_missing_parents_and_a_second_run_is_unchanged()
    {
        using var dir = new TempDir("mkdir");
        var path = dir["a/b/c"];
        var r = Resh.Ok(Resh.Run($"file://{path}.mkdir"), changed: true);
        Assert.Equal(3, r["created_dirs"]!.AsArray().Count);
        Assert.True(Directory.Exists(path));
        var again = Resh.Ok(Resh.Run($"file://{path}.mkdir"), changed: false);
        Assert.False(again.Flag("created"));
    }

    [Fact]
    public void Without_parents_a_missing_parent_is_not_found()
    {
        using var dir = new TempDir("mkdir");
        Resh.Fails(Resh.Run($"file://{dir["a/b"]}.mkdir", "parents=false"), "not_found");
        Assert.False(Directory.Exists(dir["a"]));
        Resh.Ok(Resh.Run($"file://{dir["a"]}.mkdir", "parents=false"), changed: true);
    }

    [Fact]
    public void Mode_is_set_exactly_despite_the_umask_and_fixed_on_an_existing_directory()
    {
        using var dir = new TempDir("mkdir");
        var path = dir["secret"];
        Resh.Ok(Resh.Run($"file://{path}.mkdir", "mode=0770"), changed: true);
        Assert.Equal("770", Tool.Mode(path));
        Resh.Ok(Resh.Run($"file://{path}.mkdir", "mode=0770"), changed: false);
        var fix = Resh.Ok(Resh.Run($"file://{path}.mkdir", "mode=0700"), changed: true);
        Assert.True(fix.Flag("mode_changed"));
        Assert.Equal("700", Tool.Mode(path));
    }

    [Fact]
    public void Dry_run_creates_nothing()
    {
        using var dir = new TempDir("mkdir");
        var r = Resh.Ok(Resh.Run($"file://{dir["x/y"]}.mkdir", "--dry-run"), changed: true);
        Assert.Equal(2, r["created_dirs"]!.AsArray().Count);
        Assert.False(Directory.Exists(dir["x"]));
        var existing = dir["e"];
        Directory.CreateDirectory(existing);
        Tool.Ok("chmod", "0755", existing);
        Resh.Ok(Resh.Run($"file://{existing}.mkdir", "mode=0700", "--dry-run"), changed: true);
        Assert.Equal("755", Tool.Mode(existing));
    }

    [Fact]
    public void A_file_in_the_way_is_a_conflict()
    {
        using var dir = new TempDir("mkdir");
        var path = dir.File("f", "x");
        Resh.Fails(Resh.Run($"file://{path}.mkdir"), "conflict");
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Creating_inside_an_unwritable_directory_is_permission_denied()
    {
        using var dir = new TempDir("mkdir");
        Resh.Fails(Resh.AsNobody($"file://{dir["nobody-dir"]}.mkdir"), "permission_denied");
    }

    [Fact]
    public void The_declared_text_says_what_mode_does_and_the_verb_does_that()
    {
        // Issue 10 review: the declaration said mode is "applied to an existing directory too", which a symlink
        // to a directory is not (mkdir refuses to chmod through it). The help must say so, and the verb must do it.
        var help = ReshBinary.Run("help", "file.mkdir");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("never through a symlink", help.Stdout);
        Assert.Contains("never chmodded through", help.Stdout);
        using var dir = new TempDir("mkdir");
        var real = dir["real"];
        Directory.CreateDirectory(real);
        Tool.Ok("chmod", "0755", real);
        File.CreateSymbolicLink(dir["link"], real);
        var refused = Resh.Fails(Resh.Run($"file://{dir["link"]}.mkdir", "mode=0700"), "conflict");
        Assert.Contains(real, refused["hint"]!.GetValue<string>());
        Assert.Equal("755", Tool.Mode(real));
        Resh.Ok(Resh.Run($"file://{dir["link"]}.mkdir", "mode=0755"), changed: false);
        Assert.True(Resh.Ok(Resh.Run($"file://{real}.mkdir", "mode=u=rwx,g=rx,o="), changed: true).Flag("mode_changed"));
        Assert.Equal("750", Tool.Mode(real));
        // Special bits are kept on a new directory (mkdir(2) alone would drop them), parents get 0777 minus the umask.
        Resh.Ok(Resh.Run($"file://{dir["p/q"]}.mkdir", "mode=2770"), changed: true);
        Assert.Equal("2770", Tool.Mode(dir["p/q"]));
    }
}
