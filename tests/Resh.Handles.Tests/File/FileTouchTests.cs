using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileTouchTests
{
    [Fact]
    public void Touch_creates_a_missing_empty_file()
    {
        using var dir = new TempDir("touch");
        var f = dir["new"];
        var r = Resh.Ok(Resh.Run($"file://{f}.touch"), changed: true);
        Assert.True(r.Flag("created"));
        Assert.Equal(0, new FileInfo(f).Length);
    }

    [Fact]
    public void An_explicit_time_is_set_exactly_and_a_second_run_is_unchanged()
    {
        using var dir = new TempDir("touch");
        var f = dir.File("f", "content");
        Resh.Ok(Resh.Run($"file://{f}.touch", "time=2024-01-31T12:00:00.25Z"), changed: true);
        Assert.Equal("2024-01-31 12:00:00.250000000 +0000|2024-01-31 12:00:00.250000000 +0000", Tool.Ok("env", "TZ=UTC", "stat", "-c", "%y|%x", f).Trim());
        Resh.Ok(Resh.Run($"file://{f}.touch", "time=2024-01-31T13:00:00.25+01:00"), changed: false);
        Assert.Equal("content", File.ReadAllText(f));
    }

    [Fact]
    public void Touch_without_time_moves_the_times_to_now()
    {
        using var dir = new TempDir("touch");
        var f = dir.File("f", "x");
        Tool.Ok("touch", "-d", "2001-01-01", f);
        Resh.Ok(Resh.Run($"file://{f}.touch"), changed: true);
        Assert.True(File.GetLastWriteTimeUtc(f) > DateTime.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public void Dry_run_neither_creates_nor_changes_times()
    {
        using var dir = new TempDir("touch");
        Resh.Ok(Resh.Run($"file://{dir["new"]}.touch", "--dry-run"), changed: true);
        Assert.False(File.Exists(dir["new"]));
        var f = dir.File("f", "x");
        Tool.Ok("touch", "-d", "2001-01-01", f);
        Resh.Ok(Resh.Run($"file://{f}.touch", "--dry-run"), changed: true);
        Assert.Equal(2001, File.GetLastWriteTimeUtc(f).Year);
    }

    [Fact]
    public void A_bad_time_is_usage_and_a_missing_directory_not_found()
    {
        using var dir = new TempDir("touch");
        Resh.Fails(Resh.Run($"file://{dir["f"]}.touch", "time=yesterday"), "usage");
        Resh.Fails(Resh.Run($"file://{dir["no/f"]}.touch"), "not_found");
    }

    [Fact]
    public void Touching_in_an_unwritable_directory_is_permission_denied()
    {
        using var dir = new TempDir("touch");
        Resh.Fails(Resh.AsNobody($"file://{dir["f"]}.touch"), "permission_denied");
        Assert.False(File.Exists(dir["f"]));
    }
}
