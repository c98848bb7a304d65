using Resh.Core.Model;
using Resh.Surfaces.Mcp;
using Xunit;

namespace Resh.Core.Tests.Surfaces;

/// <summary>Endpoint spellings reduce to one canonical form; host expressions that fan out are told from single hosts.</summary>
public sealed class McpEndpointTests
{
    static readonly VerbInfo CachePing = Resh.Cli.HandleCatalog.Build().Find("cache")!.FindVerb("ping")!;

    [Theory]
    [InlineData("127.1", "127.0.0.1")]
    [InlineData("2130706433", "127.0.0.1")]
    [InlineData("0x7f.1", "127.0.0.1")]
    [InlineData("0177.0.0.1", "127.0.0.1")]
    [InlineData("0x7F000001", "127.0.0.1")]
    [InlineData("127.0.1", "127.0.0.1")]
    [InlineData("10.0.258", "10.0.1.2")]
    [InlineData("LocalHost.", "localhost")]
    [InlineData("[::FFFF:127.0.0.1]", "127.0.0.1")]
    [InlineData("[0:0:0:0:0:0:0:1]", "[::1]")]
    [InlineData("::1", "[::1]")]
    [InlineData("256.1.1.1", "256.1.1.1")]
    [InlineData("08.1.1.1", "08.1.1.1")]
    [InlineData("web01.example.", "web01.example")]
    public void Hosts_are_canonical(string host, string expected) => Assert.Equal(expected, McpEndpoint.Host(host));

    [Theory]
    [InlineData("x@127.1:016430/db/0", "127.0.0.1:16430/db/0", "x@127.0.0.1:16430/db/0")]
    [InlineData("user:pw@LOCALHOST:9", "localhost:9", "user@localhost:9")]
    [InlineData("[::ffff:7f00:1]:9/", "127.0.0.1:9/", "127.0.0.1:9/")]
    public void Endpoints_drop_the_password_and_canonicalise_host_and_port(string body, string canonical, string withUser)
    {
        var ep = McpEndpoint.Parse(body)!;
        Assert.Equal(canonical, ep.Canonical);
        Assert.Equal(withUser, ep.WithUser);
        Assert.DoesNotContain("pw", ep.Canonical + ep.WithUser + string.Join(" ", ep.Loopback));
    }

    [Fact]
    public void A_deny_holds_for_every_spelling_and_an_allow_ending_in_star_covers_the_paths()
    {
        var deny = new McpPolicy { Deny = [McpPolicy.Pattern.Parse("cache.*:cache://127.0.0.1*")] };
        // Every loopback spelling is the denied server, 127.0.0.0/8 and IPv6 zone ids included (review s30).
        foreach (var body in new[] { "127.0.0.1:16430/", "127.1:16430", "LOCALHOST:16430/", "2130706433:16430/", "x@127.0.0.1:16430/", "0.0.0.0:16430/", "127.0.0.2:16430/", "[::1%lo]:16430/" })
            Assert.NotNull(deny.Refusal(CachePing, McpTarget.Of("cache", body, "/home/u", remote: false), body));
        Assert.Null(deny.Refusal(CachePing, McpTarget.Of("cache", "10.1.2.3:16430/", "/home/u", remote: false), "other"));

        var allow = new McpPolicy { Allow = [McpPolicy.Pattern.Parse("cache.*:cache://127.0.0.1:16430*")] };
        Assert.Null(allow.Refusal(CachePing, McpTarget.Of("cache", "x@127.1:16430/3", "/home/u", remote: false), "ok"));
        Assert.NotNull(allow.Refusal(CachePing, McpTarget.Of("cache", "127.0.0.1:16431/", "/home/u", remote: false), "port"));
        Assert.Equal("cache://127.0.0.1:16430/3", McpTarget.Of("cache", "x:pw@0x7f.1:16430/3", "/home/u", remote: false).Canonical);
    }

    [Theory]
    [InlineData("web01", false)]
    [InlineData("deploy@web01:2222", false)]
    [InlineData("[::1]:22", false)]
    [InlineData("root@[2001:db8::1]", false)]
    [InlineData("a,b", true)]
    [InlineData("@web", true)]
    [InlineData("web[01:20]", true)]
    [InlineData("db[a:c].example", true)]
    [InlineData("web*", true)]
    [InlineData("[::1],[::2]", true)]
    public void Host_expressions_that_fan_out_are_recognised(string host, bool fansOut) => Assert.Equal(fansOut, McpHosts.FansOut(host));
}
