using System.Net;
using Resh.Core.Platform;
using Xunit;

namespace Resh.Core.Tests.Platform;

public class ResolvConfTests
{
    [Fact]
    public void Name_servers_are_read_in_order_without_duplicates_three_at_most()
    {
        var r = ResolvConf.Parse("# c\nnameserver 127.0.0.53\n  nameserver\t::1\nnameserver not-an-ip\n; x\nnameserver 127.0.0.53\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n");
        Assert.Equal(["127.0.0.53", "::1", "10.0.0.1"], r.Nameservers.Select(a => a.ToString()).ToArray());
    }

    [Fact]
    public void An_address_ends_at_a_comment_and_may_carry_an_ipv6_zone()
    {
        var r = ResolvConf.Parse("nameserver 10.0.0.53#primary\nnameserver 10.0.0.54;backup\nnameserver fe80::1%1\n");
        Assert.Equal(3, r.Nameservers.Count);
        Assert.Equal(IPAddress.Parse("10.0.0.53"), r.Nameservers[0]);
        Assert.Equal(IPAddress.Parse("10.0.0.54"), r.Nameservers[1]);
        Assert.Equal(1, r.Nameservers[2].ScopeId);
    }

    [Fact]
    public void The_last_search_or_domain_line_wins()
    {
        var r = ResolvConf.Parse("# generated\nnameserver 10.0.0.53\nsearch a.test b.test\n; old\nnameserver 2001:db8::53\ndomain c.test\n");
        Assert.Equal(["10.0.0.53", "2001:db8::53"], r.Nameservers.Select(a => a.ToString()).ToArray());
        Assert.Equal(["c.test"], r.Search);
        Assert.Equal(["x.test"], ResolvConf.Parse("search x.test # trailing\n").Search);
    }

    [Fact]
    public void Options_timeout_attempts_and_ndots_are_read_within_the_c_librarys_bounds()
    {
        var none = ResolvConf.Parse("nameserver 10.0.0.53\n");
        Assert.Equal((5, 2, 1), (none.Timeout, none.Attempts, none.Ndots));
        var set = ResolvConf.Parse("options rotate timeout:1 attempts:3 ndots:2 edns0\n");
        Assert.Equal((1, 3, 2), (set.Timeout, set.Attempts, set.Ndots));
        var clamped = ResolvConf.Parse("options timeout:99 attempts:0 ndots:40\noptions timeout:x\n");
        Assert.Equal((30, 1, 15), (clamped.Timeout, clamped.Attempts, clamped.Ndots));
    }
}
