using Resh.Core.Errors;
using Resh.Core.Grammar;
using Xunit;

namespace Resh.Core.Tests.Grammar;

public sealed class StageParserTests
{
    [Fact]
    public void Scheme_and_body_are_split_at_the_first_separator()
    {
        var s = StageParser.Parse("file:///etc/hosts.read");
        Assert.Equal("file", s.Scheme);
        Assert.Equal("/etc/hosts.read", s.Body);
        Assert.False(s.HasParenArgs);
    }

    [Fact]
    public void Scheme_is_case_insensitive()
    {
        Assert.Equal("file", StageParser.Parse("FILE:///x.read").Scheme);
    }

    [Theory]
    [InlineData("nothing")]
    [InlineData("://x")]
    [InlineData("1abc://x")]
    [InlineData("fi le://x")]
    public void Text_without_a_valid_scheme_is_a_usage_error(string stage)
    {
        var ex = Assert.Throws<ReshException>(() => StageParser.Parse(stage));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }

    [Fact]
    public void The_final_parenthesised_group_is_the_argument_list()
    {
        var s = StageParser.Parse("svc://nginx.restart(timeout=30s,force=true)");
        Assert.Equal("nginx.restart", s.Body);
        Assert.Equal(2, s.ParenArgs.Count);
        Assert.Equal(("timeout", "30s"), (s.ParenArgs[0].Key, s.ParenArgs[0].Value));
        Assert.Equal(("force", "true"), (s.ParenArgs[1].Key, s.ParenArgs[1].Value));
    }

    [Fact]
    public void Parentheses_inside_an_unquoted_value_are_kept_when_balanced()
    {
        var s = StageParser.Parse("db://x.query(sql=SELECT COUNT(*) FROM t)");
        Assert.Equal("x.query", s.Body);
        Assert.Equal("SELECT COUNT(*) FROM t", s.ParenArgs.Single().Value);
    }

    [Fact]
    public void Double_quoted_values_keep_commas_and_unescape_backslashes()
    {
        var s = StageParser.Parse("t://x.read(name=\"a,b \\\"q\\\" (c\",count=2)");
        Assert.Equal("a,b \"q\" (c", s.ParenArgs[0].Value);
        Assert.True(s.ParenArgs[0].Quoted);
        Assert.Equal("2", s.ParenArgs[1].Value);
    }

    [Fact]
    public void Single_quoted_values_are_literal()
    {
        var s = StageParser.Parse("t://x.read(name='a\\n,b')");
        Assert.Equal("a\\n,b", s.ParenArgs[0].Value);
    }

    [Fact]
    public void A_quote_inside_an_unquoted_value_is_an_ordinary_character()
    {
        var s = StageParser.Parse("t://x.read(name=it's fine)");
        Assert.Equal("it's fine", s.ParenArgs[0].Value);
    }

    [Fact]
    public void Json_values_after_colon_equals_keep_their_commas_and_brackets()
    {
        var s = StageParser.Parse("t://x.read(data:={\"a\":[1,2],\"b\":\"x,)\"},count=1)");
        Assert.True(s.ParenArgs[0].Json);
        Assert.Equal("{\"a\":[1,2],\"b\":\"x,)\"}", s.ParenArgs[0].Value);
        Assert.Equal("count", s.ParenArgs[1].Key);
    }

    [Fact]
    public void Parentheses_in_the_target_before_the_argument_list_stay_in_the_target()
    {
        var s = StageParser.Parse("file:///tmp/a(1).txt.read(length=3)");
        Assert.Equal("/tmp/a(1).txt.read", s.Body);
        Assert.Equal("length", s.ParenArgs.Single().Key);
    }

    [Fact]
    public void A_target_with_parentheses_and_no_argument_list_is_left_alone()
    {
        var s = StageParser.Parse("file:///tmp/a(1).txt.read");
        Assert.Equal("/tmp/a(1).txt.read", s.Body);
        Assert.False(s.HasParenArgs);
    }

    [Fact]
    public void Empty_parentheses_are_an_empty_argument_list()
    {
        var s = StageParser.Parse("system://.info()");
        Assert.True(s.HasParenArgs);
        Assert.Empty(s.ParenArgs);
        Assert.Equal(".info", s.Body);
    }

    [Theory]
    [InlineData("t://x.read(name=\"open)")]
    [InlineData("t://x.read(a=1))")]
    public void An_unbalanced_argument_list_is_a_usage_error(string stage)
    {
        var ex = Assert.Throws<ReshException>(() => StageParser.Parse(stage));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }

    [Fact]
    public void An_argument_list_that_never_closes_is_a_usage_error()
    {
        var ex = Assert.Throws<ReshException>(() => StageParser.Parse("t://x.read(a=1"));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }

    [Fact]
    public void Bare_words_in_the_list_have_no_key()
    {
        var s = StageParser.Parse("t://x.read(force,name=a)");
        Assert.Null(s.ParenArgs[0].Key);
        Assert.Equal("force", s.ParenArgs[0].Value);
    }
}
