using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileDeleteTests
{
    [Fact]
    public void Deleting_a_file_removes_it_and_a_second_run_reports_it_was_absent()
    {
        using var dir = new TempDir("delete");
        var path = dir.File("f", "12345");
        Resh.Ok(Resh.Run($"file://{path}.delete", "--dry-run"), changed: true);
        Assert.True(File.Exists(path));
        var r = Resh.Ok(Resh.Run($"file://{path}.delete"), changed: true);
        Assert.Equal(5, r.Num("bytes"));
        Assert.False(File.Exists(path));
        var again = Resh.Ok(Resh.Run($"file://{path}.delete"), changed: false);
        Assert.False(again.Flag("existed"));
    }

    [Fact]
    public void A_directory_needs_recursive_true()
    {
        using var dir = new TempDir("delete");
        var tree = dir["t"];
        dir.File("t/a", "x");
        Resh.Fails(Resh.Run($"file://{tree}.delete"), "usage");
        Assert.True(File.Exists(dir["t/a"]));
    }

    [Fact]
    public void Recursive_delete_reports_counts_under_dry_run_and_then_removes_the_tree()
    {
        using var dir = new TempDir("delete");
        dir.File("t/a", "12");
        dir.File("t/s/b", "345");
        var tree = dir["t"];
        var dry = Resh.Ok(Resh.Run($"file://{tree}.delete", "recursive=true", "--dry-run"), changed: true);
        Assert.Equal(4, dry.Num("removed"));
        Assert.Equal(5, dry.Num("bytes"));
        Assert.True(File.Exists(dir["t/s/b"]));
        Resh.Ok(Resh.Run($"file://{tree}.delete", "recursive=true"), changed: true);
        Assert.False(Directory.Exists(tree));
        Resh.Ok(Resh.Run($"file://{tree}.delete", "recursive=true"), changed: false);
    }

    [Fact]
    public void Symlinks_are_removed_never_followed()
    {
        using var dir = new TempDir("delete");
        var outside = dir.File("keep/precious", "x");
        var tree = dir["t"];
        Directory.CreateDirectory(tree);
        Directory.CreateSymbolicLink(Path.Combine(tree, "to-keep"), dir["keep"]);
        File.CreateSymbolicLink(dir["link"], outside);
        Resh.Ok(Resh.Run($"file://{dir["link"]}.delete"), changed: true);
        Resh.Ok(Resh.Run($"file://{tree}.delete", "recursive=true"), changed: true);
        Assert.True(File.Exists(outside));
        Assert.False(Directory.Exists(tree));
    }

    [Fact]
    public void Root_and_top_level_directories_are_refused()
    {
        Resh.Fails(Resh.Run("file:///.delete", "recursive=true"), "conflict");
        Resh.Fails(Resh.Run("file:///etc.delete", "recursive=true", "--dry-run"), "conflict");
        if (new FileInfo("/bin").LinkTarget is not null) // merged /usr: /bin is a symlink, and still protected
            Resh.Fails(Resh.Run("file:///bin.delete", "--dry-run"), "conflict");
        Assert.True(File.Exists("/etc/hostname") || Directory.Exists("/etc"));
    }

    [Fact]
    public void The_home_directory_and_its_ancestors_are_refused_without_force()
    {
        using var dir = new TempDir("delete");
        var home = dir["home/alice"];
        dir.File("home/alice/notes", "x");
        var env = new Dictionary<string, string> { ["HOME"] = home };
        Resh.Fails(Resh.WithEnv(env, $"file://{home}.delete", "recursive=true"), "conflict");
        Resh.Fails(Resh.WithEnv(env, $"file://{dir["home"]}.delete", "recursive=true"), "conflict");
        Resh.Fails(Resh.WithEnv(env, "file://~.delete", "recursive=true"), "conflict");
        Assert.True(File.Exists(dir["home/alice/notes"]));
        Resh.Ok(Resh.WithEnv(env, $"file://{home}.delete", "recursive=true", "force=true"), changed: true);
        Assert.False(Directory.Exists(home));
    }

    [Fact]
    public void Mount_points_and_trees_holding_them_are_refused_without_force()
    {
        using var dir = new TempDir("delete");
        var mnt = dir["t/mnt"];
        Directory.CreateDirectory(mnt);
        Tool.Ok("mount", "-t", "tmpfs", "-o", "size=1m", "resh-test", mnt);
        try
        {
            File.WriteAllText(Path.Combine(mnt, "inside"), "x");
            Resh.Fails(Resh.Run($"file://{mnt}.delete", "recursive=true"), "conflict");
            Resh.Fails(Resh.Run($"file://{dir["t"]}.delete", "recursive=true"), "conflict");
            Assert.True(File.Exists(Path.Combine(mnt, "inside")));
        }
        finally
        {
            Tool.Run("umount", mnt);
        }
    }

    [Fact]
    public void An_unreadable_subdirectory_stops_the_delete_before_anything_is_removed()
    {
        using var dir = new TempDir("delete");
        dir.File("t/a", "x");
        dir.File("t/locked/b", "y");
        Tool.Ok("chown", "-R", "65534:65534", dir["t"]);
        Tool.Ok("chown", "0:0", dir["t/locked"]);
        Tool.Ok("chmod", "0700", dir["t/locked"]);
        Resh.Fails(Resh.AsNobody($"file://{dir["t"]}.delete", "recursive=true"), "permission_denied");
        Assert.True(File.Exists(dir["t/a"]));
    }

    [Fact]
    public void Deleting_a_file_in_a_directory_the_caller_cannot_write_is_permission_denied()
    {
        using var dir = new TempDir("delete");
        var path = dir.File("f", "x");
        Resh.Fails(Resh.AsNobody($"file://{path}.delete"), "permission_denied");
        Assert.True(File.Exists(path));
    }
}
