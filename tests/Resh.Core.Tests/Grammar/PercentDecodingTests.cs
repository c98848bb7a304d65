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
    [InlineData("/tmp/%C3")]
    public void Malformed_escapes_are_usage_errors(string input)
    {
        var ex = Assert.Throws<ReshException>(() => PercentDecoding.Decode(input));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }
}
