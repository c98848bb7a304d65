using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileLinesEnsureTests
{
    [Fact]
    public void A_regex_match_is_replaced_once_and_the_second_run_is_unchanged()
    {
        using var dir = new TempDir("lines");
        var f = dir.File("sshd_config", "# header\n#PermitRootLogin yes\nPort 22\n");
        Tool.Ok("chmod", "0600", f);
        var r = Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "line=PermitRootLogin no", "regex=^#?PermitRootLogin"), changed: true);
        Assert.Equal("replaced", r.Str("action"));
        Assert.Equal(2, r.Num("line_number"));
        Assert.Contains("+PermitRootLogin no", r.Str("diff"));
        Assert.Equal("# header\nPermitRootLogin no\nPort 22\n", File.ReadAllText(f));
        Assert.Equal("600", Tool.Mode(f));
        var again = Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "line=PermitRootLogin no", "regex=^#?PermitRootLogin"), changed: false);
        Assert.Equal("unchanged", again.Str("action"));
    }

    [Fact]
    public void Without_a_match_the_line_is_appended_once()
    {
        using var dir = new TempDir("lines");
        var f = dir.File("hosts", "127.0.0.1 localhost\n");
        Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "line=10.0.0.5 db"), changed: true);
        Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "line=10.0.0.5 db"), changed: false);
        Assert.Equal("127.0.0.1 localhost\n10.0.0.5 db\n", File.ReadAllText(f));
    }

    [Fact]
    public void After_and_before_choose_the_insertion_point()
    {
        using var dir = new TempDir("lines");
        var f = dir.File("conf", "[main]\na=1\n[other]\nb=2\n");
        Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "line=c=3", @"after=^a="), changed: true);
        Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "line=# top", "before=BOF"), changed: true);
        Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "line=z=0", @"before=^\[other\]"), changed: true);
        Assert.Equal("# top\n[main]\na=1\nc=3\nz=0\n[other]\nb=2\n", File.ReadAllText(f));
        Resh.Fails(Resh.Run($"file://{f}.lines.ensure", "line=x", "after=EOF", "before=BOF"), "usage");
    }

    [Fact]
    public void State_absent_removes_every_matching_line()
    {
        using var dir = new TempDir("lines");
        var f = dir.File("fstab", "/dev/a /\n/dev/b /mnt/old\n/dev/c /mnt/old/x\n");
        var r = Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "state=absent", "regex=/mnt/old"), changed: true);
        Assert.Equal(2, r.Num("removed"));
        Assert.Equal("/dev/a /\n", File.ReadAllText(f));
        Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "state=absent", "regex=/mnt/old"), changed: false);
        Resh.Ok(Resh.Run($"file://{dir["missing"]}.lines.ensure", "state=absent", "line=x"), changed: false);
    }

    [Fact]
    public void Line_endings_and_a_missing_final_newline_are_preserved()
    {
        using var dir = new TempDir("lines");
        var crlf = dir.File("win.ini", "a=1\r\nb=2\r\n");
        Resh.Ok(Resh.Run($"file://{crlf}.lines.ensure", "line=c=3"), changed: true);
        Assert.Equal("a=1\r\nb=2\r\nc=3\r\n", File.ReadAllText(crlf));
        var open = dir.File("open", "a\nb");
        Resh.Ok(Resh.Run($"file://{open}.lines.ensure", "line=c"), changed: true);
        Assert.Equal("a\nb\nc", File.ReadAllText(open));
        Resh.Ok(Resh.Run($"file://{open}.lines.ensure", "line=c", "state=absent"), changed: true);
        Assert.Equal("a\nb", File.ReadAllText(open));
    }

    [Fact]
    public void Dry_run_shows_the_diff_and_writes_nothing()
    {
        using var dir = new TempDir("lines");
        var f = dir.File("conf", "a\n");
        var r = Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "line=b", "--dry-run"), changed: true);
        Assert.Contains("+b", r.Str("diff"));
        Assert.Equal("a\n", File.ReadAllText(f));
    }

    [Fact]
    public void A_missing_file_is_not_found_unless_create_is_true()
    {
        using var dir = new TempDir("lines");
        Resh.Fails(Resh.Run($"file://{dir["new"]}.lines.ensure", "line=x"), "not_found");
        var r = Resh.Ok(Resh.Run($"file://{dir["new"]}.lines.ensure", "line=x", "create=true"), changed: true);
        Assert.True(r.Flag("created"));
        Assert.Equal("x\n", File.ReadAllText(dir["new"]));
    }

    [Fact]
    public void Bad_arguments_are_usage_errors_and_binary_files_are_refused()
    {
        using var dir = new TempDir("lines");
        var f = dir.File("conf", "a\n");
        Resh.Fails(Resh.Run($"file://{f}.lines.ensure"), "usage");
        Resh.Fails(Resh.Run($"file://{f}.lines.ensure", "line=x", "regex=(unclosed"), "usage");
        var bin = dir["bin"];
        File.WriteAllBytes(bin, [0, 1, 2, 10]);
        Resh.Fails(Resh.Run($"file://{bin}.lines.ensure", "line=x"), "failed");
    }

    [Fact]
    public void Backup_keeps_the_old_version()
    {
        using var dir = new TempDir("lines");
        var f = dir.File("conf", "a\n");
        var r = Resh.Ok(Resh.Run($"file://{f}.lines.ensure", "line=b", "backup=true"), changed: true);
        Assert.Equal("a\n", File.ReadAllText(r.Str("backup")));
    }

    [Fact]
    public void Editing_a_file_the_caller_cannot_write_is_permission_denied()
    {
        using var dir = new TempDir("lines");
        var f = dir.File("conf", "a\n");
        Resh.Fails(Resh.AsNobody($"file://{f}.lines.ensure", "line=b"), "permission_denied");
        Assert.Equal("a\n", File.ReadAllText(f));
    }
}
