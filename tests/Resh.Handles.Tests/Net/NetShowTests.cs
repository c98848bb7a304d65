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

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        var shown = NetTarget.Show(new string('a', 79) + "\U0001F600" + "b");
        Assert.Equal(new string('a', 79) + "…", shown);
    }

    [Fact]
    public void The_human_error_writer_survives_a_lone_surrogate()
    {
        // s41 attacker #9: stderr's StreamWriter threw EncoderFallbackException (exit 134) on a lone surrogate.
        var run = Resh.TestSupport.ReshBinary.Run(["net://" + new string('a', 79) + "\U0001F600" + "b.ping", "--format", "table"]);
        Assert.NotEqual(134, run.ExitCode);
        Assert.DoesNotContain("Unhandled exception", run.Stderr);
    }
}
