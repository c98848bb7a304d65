using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

public sealed class FileReplaceTests
{
    [Fact]
    public void Matches_are_replaced_with_backreferences_and_counted()
    {
        using var dir = new TempDir("replace");
        var f = dir.File("conf", "port=80\nport=8080\nname=x\n");
        Tool.Ok("chmod", "0640", f);
        var r = Resh.Ok(Resh.Run($"file://{f}.replace", @"pattern=^port=(\d+)$", "replacement=listen=$1"), changed: true);
        Assert.Equal(2, r.Num("replacements"));
        Assert.Equal("listen=80\nlisten=8080\nname=x\n", File.ReadAllText(f));
        Assert.Equal("640", Tool.Mode(f));
        var again = Resh.Ok(Resh.Run($"file://{f}.replace", @"pattern=^port=(\d+)$", "replacement=listen=$1"), changed: false);
        Assert.Equal(0, again.Num("replacements"));
    }

    [Fact]
    public void Count_limits_replacements_and_ignore_case_widens_matches()
    {
        using var dir = new TempDir("replace");
        var f = dir.File("t", "A a A a\n");
        var r = Resh.Ok(Resh.Run($"file://{f}.replace", "pattern=a", "replacement=b", "count=3", "ignore_case=true"), changed: true);
        Assert.Equal(3, r.Num("replacements"));
        Assert.Equal("b b b a\n", File.ReadAllText(f));
    }

    [Fact]
    public void Dry_run_reports_the_diff_and_count_without_writing()
    {
        using var dir = new TempDir("replace");
        var f = dir.File("t", "hello world\n");
        var r = Resh.Ok(Resh.Run($"file://{f}.replace", "pattern=world", "replacement=there", "--dry-run"), changed: true);
        Assert.Equal(1, r.Num("replacements"));
        Assert.Contains("+hello there", r.Str("diff"));
        Assert.Equal("hello world\n", File.ReadAllText(f));
    }

    [Fact]
    public void A_catastrophic_pattern_fails_instead_of_hanging()
    {
        using var dir = new TempDir("replace");
        var f = dir.File("t", new string('a', 50_000) + "!");
        var run = ReshBinary.Run([$"file://{f}.replace", "pattern=^(a|aa)+$", "replacement=x"], wait: TimeSpan.FromSeconds(30));
        Resh.Fails(run, "failed");
    }

    [Fact]
    public void Invalid_patterns_are_usage_errors_and_missing_files_not_found()
    {
        using var dir = new TempDir("replace");
        var f = dir.File("t", "x\n");
        Resh.Fails(Resh.Run($"file://{f}.replace", "pattern=(", "replacement=y"), "usage");
        Resh.Fails(Resh.Run($"file://{dir["nope"]}.replace", "pattern=x", "replacement=y"), "not_found");
    }
}
