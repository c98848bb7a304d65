using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Resh.Core.Output;
using Xunit;

namespace Resh.Core.Tests.Output;

public sealed class MinimalJsonEncoderTests
{
    static string Write(string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EnvelopeJson.WriterOptions(indented: false)))
            w.WriteStringValue(value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    static string WriteUtf8(byte[] value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EnvelopeJson.WriterOptions(indented: false)))
            w.WriteStringValue(value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("a\"b", "\"a\\\"b\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    [InlineData("l1\nl2\tx\r", "\"l1\\nl2\\tx\\r\"")]
    [InlineData("\u0001\u001f\u007f", "\"\\u0001\\u001F\\u007F\"")]
    [InlineData("<a href='x'>&</a>", "\"<a href='x'>&</a>\"")]
    [InlineData("grüße, ünïcödé, 日本語", "\"grüße, ünïcödé, 日本語\"")]
    [InlineData("emoji 😀", "\"emoji 😀\"")]
    [InlineData("line\u2028sep\u2029", "\"line\\u2028sep\\u2029\"")]
    [InlineData("\uFEFFbom", "\"\\uFEFFbom\"")]
    [InlineData("c1\u0085", "\"c1\\u0085\"")]
    public void Escapes_only_what_json_and_terminals_need(string value, string expected)
    {
        Assert.Equal(expected, Write(value));
        Assert.Equal(expected, WriteUtf8(Encoding.UTF8.GetBytes(value)));
    }

    [Fact]
    public void Lone_surrogates_and_invalid_utf8_never_reach_the_output()
    {
        var s = Write("a" + '\uD800' + "b");
        Assert.Equal("a\uFFFDb", JsonDocument.Parse(s).RootElement.GetString());
        var u = WriteUtf8([(byte)'a', 0xFF, 0xC3, (byte)'b']);
        Assert.DoesNotContain('\uD800', JsonDocument.Parse(u).RootElement.GetString()!);
        Assert.StartsWith("a", JsonDocument.Parse(u).RootElement.GetString());
    }

    [Fact]
    public void Any_valid_text_round_trips()
    {
        Gen.String.Where(s => s == Resh.Core.Text.TextSafety.Scrub(s)).Sample(s =>
        {
            var json = Write(s);
            Assert.Equal(s, JsonDocument.Parse(json).RootElement.GetString());
            foreach (var c in json) Assert.False(c < 0x20, $"raw control character in {json}");
        }, iter: 2000);
    }
}
