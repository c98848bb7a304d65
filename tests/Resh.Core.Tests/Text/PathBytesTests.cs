using CsCheck;
using Resh.Core.Grammar;
using Resh.Core.Text;
using Xunit;

namespace Resh.Core.Tests.Text;

public sealed class PathBytesTests
{
    [Fact]
    public void Any_bytes_round_trip_through_a_string()
    {
        Gen.Byte.Array[0, 64].Sample(bytes => Assert.Equal(bytes, PathBytes.Encode(PathBytes.Decode(bytes))));
    }

    [Fact]
    public void The_display_form_decodes_back_to_the_same_bytes_as_a_target()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var name = PathBytes.Decode(bytes);
            var shown = PathBytes.Display(name, out var escaped);
            Assert.Equal(PathBytes.HasRawBytes(name), escaped);
            if (escaped) Assert.Equal(bytes, PathBytes.Encode(PercentDecoding.Decode(shown)));
            else Assert.Equal(name, shown);
        });
    }

    [Fact]
    public void Valid_utf8_is_ordinary_text_and_shown_unchanged()
    {
        var name = PathBytes.Decode("caf\u00e9 100%.txt"u8);
        Assert.Equal("caf\u00e9 100%.txt", name);
        Assert.False(PathBytes.HasRawBytes(name));
        Assert.Equal("caf\u00e9 100%.txt", PathBytes.Display(name, out var escaped));
        Assert.False(escaped);
    }

    [Fact]
    public void Latin1_bytes_are_escaped_one_by_one_and_percent_signs_with_them()
    {
        byte[] latin1 = [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'%', (byte)'1'];
        var name = PathBytes.Decode(latin1);
        Assert.Equal(6, name.Length);
        Assert.True(PathBytes.IsRawByte(name[3]));
        Assert.Equal("caf%E9%251", PathBytes.Display(name, out var escaped));
        Assert.True(escaped);
        Assert.Equal([.. latin1, 0], PathBytes.EncodeNullTerminated(name));
    }

    [Fact]
    public void Two_different_non_utf8_names_never_collapse_into_one()
    {
        var a = PathBytes.Decode([0xE9]);
        var b = PathBytes.Decode([0xEA]);
        Assert.NotEqual(a, b);
        Assert.NotEqual(PathBytes.Display(a), PathBytes.Display(b));
    }
}
