using Resh.Core.Config;
using Resh.Core.Errors;
using Xunit;

namespace Resh.Core.Tests.Config;

public sealed class ReshConfigTests
{
    [Fact]
    public void Toml_sections_read_as_json()
    {
        var c = ReshConfig.FromText("""
            [defaults]
            format = "table"
            forks = 10

            [inventory.groups]
            web = ["web01", "web02"]

            [db.prod]
            dsn = "postgres://x"
            """, "test.toml");
        Assert.Equal("table", c.Section("defaults")!["format"]!.GetValue<string>());
        Assert.Equal(10, c.Section("defaults")!["forks"]!.GetValue<long>());
        Assert.Equal(2, c.Section("inventory.groups")!["web"]!.AsArray().Count);
        Assert.Equal("postgres://x", c.Section("db.prod")!["dsn"]!.GetValue<string>());
        Assert.Null(c.Section("nope"));
    }

    [Fact]
    public void Malformed_toml_is_a_usage_error()
    {
        var ex = Assert.Throws<ReshException>(() => ReshConfig.FromText("[broken\nx = ", "bad.toml"));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }

    [Theory]
    [InlineData("[roles.ops]\nallow = [\"system.*\"]\nthis is = = broken\n", 3, 6)]
    [InlineData("a = 1\nb = 2\n\nc = [1,\n", 5, 1)]
    public void Malformed_toml_names_its_line_and_column_without_library_text(string text, int line, int column)
    {
        var ex = Assert.Throws<ReshException>(() => ReshConfig.FromText(text, "bad.toml"));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.True(ex.Error.Message.Contains($"at line {line}, column {column}:", StringComparison.Ordinal), ex.Error.Message);
        Assert.DoesNotContain("Tomlyn", ex.Error.Message);
        Assert.DoesNotContain("xception", ex.Error.Message);
        Assert.DoesNotContain(": error :", ex.Error.Message);
        Assert.Equal($"Fix line {line} of bad.toml.", ex.Error.Hint);
    }

    [Fact]
    public void Paths_follow_spec_section_7()
    {
        var env = new Dictionary<string, string?> { ["HOME"] = "/home/u" };
        var user = new ReshPaths(k => env.GetValueOrDefault(k), isRoot: false);
        Assert.Equal("/home/u/.local/share/resh", user.StateDir);
        Assert.Equal(["/home/u/.config/resh/config.toml", "/etc/resh/config.toml"], user.ConfigCandidates);
        var root = new ReshPaths(k => env.GetValueOrDefault(k), isRoot: true);
        Assert.Equal("/var/lib/resh", root.StateDir);
        env["RESH_HOME"] = "/srv/resh";
        env["RESH_CONFIG"] = "/srv/resh.toml";
        var over = new ReshPaths(k => env.GetValueOrDefault(k), isRoot: true);
        Assert.Equal("/srv/resh", over.StateDir);
        Assert.Equal(["/srv/resh.toml"], over.ConfigCandidates);
    }
}
