using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Pipeline;
using Xunit;

namespace Resh.Core.Tests.Pipeline;

public sealed class ItemQueryTests
{
    static readonly JsonObject Item = (JsonObject)JsonNode.Parse("""
        {"name":"nginx","pid":1234,"rss_bytes":20971520,"size":"20MiB","elapsed_seconds":600,"age":"10m","took_ms":1500,
         "enabled":true,"note":null,"tags":["web","edge"],"used_percent":"85","nested":{"port":8080}}
        """)!;

    static bool M(string expr) => ItemQuery.Parse(expr).Matches(Item);

    [Theory]
    [InlineData("name == \"nginx\"", true)]
    [InlineData("name == nginx", true)]
    [InlineData("name != 'nginx'", false)]
    [InlineData("pid == 1234", true)]
    [InlineData("pid > 1000 and pid < 2000", true)]
    [InlineData("pid >= 1234 && pid <= 1234", true)]
    [InlineData("pid == \"1234\"", true)]
    [InlineData("name < \"o\"", true)]
    public void Numbers_and_text_compare_by_type(string expr, bool expected) => Assert.Equal(expected, M(expr));

    [Theory]
    [InlineData("rss_bytes > 10MiB", true)]
    [InlineData("rss > 10MiB", true)]            // the unit suffix may be left out, as in --columns
    [InlineData("rss_bytes > 1.5GB", false)]
    [InlineData("rss_bytes == 20MiB", true)]
    [InlineData("rss_bytes > 512k", true)]
    [InlineData("size > 10MiB", true)]           // a size written as text, compared with a size
    [InlineData("size > 20000000", true)]        // ... and with a number of bytes: both ways
    [InlineData("size < 1GB", true)]
    [InlineData("rss_bytes == \"20MiB\"", true)] // a number field compared with a size text
    public void Sizes_compare_in_bytes_both_ways(string expr, bool expected) => Assert.Equal(expected, M(expr));

    [Theory]
    [InlineData("elapsed_seconds > 5m", true)]
    [InlineData("elapsed_seconds > 2h", false)]
    [InlineData("elapsed_seconds == 10m", true)]
    [InlineData("age >= 10m", true)]             // a duration written as text
    [InlineData("age < 1h", true)]
    [InlineData("took_ms > 1s", true)]           // *_ms fields are milliseconds
    [InlineData("took_ms < 2s", true)]
    public void Durations_compare_in_seconds(string expr, bool expected) => Assert.Equal(expected, M(expr));

    [Theory]
    [InlineData("name =~ \"^ng\"", true)]
    [InlineData("name =~ \"^x\"", false)]
    [InlineData("name !~ \"^x\"", true)]
    [InlineData("name contains gin", true)]
    [InlineData("tags contains web", true)]
    [InlineData("tags contains db", false)]
    [InlineData("enabled", true)]
    [InlineData("enabled == true", true)]
    [InlineData("not enabled", false)]
    [InlineData("note == null", true)]
    [InlineData("note != null", false)]
    [InlineData("nested.port == 8080", true)]
    [InlineData("used_percent > 80", true)]     // a number written as text
    [InlineData("(name == x or pid == 1234) and not (enabled == false)", true)]
    [InlineData("name == x or pid == 1 or enabled", true)]
    [InlineData("! (pid > 1)", false)]
    public void Regex_contains_booleans_null_and_logic(string expr, bool expected) => Assert.Equal(expected, M(expr));

    [Theory]
    [InlineData("missing == 1")]
    [InlineData("missing != 1")]
    [InlineData("missing > 1MiB")]
    [InlineData("missing =~ \".*\"")]
    [InlineData("missing")]
    public void A_missing_field_never_matches(string expr) => Assert.False(M(expr));

    [Theory]
    [InlineData("")]
    [InlineData("name = nginx")]
    [InlineData("name ==")]
    [InlineData("(name == x")]
    [InlineData("name == x y")]
    [InlineData("name =~ \"(\"")]
    [InlineData("name == \"open")]
    [InlineData("rss > 10XB")]
    [InlineData("== 5")]
    public void Bad_expressions_are_usage(string expr)
    {
        var ex = Assert.Throws<ReshException>(() => ItemQuery.Parse(expr));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.NotNull(ex.Error.Hint);
    }

    [Fact]
    public void Hostile_nesting_and_length_are_usage_not_a_stack_overflow()
    {
        // s40 attacker: 60,000 nested parentheses overflowed the stack (a segfault, a whole `resh batch` with it).
        foreach (var expr in new[]
        {
            new string('(', 60_000) + "pid == 1" + new string(')', 60_000),
            string.Concat(Enumerable.Repeat("not ", 60_000)) + "pid == 1",
            string.Join(" or ", Enumerable.Repeat("pid == 1", 60_000)),
        })
        {
            var ex = Assert.Throws<ReshException>(() => ItemQuery.Parse(expr));
            Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        }
        // Reasonable ones still parse and match.
        Assert.True(ItemQuery.Parse(new string('(', 30) + "pid == 1234" + new string(')', 30)).Matches(Item));
        Assert.True(ItemQuery.Parse(string.Join(" or ", Enumerable.Repeat("pid == 1", 500)) + " or pid == 1234").Matches(Item));
    }

    [Fact]
    public void A_catastrophic_regex_is_bounded_in_time()
    {
        var item = new JsonObject { ["s"] = new string('a', 90) + "!" };
        var q = ItemQuery.Parse("s =~ \"^(a|aa)+$\"");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<ReshException>(() => q.Matches(item));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
    }
}
