using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Pipeline;
using Xunit;

namespace Resh.Core.Tests.Pipeline;

public sealed class ItemFilterTests
{
    static List<JsonObject> Items() =>
    [
        (JsonObject)JsonNode.Parse("""{"name":"a","user":"root","size":"2MiB","n":3}""")!,
        (JsonObject)JsonNode.Parse("""{"name":"b","user":"www","size":"512k","n":10}""")!,
        (JsonObject)JsonNode.Parse("""{"name":"c","user":"root","size":"1GB","n":1}""")!,
        (JsonObject)JsonNode.Parse("""{"name":"d","user":"www","n":2}""")!,
    ];

    static string Names(List<JsonObject> items) => string.Join(",", items.Select(i => i["name"]?.GetValue<string>() ?? "-"));

    [Theory]
    [InlineData("sort n", "c,d,a,b")]
    [InlineData("sort -n", "b,a,d,c")]
    [InlineData("sort n desc", "b,a,d,c")]
    [InlineData("sort size", "b,a,c,d")]       // sizes written as text sort by bytes; missing last
    [InlineData("sort name", "a,b,c,d")]
    [InlineData("first 2", "a,b")]
    [InlineData("first", "a")]
    [InlineData("last 3", "b,c,d")]
    [InlineData("first 0", "")]
    [InlineData("unique user", "a,b")]
    [InlineData("where user == www", "b,d")]
    [InlineData("where size > 1MiB", "a,c")]
    public void Filters_transform_the_items(string filter, string expected) =>
        Assert.Equal(expected, Names(ItemFilter.Parse(filter).Apply(Items())));

    [Fact]
    public void Select_keeps_the_named_fields_in_order()
    {
        var r = ItemFilter.Parse("select n,name").Apply(Items());
        Assert.Equal("""{"n":3,"name":"a"}""", r[0].ToJsonString());
        Assert.Equal(["n", "name"], ItemFilter.Parse("select n name").FieldsAfter(null)!.Order());
    }

    [Fact]
    public void Count_and_group_make_new_items()
    {
        Assert.Equal("""{"count":4}""", ItemFilter.Parse("count").Apply(Items())[0].ToJsonString());
        var g = ItemFilter.Parse("group user").Apply(Items());
        Assert.Equal(2, g.Count);
        Assert.Equal("root", g[0]["user"]!.GetValue<string>());
        Assert.Equal(2, g[0]["count"]!.GetValue<int>());
        Assert.Equal("c", g[0]["items"]![1]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void Unique_without_a_field_drops_identical_items()
    {
        var items = Items();
        items.Add((JsonObject)JsonNode.Parse("""{"name":"a","user":"root","size":"2MiB","n":3}""")!);
        Assert.Equal("a,b,c,d", Names(ItemFilter.Parse("unique").Apply(items)));
    }

    [Theory]
    [InlineData("wher x == 1")]
    [InlineData("select")]
    [InlineData("sort")]
    [InlineData("sort a b")]
    [InlineData("first -1")]
    [InlineData("first x")]
    [InlineData("count 3")]
    [InlineData("group")]
    [InlineData("select a;rm")]
    public void Bad_filters_are_usage(string filter)
    {
        var ex = Assert.Throws<ReshException>(() => ItemFilter.Parse(filter));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }

    [Fact]
    public void A_misspelt_filter_gets_a_hint()
    {
        var ex = Assert.Throws<ReshException>(() => ItemFilter.Parse("wher x == 1"));
        Assert.Contains("where", ex.Error.Hint);
    }
}
