using Resh.Core.Errors;
using Resh.Core.Grammar;
using Xunit;

namespace Resh.Core.Tests.Grammar;

/// <summary>Issue 10: a suggested command parses back to the target and verb it names.</summary>
public sealed class HintCommandTests
{
    static readonly Model.HandleInfo T = TestHandles.Handle();

    static string Hint(string body, string? next = null) =>
        Assert.Throws<ReshException>(() => VerbResolver.Resolve(T, body, next)).Error.Hint!;

    [Fact]
    public void A_typo_in_a_dotted_verb_keeps_the_target_whole()
    {
        var hint = Hint("/etc/x.lines.ensur");
        Assert.Contains("(resh t:///etc/x.lines.ensure)", hint);
        Assert.DoesNotContain("lines.lines", hint);
    }

    [Theory]
    [InlineData("/tmp/a b.txt", "resh 't:///tmp/a b.txt.read'")]
    [InlineData("/tmp/100%.txt", "resh t:///tmp/100%25.txt.read")]
    [InlineData("/tmp/it's.txt", "resh 't:///tmp/it'\\''s.txt.read'")]
    [InlineData("/tmp/f(1)", "resh t:///tmp/f%281%29.read")]
    [InlineData("/tmp/x.gz", "resh t:///tmp/x.gz.read")]
    public void Commands_are_quoted_and_encoded_to_parse_back(string target, string expected)
    {
        Assert.Equal(expected, StageText.Command(T, target, "read"));
    }

    [Fact]
    public void A_target_the_dotted_form_would_misread_gets_the_spaced_form()
    {
        // `t:///tmp/x.lines.ensure` would be target /tmp/x + lines.ensure; with the verb `ensure` the spaced form keeps it.
        Assert.Equal("resh t:///tmp/x.lines ensure", StageText.Command(T, "/tmp/x.lines", "ensure"));
        var r = VerbResolver.Resolve(T, "/tmp/x.lines", "ensure");
        Assert.Equal("ensure", r.Verb.Name);
        Assert.Equal("/tmp/x.lines", r.RawTarget);
    }

    [Fact]
    public void Every_suggested_command_resolves_to_its_verb()
    {
        foreach (var (body, next) in new[] { ("/etc/hosts.raed", (string?)null), ("/etc/hosts", "red"), ("/a b/c.ea.gett", null), ("/x.lines.ensuer", null) })
        {
            var hint = Hint(body, next);
            var command = hint[(hint.IndexOf("(resh ", StringComparison.Ordinal) + 6)..^1];
            var words = command.StartsWith('\'') ? [command[1..command.LastIndexOf('\'')].Replace("'\\''", "'")] : command.Split(' ');
            var stage = StageParser.Parse(words[0]);
            var r = VerbResolver.Resolve(T, stage.Body, words.Length > 1 ? words[1] : null);
            Assert.Contains($"`{r.Verb.Name}`", hint);
        }
    }
}
