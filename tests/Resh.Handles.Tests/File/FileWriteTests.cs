using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileWriteTests
{
    [Fact]
    public void The_exact_call_from_the_issue_writes_hello_to_tmp_a_txt()
    {
        const string path = "/tmp/a.txt";
        var saved = File.Exists(path) ? File.ReadAllBytes(path) : null;
        try
        {
            if (saved is not null) File.Delete(path);
            var run = Resh.Run("file:///tmp/a.txt.write(content=hello)");
            Resh.Ok(run, changed: true);
            Assert.Equal("hello", File.ReadAllText(path));
        }
        finally
        {
            if (saved is null) File.Delete(path);
            else File.WriteAllBytes(path, saved);
        }
    }

    [Fact]
    public void Writing_new_content_creates_the_file_and_a_second_run_is_unchanged()
    {
        using var dir = new TempDir("write");
        var path = dir["new.txt"];
        var first = Resh.Ok(Resh.Run($"file://{path}.write", "content=one\ntwo\n"), changed: true);
        Assert.True(first.Flag("created"));
        Assert.Equal(8, first.Num("size"));
        Assert.Contains("+one", first.Str("diff"));
        Assert.Equal("one\ntwo\n", File.ReadAllText(path));
        var umask = Convert.ToInt32(File.ReadLines("/proc/self/status").First(l => l.StartsWith("Umask:"))[6..].Trim(), 8);
        Assert.Equal(Convert.ToString(0x1B6 & ~umask, 8), Tool.Mode(path)); // 0666 minus the umask resh inherits
        var inode = Tool.Stat("%i", path);

        var second = Resh.Ok(Resh.Run($"file://{path}.write", "content=one\ntwo\n"), changed: false);
        Assert.False(second.Flag("content_changed"));
        Assert.Null(second["diff"]);
        Assert.Equal(inode, Tool.Stat("%i", path)); // not rewritten at all
    }

    [Fact]
    public void Dry_run_reports_the_diff_and_leaves_the_file_alone()
    {
        using var dir = new TempDir("write");
        var path = dir.File("f.txt", "a\nb\n");
        var result = Resh.Ok(Resh.Run($"file://{path}.write", "content=a\nc\n", "--dry-run"), changed: true);
        Assert.True(Resh.Run($"file://{path}.write", "content=a\nc\n", "--dry-run").Envelope["dry_run"]!.GetValue<bool>());
        Assert.Contains("-b", result.Str("diff"));
        Assert.Contains("+c", result.Str("diff"));
        Assert.Equal("a\nb\n", File.ReadAllText(path));
    }

    [Fact]
    public void The_diff_applies_with_patch()
    {
        using var dir = new TempDir("write");
        var path = dir.File("f.txt", "1\n2\n3\n4\n5\n");
        var copy = dir.File("g.txt", "1\n2\n3\n4\n5\n");
        var diff = Resh.Ok(Resh.Run($"file://{path}.write", "content=1\n2\nthree\n4\n5\n6\n", "--dry-run")).Str("diff");
        File.WriteAllText(dir["p.diff"], diff);
        Tool.Ok("patch", "--quiet", copy, dir["p.diff"]);
        Assert.Equal("1\n2\nthree\n4\n5\n6\n", File.ReadAllText(copy));
    }

    [Fact]
    public void Content_from_stdin_is_written_byte_for_byte()
    {
        using var dir = new TempDir("write");
        var path = dir["bin"];
        var bytes = new byte[70_000];
        new Random(7).NextBytes(bytes);
        var result = Resh.Ok(Resh.WithStdin(bytes, $"file://{path}.write", "content=@-"), changed: true);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.StartsWith("Binary content", result.Str("diff"));
    }

    [Fact]
    public void Content_from_a_file_keeps_its_trailing_newline()
    {
        using var dir = new TempDir("write");
        var source = dir.File("src.conf", "key=value\n");
        var path = dir["dst.conf"];
        Resh.Ok(Resh.Run($"file://{path}.write", $"content=@{source}"), changed: true);
        Assert.Equal("key=value\n", File.ReadAllText(path));
    }

    [Fact]
    public void Existing_mode_and_owner_are_kept_across_a_rewrite()
    {
        using var dir = new TempDir("write");
        var path = dir.File("keep", "old");
        Tool.Ok("chmod", "0640", path);
        Tool.Ok("chown", "65534:65534", path);
        Resh.Ok(Resh.Run($"file://{path}.write", "content=new"), changed: true);
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal("640 65534 65534", Tool.Stat("%a %u %g", path));
    }

    [Fact]
    public void Mode_owner_and_group_are_applied_and_a_mode_only_change_does_not_rewrite()
    {
        using var dir = new TempDir("write");
        var path = dir["m"];
        var r = Resh.Ok(Resh.Run($"file://{path}.write", "content=x", "mode=0600", "owner=nobody", "group=65534"), changed: true);
        Assert.Equal("0600", r.Str("mode"));
        Assert.Equal("600 65534 65534", Tool.Stat("%a %u %g", path));
        var inode = Tool.Stat("%i", path);

        var modeOnly = Resh.Ok(Resh.Run($"file://{path}.write", "content=x", "mode=u=rw,g=r"), changed: true);
        Assert.True(modeOnly.Flag("mode_changed"));
        Assert.False(modeOnly.Flag("content_changed"));
        Assert.Equal("640", Tool.Mode(path));
        Assert.Equal(inode, Tool.Stat("%i", path));
        Resh.Ok(Resh.Run($"file://{path}.write", "content=x", "mode=0640"), changed: false);
    }

    [Fact]
    public void A_missing_parent_is_not_found_unless_parents_is_true()
    {
        using var dir = new TempDir("write");
        var path = dir["a/b/c.txt"];
        Resh.Fails(Resh.Run($"file://{path}.write", "content=x"), "not_found");
        Assert.False(Directory.Exists(dir["a"]));

        var dry = Resh.Ok(Resh.Run($"file://{path}.write", "content=x", "parents=true", "--dry-run"), changed: true);
        Assert.Equal(2, dry["parents_created"]!.AsArray().Count);
        Assert.False(Directory.Exists(dir["a"]));

        Resh.Ok(Resh.Run($"file://{path}.write", "content=x", "parents=true"), changed: true);
        Assert.Equal("x", File.ReadAllText(path));
    }

    [Fact]
    public void Backup_keeps_the_previous_version_next_to_the_file()
    {
        using var dir = new TempDir("write");
        var path = dir.File("conf", "v1");
        var r = Resh.Ok(Resh.Run($"file://{path}.write", "content=v2", "backup=true"), changed: true);
        var backup = r.Str("backup");
        Assert.StartsWith(path + ".", backup);
        Assert.EndsWith("~", backup);
        Assert.Equal("v1", File.ReadAllText(backup));
        Assert.Equal("v2", File.ReadAllText(path));
        // Unchanged content makes no backup.
        var again = Resh.Ok(Resh.Run($"file://{path}.write", "content=v2", "backup=true"), changed: false);
        Assert.Null(again["backup"]);
        Assert.Equal(2, Directory.GetFiles(dir.Path).Length);
    }

    [Fact]
    public void Writing_through_a_symlink_replaces_the_target_and_keeps_the_link()
    {
        using var dir = new TempDir("write");
        var target = dir.File("real", "old");
        var link = dir["link"];
        File.CreateSymbolicLink(link, "real");
        Resh.Ok(Resh.Run($"file://{link}.write", "content=new"), changed: true);
        Assert.Equal("real", new FileInfo(link).LinkTarget);
        Assert.Equal("new", File.ReadAllText(target));
    }

    [Fact]
    public void Writing_to_a_directory_is_a_usage_error()
    {
        using var dir = new TempDir("write");
        Resh.Fails(Resh.Run($"file://{dir.Path}.write", "content=x"), "usage");
    }

    [Fact]
    public void Writing_without_content_is_a_usage_error()
    {
        using var dir = new TempDir("write");
        Resh.Fails(Resh.Run($"file://{dir["x"]}.write"), "usage");
        Assert.False(File.Exists(dir["x"]));
    }

    [Fact]
    public void An_unknown_owner_is_not_found_and_nothing_is_written()
    {
        using var dir = new TempDir("write");
        Resh.Fails(Resh.Run($"file://{dir["x"]}.write", "content=x", "owner=no-such-user-resh"), "not_found");
        Assert.False(File.Exists(dir["x"]));
    }

    [Fact]
    public void A_bad_mode_is_a_usage_error()
    {
        using var dir = new TempDir("write");
        Resh.Fails(Resh.Run($"file://{dir["x"]}.write", "content=x", "mode=0999"), "usage");
        Resh.Fails(Resh.Run($"file://{dir["x"]}.write", "content=x", "mode=u+q"), "usage");
    }

    [Fact]
    public void Writing_into_a_directory_the_caller_cannot_write_is_permission_denied()
    {
        using var dir = new TempDir("write");
        var locked = dir["locked"];
        Directory.CreateDirectory(locked);
        File.WriteAllText(Path.Combine(locked, "f"), "root's");
        var run = Resh.AsNobody($"file://{locked}/f.write", "content=mine");
        Resh.Fails(run, "permission_denied");
        Assert.Equal("root's", File.ReadAllText(Path.Combine(locked, "f")));
        Assert.Single(Directory.GetFiles(locked)); // no temp file left behind
    }
}
