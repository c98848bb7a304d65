using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.FileScheme;

/// <summary>Extended attributes, cross-checked with getfattr/setfattr (package attr).</summary>
public sealed class FileEaTests
{
    [Fact]
    public void Ea_set_writes_what_getfattr_reads_and_a_second_run_is_unchanged()
    {
        using var dir = new TempDir("ea");
        var f = dir.File("f", "x");
        var r = Resh.Ok(Resh.Run($"file://{f}.ea.set", "name=user.team", "value=storage"), changed: true);
        Assert.True(r.Flag("created"));
        Assert.Equal("storage", Tool.Ok("getfattr", "--only-values", "-n", "user.team", f));
        Resh.Ok(Resh.Run($"file://{f}.ea.set", "name=team", "value=storage"), changed: false); // user. is implied
        Resh.Ok(Resh.Run($"file://{f}.ea.set", "name=team", "value=compute"), changed: true);
        Assert.Equal("compute", Tool.Ok("getfattr", "--only-values", "-n", "user.team", f));
    }

    [Fact]
    public void Ea_get_reads_what_setfattr_wrote_and_reports_absence_as_data()
    {
        using var dir = new TempDir("ea");
        var f = dir.File("f", "x");
        Tool.Ok("setfattr", "-n", "user.comment", "-v", "hello", f);
        var r = Resh.Ok(Resh.Run($"file://{f}.ea.get", "name=comment"), changed: false);
        Assert.Equal("user.comment", r.Str("name"));
        Assert.Equal("hello", r.Str("value"));
        Assert.Equal("text", r.Str("encoding"));
        Assert.Equal("hello", Resh.Run($"file://{f}.ea.get", "name=comment", "--format", "raw").Stdout);
        var missing = Resh.Ok(Resh.Run($"file://{f}.ea.get", "name=user.nope"));
        Assert.False(missing.Flag("exists"));
    }

    [Fact]
    public void Binary_values_round_trip_as_base64()
    {
        using var dir = new TempDir("ea");
        var f = dir.File("f", "x");
        Resh.Ok(Resh.Run($"file://{f}.ea.set", "name=user.blob", "value=AAEC/w==", "encoding=base64"), changed: true);
        Assert.Contains("user.blob=0x000102ff", Tool.Ok("getfattr", "-e", "hex", "-n", "user.blob", f));
        var r = Resh.Ok(Resh.Run($"file://{f}.ea.get", "name=user.blob"));
        Assert.Equal("base64", r.Str("encoding"));
        Assert.Equal("AAEC/w==", r.Str("value"));
        Resh.Fails(Resh.Run($"file://{f}.ea.get", "name=user.blob", "encoding=text"), "failed");
    }

    [Fact]
    public void Ea_list_names_every_attribute_with_values_on_request()
    {
        using var dir = new TempDir("ea");
        var f = dir.File("f", "x");
        Tool.Ok("setfattr", "-n", "user.b", "-v", "2", f);
        Tool.Ok("setfattr", "-n", "user.a", "-v", "1", f);
        var names = Resh.Ok(Resh.Run($"file://{f}.ea.list"));
        Assert.Equal(["user.a", "user.b"], names["attributes"]!.AsArray().Select(a => a!.Str("name")));
        var values = Resh.Ok(Resh.Run($"file://{f}.ea.list", "values=true"));
        Assert.Equal("1", values["attributes"]![0]!.Str("value"));
    }

    [Fact]
    public void Ea_remove_removes_once()
    {
        using var dir = new TempDir("ea");
        var f = dir.File("f", "x");
        Tool.Ok("setfattr", "-n", "user.gone", "-v", "1", f);
        Resh.Ok(Resh.Run($"file://{f}.ea.remove", "name=user.gone"), changed: true);
        Assert.DoesNotContain("user.gone", Tool.Ok("getfattr", "-d", f));
        Resh.Ok(Resh.Run($"file://{f}.ea.remove", "name=user.gone"), changed: false);
    }

    [Fact]
    public void Dry_run_sets_and_removes_nothing()
    {
        using var dir = new TempDir("ea");
        var f = dir.File("f", "x");
        Tool.Ok("setfattr", "-n", "user.keep", "-v", "1", f);
        Resh.Ok(Resh.Run($"file://{f}.ea.set", "name=user.new", "value=v", "--dry-run"), changed: true);
        Resh.Ok(Resh.Run($"file://{f}.ea.remove", "name=user.keep", "--dry-run"), changed: true);
        var dump = Tool.Ok("getfattr", "-d", f);
        Assert.DoesNotContain("user.new", dump);
        Assert.Contains("user.keep", dump);
    }

    [Fact]
    public void Missing_files_are_not_found_and_others_files_permission_denied()
    {
        using var dir = new TempDir("ea");
        Resh.Fails(Resh.Run($"file://{dir["nope"]}.ea.get", "name=x"), "not_found");
        var f = dir.File("f", "x");
        Resh.Fails(Resh.AsNobody($"file://{f}.ea.set", "name=user.x", "value=y"), "permission_denied");
        Resh.Fails(Resh.Run($"file://{f}.ea.set", "name=user.", "value=y"), "usage");
    }
}
