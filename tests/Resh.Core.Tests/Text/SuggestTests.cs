using Resh.Core.Text;
using Xunit;

namespace Resh.Core.Tests.Text;

public sealed class SuggestTests
{
    static readonly string[] Verbs = ["read", "write", "stat", "list", "lines.ensure", "restart", "reload"];

    [Theory]
    [InlineData("raed", "read")]
    [InlineData("wirte", "write")]
    [InlineData("lsit", "list")]
    [InlineData("restrat", "restart")]
    [InlineData("lines.ensur", "lines.ensure")]
    [InlineData("READ", "read")]
    public void The_closest_candidate_is_suggested(string typo, string expected)
    {
        Assert.Equal(expected, Suggest.Closest(typo, Verbs));
    }

    [Fact]
    public void Nothing_close_gives_no_suggestion()
    {
        Assert.Null(Suggest.Closest("xyzzy", Verbs));
    }

    [Fact]
    public void A_unique_prefix_is_a_suggestion()
    {
        Assert.Equal("lines.ensure", Suggest.Closest("lines", Verbs));
    }

    [Fact]
    public void Transpositions_cost_one_edit()
    {
        Assert.Equal(1, Suggest.Distance("ab", "ba"));
        Assert.Equal(3, Suggest.Distance("kitten", "sitting"));
    }
}
