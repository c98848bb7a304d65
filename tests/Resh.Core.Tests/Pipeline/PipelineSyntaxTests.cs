using Resh.Core.Errors;
using Resh.Core.Pipeline;
using Xunit;

namespace Resh.Core.Tests.Pipeline;

public sealed class PipelineSyntaxTests
{
    [Theory]
    [InlineData("proc://.list | where name == \"sleep\" | count")]
    [InlineData("proc://.list", "|", "count")]
    [InlineData("--dry-run", "proc://.list | count")]
    [InlineData("--format", "table", "proc://.list", "|", "count")]
    [InlineData("ssh://@web/system://.disk | where used_percent > 80", "--forks", "20")]
    public void Pipelines_are_recognised_in_both_spellings(params string[] argv) => Assert.True(PipelineSyntax.IsPipeline(argv));

    [Theory]
    [InlineData("file:///tmp/x.write", "content=a | b")]           // a | inside an argument value
    [InlineData("'file:///tmp/x.write(content=a | b)'")]           // inside parentheses
    [InlineData("file:///tmp/x.write(content=\"a | b\")")]
    [InlineData("ssh://h.exec", "--", "a", "|", "b")]               // after --
    [InlineData("help", "|", "count")]                             // not a stage
    [InlineData("proc://.list")]
    [InlineData("proc://a|b.list")]                                // a | without spaces is target text
    public void Other_command_lines_are_not_pipelines(params string[] argv) => Assert.False(PipelineSyntax.IsPipeline(argv));

    [Fact]
    public void Both_spellings_give_the_same_segments()
    {
        var a = PipelineSyntax.Split(["proc://.list(name=sleep) | where rss > 1MiB | proc://{pid}.kill grace=1s"]);
        var b = PipelineSyntax.Split(["proc://.list(name=sleep)", "|", "where", "rss", ">", "1MiB", "|", "proc://{pid}.kill", "grace=1s"]);
        Assert.Equal(3, a.Segments.Count);
        Assert.Equal(3, b.Segments.Count);
        for (int i = 0; i < 3; i++) Assert.Equal(a.Segments[i].Words, b.Segments[i].Words);
        Assert.Equal("where rss > 1MiB", a.Segments[1].Text);
        Assert.Equal("where rss > 1MiB", b.Segments[1].Text);
    }

    [Fact]
    public void Quotes_and_brackets_protect_a_bar()
    {
        var p = PipelineSyntax.Split(["pt://.list | where name =~ \"a | b\" | pt://x.touch(name=\"c | d\")"]);
        Assert.Equal(3, p.Segments.Count);
        Assert.Equal("where name =~ \"a | b\"", p.Segments[1].Text);
        Assert.Equal(["pt://x.touch(name=\"c | d\")"], p.Segments[2].Words);
    }

    [Fact]
    public void Words_remove_quotes_outside_brackets()
    {
        Assert.Equal(["a", "b c", "key=d e", "x(y=\"1 2\")"], PipelineSyntax.Words("a \"b c\" key='d e' x(y=\"1 2\")"));
    }

    [Theory]
    [InlineData("pt://.list |  | count")]
    [InlineData("pt://.list", "|")]
    [InlineData("pt://.list", "|", "|", "count")]
    public void An_empty_stage_is_usage(params string[] argv)
    {
        var ex = Assert.Throws<ReshException>(() => PipelineSyntax.Split(argv));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }
}
