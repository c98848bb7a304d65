using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Pipeline;
using Resh.Core.Text;
using Resh.Surfaces.Shell;
using Xunit;

namespace Resh.Core.Tests.Pipeline;

/// <summary>
/// One word splitter (s41): a line typed in the interactive shell and the same text given as one quoted pipeline on the
/// command line give the same stages, word for word, and filters that keep the same items.
/// </summary>
public sealed class WordSplitTests
{
    public static readonly TheoryData<string> Lines = new()
    {
        "proc://.list | where name == \"sleep\" | count",
        "proc://.list(match=\"a,b\") | count",                         // quotes inside parentheses reach the stage parser
        "pt://.list | pt://x.touch(note=\"a b\", n=1) --dry-run",      // a space inside parentheses does not split
        "file:///tmp/a\\ b.list | count",                               // a backslash escapes the space
        "pt://.list | pt://{name}.touch note=\"x \\\"y\\\" z\"",
        "pt://.list | pt://{name}.touch note='it''s'",
        "pt://.list | pt://{name}.touch note=\"C:\\dir\"",             // a backslash before an ordinary character is kept in \"...\"
        "pt://.list | pt://{name}.touch \"note=a\\$b\"",
        "pt://.list | where name =~ \"^a b\" | select name,size",
        "pt://.list | where size > 1MiB and name != 'x y' | sort -size | first 2",
        "pt://.list(tag=[\"a b\"]) | count",
    };

    static readonly List<JsonObject> Items =
    [
        new() { ["name"] = "sleep", ["size"] = "2MiB" },
        new() { ["name"] = "a b c", ["size"] = 10 },
        new() { ["name"] = "x y", ["size"] = "5MiB" },
        new() { ["name"] = "zzz", ["size"] = "3MiB" },
    ];

    [Theory]
    [MemberData(nameof(Lines))]
    public void A_shell_line_and_a_quoted_pipeline_split_the_same(string line)
    {
        var quoted = PipelineSyntax.Split([line]);
        var typed = PipelineSyntax.Split(ShellWords.Split(line));
        Assert.Equal(quoted.Segments.Count, typed.Segments.Count);
        for (int i = 0; i < quoted.Segments.Count; i++)
        {
            var q = quoted.Segments[i];
            var t = typed.Segments[i];
            if (i > 0 && q.Words.Count > 0 && ItemFilter.IsFilter(q.Words[0]))
            {
                // A filter is read from its text: both spellings keep the same items.
                var fq = ItemFilter.Parse(q.Text).Apply(Items.Select(x => (JsonObject)x.DeepClone()).ToList());
                var ft = ItemFilter.Parse(t.Text).Apply(Items.Select(x => (JsonObject)x.DeepClone()).ToList());
                Assert.Equal(string.Join("\n", fq.Select(x => x.ToJsonString())), string.Join("\n", ft.Select(x => x.ToJsonString())));
            }
            else Assert.Equal(q.Words, t.Words);
        }
    }

    [Theory]
    [InlineData("a \"b c\" key='d e' x(y=\"1 2\")", new[] { "a", "b c", "key=d e", "x(y=\"1 2\")" })]
    [InlineData("a\\ b \"c\\\"d\" 'e\\f'", new[] { "a b", "c\"d", "e\\f" })]
    [InlineData("\"x\\ny\" \"\\$HOME\" \\$HOME", new[] { "x\\ny", "$HOME", "$HOME" })]
    [InlineData("p(a=\"x y\", b='z') q", new[] { "p(a=\"x y\", b='z')", "q" })]
    [InlineData("p(a=x\\,y)", new[] { "p(a=x\\,y)" })]           // inside brackets a backslash is the stage parser's
    [InlineData("a|b | c", new[] { "a|b", "|", "c" })]
    [InlineData("  ", new string[0])]
    [InlineData("''", new[] { "" })]
    public void The_rules_of_the_one_splitter(string text, string[] words)
    {
        Assert.Equal(words, WordSplitter.Split(text));
        Assert.Equal(words, ShellWords.Split(text)); // the shell without variables is the same splitter
    }

    [Theory]
    [InlineData("a \"b")]
    [InlineData("a 'b")]
    [InlineData("p(a=\"b)")]
    public void An_unclosed_quote_is_usage_in_a_pipeline_and_an_error_line_in_the_shell(string text)
    {
        var ex = Assert.Throws<ReshException>(() => WordSplitter.Split(text));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.Contains("not closed", Assert.Throws<ShellWords.VariableException>(() => ShellWords.Split(text)).Message);
    }

    [Fact]
    public void The_shell_expands_variables_through_the_splitters_hook_and_a_pipeline_does_not()
    {
        var p = JsonNode.Parse("""{"pid":42,"name":"a b","cmd":"@/etc/shadow"}""");
        JsonNode? Lookup(string n) => n == "p" ? p : throw new ShellWords.VariableException("$" + n + " is not set");
        Assert.Equal(["proc://42.kill", "note=a b", "x=$p.pid", "y=a b"], ShellWords.Split("proc://{$p.pid}.kill note=\"$p.name\" x='$p.pid' y={$p.name}", Lookup));
        Assert.Equal(["proc://{$p.pid}.kill"], WordSplitter.Split("proc://{$p.pid}.kill"));
        Assert.Throws<ShellWords.VariableException>(() => ShellWords.Split("file:///x.write content=$p.cmd", Lookup));
    }

    [Fact]
    public void Is_pipeline_allocates_nothing_for_a_call_without_a_bar()
    {
        string[] argv = ["proc://.list(match=abc)", "--format", "json", "--timeout", "5s"];
        Assert.False(PipelineSyntax.IsPipeline(argv)); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Assert.False(PipelineSyntax.IsPipeline(argv));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(PipelineSyntax.IsPipeline(["proc://.list | count"]));
        Assert.True(PipelineSyntax.IsPipeline(["proc://.list", "|", "count"]));
    }
}
