using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Grammar;
using Resh.Core.Pipeline;
using Xunit;

namespace Resh.Core.Tests.Pipeline;

public sealed class ItemTemplateTests
{
    [Fact]
    public void Fields_are_filled_and_double_braces_are_literal()
    {
        var t = new ItemTemplate("proc://{pid}.kill{{x}}");
        Assert.Equal(["pid"], t.Fields);
        Assert.Equal("proc://42.kill{x}", t.Render(new JsonObject { ["pid"] = 42 }, percentEncode: false));
    }

    [Theory]
    [InlineData("a|b")]
    [InlineData("../../etc/passwd")]
    [InlineData("x.kill")]
    [InlineData("x\" y' z")]
    [InlineData("{pid}")]
    [InlineData("a(b=1),c")]
    [InlineData("100%")]
    [InlineData("ü ☃")]
    public void A_filled_target_value_decodes_to_exactly_itself(string value)
    {
        var encoded = new ItemTemplate("{v}").Render(new JsonObject { ["v"] = value }, percentEncode: true);
        Assert.DoesNotContain('.', encoded);
        Assert.DoesNotContain('/', encoded);
        Assert.DoesNotContain('|', encoded);
        Assert.DoesNotContain('(', encoded);
        Assert.DoesNotContain('{', encoded);
        Assert.Equal(value, PercentDecoding.Decode(encoded));
    }

    [Fact]
    public void A_missing_or_null_field_is_usage_for_that_item()
    {
        var t = new ItemTemplate("x/{a}");
        Assert.Equal(ErrorCode.Usage, Assert.Throws<ReshException>(() => t.Render(new JsonObject(), true)).Error.Code);
        Assert.Equal(ErrorCode.Usage, Assert.Throws<ReshException>(() => t.Render(new JsonObject { ["a"] = null }, true)).Error.Code);
    }

    [Theory]
    [InlineData("x{")]
    [InlineData("x{}")]
    [InlineData("x{a b}")]
    [InlineData("x{a")]
    public void A_bad_placeholder_is_usage(string text) =>
        Assert.Equal(ErrorCode.Usage, Assert.Throws<ReshException>(() => new ItemTemplate(text)).Error.Code);

    [Fact]
    public void A_name_listed_escaped_stands_for_its_bytes_and_a_name_spelled_the_same_for_its_text()
    {
        // s41: file.list shows a raw byte 0xFF as %FF with escaped true, and a file literally named %FF as %FF with
        // escaped false; their targets must differ (each decodes to its own file's bytes).
        var t = new ItemTemplate("file://{path}.read");
        var raw = t.Render(new JsonObject { ["path"] = "/d/%FF", ["escaped"] = true }, percentEncode: true);
        var literal = t.Render(new JsonObject { ["path"] = "/d/%FF", ["escaped"] = false }, percentEncode: true);
        Assert.Equal("file://%2Fd%2F%FF.read", raw);
        Assert.Equal("file://%2Fd%2F%25FF.read", literal);
        // an escaped name's literal % is %25 in the listing, and stays one %
        Assert.Equal("file://%2Fd%2F%25%FF%C3%BC.read", t.Render(new JsonObject { ["path"] = "/d/%25%FFü", ["escaped"] = true }, percentEncode: true));
        // only path and name are escaped by the listing: another field is text as always
        Assert.Equal("x://%25FF.y", new ItemTemplate("x://{type}.y").Render(new JsonObject { ["type"] = "%FF", ["escaped"] = true }, percentEncode: true));
    }

    [Fact]
    public void The_shown_target_has_the_values_as_typed_up_to_the_calls_target()
    {
        var t = new ItemTemplate("file://{path}.read");
        var item = new JsonObject { ["path"] = "/tmp/a b(c).txt" };
        var encoded = t.Render(item, percentEncode: true);
        var callTarget = encoded[..encoded.LastIndexOf(".read", StringComparison.Ordinal)];
        Assert.Equal("file:///tmp/a b(c).txt", t.RenderShown(item, callTarget.Length));
        Assert.Equal("file:///tmp/a b(c).txt.read", t.RenderShown(item, encoded.Length));
    }
}
