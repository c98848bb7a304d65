using Resh.Core.Text;
using Xunit;

namespace Resh.Core.Tests.Text;

/// <summary>
/// s41: the shell's completion menu, net://'s message values and the agent's log each had an escaper of their own, and each
/// missed something the others caught (bidi overrides, U+2028, BOM). TerminalText.Escape is the one they call now.
/// </summary>
public sealed class OneEscaperTests
{
    [Theory]
    [InlineData("mal\u001b[31mory", @"mal\x1b[31mory")]
    [InlineData("a\nresh agent: fake", @"a\nresh agent: fake")]
    [InlineData("file\u202etxt.exe", @"file\u202etxt.exe")]
    [InlineData("a\u2028b\u2029c", @"a\u2028b\u2029c")]
    [InlineData("\ufeffname\u2066x\u2069", @"\ufeffname\u2066x\u2069")]
    [InlineData("csi\u009b31m del\u007f", @"csi\x9b31m del\x7f")]
    [InlineData("tab\there\r", @"tab\there\r")]
    public void Every_control_character_the_old_escapers_knew_is_escaped(string raw, string shown) =>
        Assert.Equal(shown, TerminalText.Escape(raw));

    [Theory]
    [InlineData("plain-name.txt"), InlineData("ünïcødé 名前"), InlineData("")]
    public void Text_without_control_characters_is_the_same_instance(string s) => Assert.Same(s, TerminalText.Escape(s));
}
