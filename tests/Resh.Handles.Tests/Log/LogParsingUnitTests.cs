using System.Text;
using Resh.Handles.Log;
using Xunit;

namespace Resh.Handles.Tests.Log;

/// <summary>In-process tests of log://'s line scanner, time parsing and level words.</summary>
public sealed class LogParsingUnitTests
{
    static List<(string Text, bool Cut)> Scan(string input, int maxLine)
    {
        var lines = new List<(string, bool)>();
        LogScan.ReadAll(new MemoryStream(Encoding.UTF8.GetBytes(input)), maxLine, (line, cut) => { lines.Add((Encoding.UTF8.GetString(line), cut)); return true; }, CancellationToken.None);
        return lines;
    }

    [Fact]
    public void The_scanner_cuts_long_lines_to_their_head_and_keeps_every_other_line()
    {
        var longLine = new string('a', 3_000_000);
        var lines = Scan($"one\n{longLine}b\ntwo\r\n{longLine}", 16);
        Assert.Equal([("one", false), (new string('a', 16), true), ("two", false), (new string('a', 16), true)], lines);
    }

    [Fact]
    public void The_scanner_hands_over_lines_split_across_reads_whole()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 200_000; i++) sb.Append("line ").Append(i).Append('\n');
        var lines = Scan(sb.ToString(), 64);
        Assert.Equal(200_000, lines.Count);
        Assert.Equal("line 123456", lines[123_456].Text);
        Assert.All(lines, l => Assert.False(l.Cut));
    }

    [Fact]
    public void Bsd_times_take_the_year_that_puts_them_just_before_now()
    {
        var now = new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero);
        Assert.True(LogTime.Bsd("Dec 31 23:59:59 host x: y", now, out var t, out var used));
        Assert.Equal(2026, t.ToLocalTime().Year);
        Assert.Equal(15, used);
        Assert.True(LogTime.Bsd("Jan  1 00:00:01", now, out t, out _));
        Assert.Equal(2027, t.ToLocalTime().Year);
        Assert.False(LogTime.Bsd("Foo  1 00:00:01", now, out _, out _));
        Assert.False(LogTime.Bsd("Jan 32 00:00:01", now, out _, out _));
    }

    [Fact]
    public void Iso_times_with_offsets_fractions_and_the_nginx_slash_form()
    {
        Assert.True(LogTime.Iso("2026-12-06T10:00:00.123456789+02:00 rest", out var t, out var used));
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero).AddTicks(1234567), t.ToUniversalTime());
        Assert.Equal(35, used);
        Assert.True(LogTime.Iso("2026/12/06 10:00:00 [error]", out t, out _));
        Assert.True(LogTime.Iso("2026-12-06 10:00:00Z", out t, out _));
        Assert.Equal(TimeSpan.Zero, t.Offset);
        Assert.False(LogTime.Iso("2026-13-06T10:00:00Z", out _, out _));
        Assert.False(LogTime.Iso("2026-02-30", out _, out _));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1765000000), LogTime.Epoch(1765000000));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1765000000), LogTime.Epoch(1765000000000));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1765000000), LogTime.Epoch(1765000000000000));
    }

    [Fact]
    public void Since_and_until_values()
    {
        var now = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(now.AddHours(-1), LogTime.ParseBound("1h", "since", now));
        Assert.Equal(now.AddMinutes(-90), LogTime.ParseBound("-1h30m", "since", now));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1765000000), LogTime.ParseBound("@1765000000", "since", now));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero), LogTime.ParseBound("2026-12-01T10:00:00Z", "since", now));
        Assert.Throws<Resh.Core.Errors.ReshException>(() => LogTime.ParseBound("soonish", "since", now));
    }

    [Fact]
    public void Level_words_count_in_capitals_or_brackets_but_not_in_prose()
    {
        Assert.Equal(3, LogLevels.InText("2026-12-06 10:00:00 ERROR boom"));
        Assert.Equal(4, LogLevels.InText("[warn] disk"));
        Assert.Null(LogLevels.InText("there was no error here"));
        Assert.Equal(2, LogLevels.InText("FATAL: out of memory"));
        Assert.Equal(3, LogLevels.OfNumber(50));
        Assert.Equal(6, LogLevels.OfNumber(6));
    }

    [Fact]
    public void Json_lines_that_are_too_deep_or_not_objects_are_plain_text()
    {
        var now = DateTimeOffset.UtcNow;
        var deep = new string('[', 5000) + new string(']', 5000);
        Assert.Equal("plain", LogFormats.Parse("{\"a\":" + deep + "}", "auto", now).Format);
        Assert.Equal("plain", LogFormats.Parse("[1,2]", "json", now).Format);
        var j = LogFormats.Parse("{\"ts\":1765000000.5,\"level\":50,\"msg\":\"x\",\"nested\":{\"a\":1}}", "auto", now);
        Assert.Equal(("json", 3, "x", "{\"a\":1}"), (j.Format, j.Level!.Value, j.Message, j.Fields!["nested"]));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1765000000500), j.Time);
    }
}
