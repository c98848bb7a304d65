using Resh.Handles.Net.Network;
using Xunit;

namespace Resh.Handles.Tests.Network;

/// <summary>s41: net://'s messages quote command-line values through the one terminal escaper (a bidi override was kept before).</summary>
public sealed class NetShowTests
{
    [Fact]
    public void A_value_in_a_message_has_every_control_character_escaped() =>
        Assert.Equal(@"22\u202e08\x1b[2J", NetTarget.Show("22\u202e08\u001b[2J"));

    [Fact]
    public void A_long_value_is_cut_at_80_characters_before_escaping()
    {
        var shown = NetTarget.Show(new string('9', 79) + "\u001b" + new string('x', 50));
        Assert.Equal(new string('9', 79) + @"\x1b" + "…", shown);
    }
}
