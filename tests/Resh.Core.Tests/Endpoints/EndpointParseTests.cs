using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Xunit;

namespace Resh.Core.Tests.Endpoints;

/// <summary>The inline server form of SPEC §9 ([user@]host[:port], IPv6 in brackets) and what it refuses.</summary>
public sealed class EndpointParseTests
{
    [Theory]
    [InlineData("127.0.0.1:2525", null, "127.0.0.1", 2525)]
    [InlineData("mail.example.com", null, "mail.example.com", null)]
    [InlineData("ann@db.local:5432", "ann", "db.local", 5432)]
    [InlineData("[::1]:53", null, "::1", 53)]
    [InlineData("::1", null, "::1", null)]
    [InlineData("a_b-c.example", null, "a_b-c.example", null)]
    public void Inline_servers_parse_to_user_host_and_port(string authority, string? user, string host, int? port)
    {
        var e = EndpointResolver.ParseInline("mail", authority);
        Assert.Equal(user, e.User);
        Assert.Equal(host, e.Host);
        Assert.Equal(port, e.Port);
        Assert.Null(e.Profile);
        Assert.Equal("mail", e.Scheme);
    }

    [Theory]
    [InlineData("host:0")]
    [InlineData("host:65536")]
    [InlineData("host:-1")]
    [InlineData("host:http")]
    [InlineData("@host")]
    [InlineData("[::1")]
    [InlineData("[nothost]:1")]
    [InlineData("ho st")]
    [InlineData("host/..")]
    [InlineData("")]
    public void Anything_else_is_a_usage_error(string authority)
    {
        var ex = Assert.Throws<ReshException>(() => EndpointResolver.ParseInline("mail", authority));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.NotNull(ex.Error.Hint);
    }

    [Fact]
    public void A_password_in_the_authority_is_refused_without_echoing_it()
    {
        var ex = Assert.Throws<ReshException>(() => EndpointResolver.ParseInline("db", "ann:hunter2@db.local"));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
        Assert.DoesNotContain("hunter2", ex.Error.Message);
        Assert.DoesNotContain("hunter2", ex.Error.Hint ?? "");
    }

    [Fact]
    public void Ipv6_display_keeps_brackets_and_the_default_port()
    {
        Assert.Equal("[::1]:25", EndpointResolver.ParseInline("mail", "::1").Display(25));
        Assert.Equal("h.example:2525", EndpointResolver.ParseInline("mail", "h.example:2525").Display(25));
    }
}
