using Resh.Core.Errors;
using Resh.Core.Platform;
using Xunit;

namespace Resh.Core.Tests.Platform;

public sealed class CommandWordsTests
{
    [Theory]
    [InlineData("sleep 1", new[] { "sleep", "1" })]
    [InlineData("  uname\t-a \n", new[] { "uname", "-a" })]
    [InlineData("echo 'a b' \"c\\\"d\" $x e\\ f", new[] { "echo", "a b", "c\"d", "$x", "e f" })]
    [InlineData("sh -c 'ls | wc -l; rm x'", new[] { "sh", "-c", "ls | wc -l; rm x" })]
    [InlineData("a''b \"\"", new[] { "ab", "" })]
    public void A_line_splits_into_the_words_a_shell_would_give_without_expanding_anything(string line, string[] words) =>
        Assert.Equal(words, CommandWords.Split(line));

    [Theory]
    [InlineData("echo 'open")]
    [InlineData("echo \"open")]
    public void An_unclosed_quote_is_refused(string line) => Assert.Throws<FormatException>(() => CommandWords.Split(line));

    [Fact]
    public void Of_takes_exactly_one_form_and_refuses_an_empty_command_or_a_NUL()
    {
        Assert.Equal(["ls", "-l"], CommandWords.Of("ls -l", [], "example"));
        Assert.Equal(["a b"], CommandWords.Of(null, ["a b"], "example"));
        foreach (var (line, argv) in new (string?, string[])[] { ("ls", ["ls"]), (null, []), ("   ", []), ("a\0b", []), ("echo 'x", []) })
        {
            var ex = Assert.Throws<ReshException>(() => CommandWords.Of(line, argv, "example"));
            Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        }
    }
}

/// <summary>Arg.Command: the words after -- exactly, a JSON array exactly, and a line (command=..., in parentheses too) split like a shell.</summary>
public sealed class CommandArgTests
{
    [Theory]
    [InlineData(new[] { "t://x.exec", "command=printf '%s|' 'a b' \\$HOME c;d" }, "[printf|%s||a b|$HOME|c;d]")]
    [InlineData(new[] { "t://x.exec(command=sleep 1)" }, "[sleep|1]")]
    [InlineData(new[] { "t://x.exec", "--", "a b", "c,d" }, "[a b|c,d]")]
    [InlineData(new[] { "t://x.exec", "argv:=[\"a b\",\"c\"]" }, "[a b|c]")]
    [InlineData(new[] { "t://x.exec", "--args", "{\"command\":\"ls  -l\"}" }, "[ls|-l]")]
    public void Each_form_gives_the_words_it_means(string[] argv, string words)
    {
        var r = InProcess.Run(argv);
        Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        Assert.Equal(words, r.Arg("argv"));
    }

    [Fact]
    public void Both_forms_at_once_are_usage_not_joined()
    {
        // s31 user review D7: command='echo hi' -- echo there ran `echo hi echo there`.
        var r = InProcess.Run("t://x.exec", "command=echo hi", "--", "echo", "there");
        Assert.Equal("usage", r.Code);
    }

    [Fact]
    public void An_unclosed_quote_is_usage()
    {
        var r = InProcess.Run("t://x.exec", "command=echo 'open");
        Assert.Equal("usage", r.Code);
    }
}
