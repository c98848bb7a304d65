using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Pipeline;
using Xunit;

namespace Resh.Core.Tests.Pipeline;

/// <summary>
/// `where` on timestamps (s41, D12): `mtime > 1h ago` is a time within the last hour; a timestamp against a date is a
/// time comparison; a timestamp against a bare duration (`mtime > 1h`) is `usage` saying how to write it, never a
/// silent "no item matches".
/// </summary>
public sealed class ItemQueryTimeTests
{
    static JsonObject At(TimeSpan before, string field = "mtime") =>
        new() { [field] = (DateTimeOffset.UtcNow - before).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), ["name"] = "x", ["elapsed_seconds"] = 30 };

    static bool M(string expr, JsonObject item) => ItemQuery.Parse(expr).Matches(item);

    [Theory]
    [InlineData("mtime > 1h ago", 10, true)]      // modified ten minutes ago: within the last hour
    [InlineData("mtime > 1h ago", 120, false)]
    [InlineData("mtime < 1h ago", 120, true)]      // older than an hour
    [InlineData("mtime < 1h ago", 10, false)]
    [InlineData("mtime >= 30m AGO", 10, true)]
    [InlineData("mtime > 2d ago and name == x", 60 * 24, true)]
    public void A_duration_ago_is_a_point_in_time(string expr, int minutesOld, bool expected) =>
        Assert.Equal(expected, M(expr, At(TimeSpan.FromMinutes(minutesOld))));

    [Fact]
    public void A_timestamp_compares_with_a_date_as_a_time()
    {
        var item = new JsonObject { ["mtime"] = "2026-06-15T10:00:00Z" };
        Assert.True(M("mtime > 2026-06-01", item));
        Assert.False(M("mtime > 2026-07-01", item));
        Assert.True(M("mtime < \"2026-06-15T12:00:00+01:00\"", item)); // 11:00 UTC: an offset is honoured, not compared as text
        Assert.True(M("mtime == 2026-06-15T10:00:00Z", item));
    }

    [Theory]
    [InlineData("mtime > 1h")]
    [InlineData("mtime < 5m")]
    [InlineData("mtime == 1d")]
    public void A_timestamp_against_a_bare_duration_is_usage_with_the_way_to_write_it(string expr)
    {
        var q = ItemQuery.Parse(expr);
        var ex = Assert.Throws<ReshException>(() => q.Matches(At(TimeSpan.FromMinutes(5))));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.Contains("holds a time", ex.Error.Message);
        Assert.Contains(" ago", ex.Error.Hint!);
    }

    [Fact]
    public void Ago_on_a_field_that_is_not_a_time_is_usage_and_a_duration_field_still_compares_as_a_duration()
    {
        var ex = Assert.Throws<ReshException>(() => M("name > 1h ago", At(TimeSpan.Zero)));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.Contains("not a time", ex.Error.Message);
        Assert.True(M("elapsed_seconds < 1m", At(TimeSpan.Zero)));
        Assert.True(M("mtime", At(TimeSpan.Zero))); // truthiness unchanged
    }

    [Theory]
    [InlineData("mtime > \"1h\" ago")]
    [InlineData("mtime > x ago")]
    [InlineData("mtime =~ 1h ago")]
    public void Ago_needs_a_duration_and_an_ordering(string expr) =>
        Assert.Equal(ErrorCode.Usage, Assert.Throws<ReshException>(() => ItemQuery.Parse(expr)).Error.Code);

    [Fact]
    public void A_where_stage_over_a_timestamp_and_a_bare_duration_fails_the_pipeline_as_usage()
    {
        var filter = ItemFilter.Parse("where mtime > 1h");
        var ex = Assert.Throws<ReshException>(() => filter.Apply([At(TimeSpan.FromMinutes(1))]));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }

    [Fact]
    public void A_quoted_time_still_compares_as_a_time_and_other_text_is_refused()
    {
        // s41 user D1: `where mtime < "7d ago"` compared texts and matched every file (a delete stage after it...).
        Assert.False(M("mtime < \"7d ago\"", At(TimeSpan.FromMinutes(5))));
        Assert.True(M("mtime < \"7d ago\"", At(TimeSpan.FromDays(8))));
        Assert.True(M("mtime > '2000-01-01'", At(TimeSpan.FromMinutes(5))));
        var ex = Assert.ThrowsAny<Exception>(() => M("mtime < \"yesterday\"", At(TimeSpan.FromMinutes(5))));
        Assert.Contains("not one", ex.Message);
    }
}
