using Resh.Core.Values;
using Xunit;

namespace Resh.Core.Tests.Values;

public sealed class ValueParsingTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("10", 10_000)]
    [InlineData("0", 0)]
    [InlineData(" 30s ", 30_000)]
    [InlineData("250us", 0.25)]
    public void Durations_parse_as_operators_write_them(string text, double ms)
    {
        Assert.True(DurationValue.TryParse(text, out var t));
        Assert.Equal(ms, t.TotalMilliseconds, 3);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("5x")]
    [InlineData("-5s")]
    [InlineData("5 s")]
    [InlineData("99999999999999999999d")]
    public void Bad_durations_are_rejected(string text)
    {
        Assert.False(DurationValue.TryParse(text, out _));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(250, "250ms")]
    [InlineData(30_000, "30s")]
    [InlineData(5_400_000, "1h30m")]
    [InlineData(86_400_000, "1d")]
    public void Durations_format_back_to_their_shortest_spelling(double ms, string text)
    {
        Assert.Equal(text, DurationValue.Format(TimeSpan.FromMilliseconds(ms)));
        Assert.True(DurationValue.TryParse(text, out var round));
        Assert.Equal(ms, round.TotalMilliseconds);
    }

    [Theory]
    [InlineData("512", 512)]
    [InlineData("10KiB", 10 * 1024)]
    [InlineData("10K", 10 * 1024)]
    [InlineData("10KB", 10_000)]
    [InlineData("5MB", 5_000_000)]
    [InlineData("5MiB", 5 * 1024 * 1024)]
    [InlineData("1.5GiB", 1610612736)]
    [InlineData("2g", 2L * 1024 * 1024 * 1024)]
    [InlineData("1TB", 1_000_000_000_000)]
    [InlineData("3 MiB", 3 * 1024 * 1024)]
    public void Sizes_parse_binary_and_decimal_units(string text, long bytes)
    {
        Assert.True(SizeValue.TryParse(text, out var b));
        Assert.Equal(bytes, b);
    }

    [Theory]
    [InlineData("")]
    [InlineData("MiB")]
    [InlineData("5XB")]
    [InlineData("-1")]
    [InlineData("99999999999PB")]
    public void Bad_sizes_are_rejected(string text)
    {
        Assert.False(SizeValue.TryParse(text, out _));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("1", true)]
    [InlineData("on", true)]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("0", false)]
    [InlineData("off", false)]
    public void Booleans_accept_the_usual_spellings(string text, bool value)
    {
        Assert.True(BoolValue.TryParse(text, out var b));
        Assert.Equal(value, b);
    }

    [Fact]
    public void Other_words_are_not_booleans()
    {
        Assert.False(BoolValue.TryParse("maybe", out _));
    }
}
