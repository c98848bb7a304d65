using Resh.Core.Errors;
using Resh.Core.Grammar;
using Xunit;

namespace Resh.Core.Tests.Grammar;

public sealed class PercentDecodingTests
{
    [Theory]
    [InlineData("/tmp/a%20b", "/tmp/a b")]
    [InlineData("/tmp/100%25", "/tmp/100%")]
    [InlineData("/tmp/caf%C3%A9", "/tmp/café")]
    [InlineData("/tmp/x%2Eread", "/tmp/x.read")]
    [InlineData("/plain/path", "/plain/path")]
    [InlineData("/tmp/émoji😀", "/tmp/émoji😀")]
    public void Escapes_decode_as_utf8(string input, string expected)
    {
        Assert.Equal(expected, PercentDecoding.Decode(input));
    }

    [Theory]
    [InlineData("/tmp/%")]
    [InlineData("/tmp/%2")]
    [InlineData("/tmp/%zz")]
    public void Malformed_escapes_are_usage_errors(string input)
    {
        var ex = Assert.Throws<ReshException>(() => PercentDecoding.Decode(input));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }

    [Fact]
    public void Escapes_that_are_not_utf8_are_raw_bytes_kept_losslessly()
    {
        var decoded = PercentDecoding.Decode("/tmp/caf%E9%25%C3");
        Assert.True(Resh.Core.Text.PathBytes.HasRawBytes(decoded));
        Assert.Equal("/tmp/caf"u8.ToArray().Concat(new byte[] { 0xE9, (byte)'%', 0xC3 }), Resh.Core.Text.PathBytes.Encode(decoded));
        Assert.Equal("/tmp/caf%E9%25%C3", Resh.Core.Text.PathBytes.Display(decoded, out var escaped));
        Assert.True(escaped);
    }
}
