using Resh.Core.Errors;
using Resh.Handles.Firewall;
using Xunit;

namespace Resh.Handles.Tests.Firewall;

/// <summary>In-process checks of the rule model: normalization, ids, and the renderings each backend is given.</summary>
public sealed class RuleModelTests
{
    [Fact]
    public void The_same_request_normalizes_to_the_same_id_whatever_its_spelling()
    {
        var a = RuleSpec.Create(null, null, "TCP", ["443,80", "8000:8100"], "10.1.2.3/8", null, null, "allow", null, false, "web");
        var b = RuleSpec.Create("ipv4", "in", "tcp", ["80", "443", "8000-8100"], "10.0.0.0/8", null, null, "accept", null, false, "other comment");
        Assert.Equal(a.Id, b.Id);
        Assert.Equal(["80", "443", "8000-8100"], a.Ports);
        Assert.Equal("10.0.0.0/8", a.Source);
        Assert.Equal("ipv4", a.Family);
        Assert.NotEqual(a.Id, RuleSpec.Create(null, null, "tcp", ["80", "443", "8000-8100"], "10.0.0.0/8", null, null, "drop", null, false, null).Id);
        Assert.Equal("2001:db8::/32", RuleSpec.Create(null, null, null, [], "2001:db8:1::/32", null, null, "drop", null, false, null).Source);
    }

    [Theory]
    [InlineData("port", "0")]
    [InlineData("port", "65536")]
    [InlineData("port", "9-1")]
    [InlineData("from", "10.0.0.0/33")]
    [InlineData("from", "host.example")]
    [InlineData("iface", "this-name-is-too-long")]
    [InlineData("comment", "quote\"d")]
    [InlineData("rate", "5/fortnight")]
    public void Bad_fields_are_usage_errors(string field, string value)
    {
        var ex = Assert.Throws<ReshException>(() => RuleSpec.Create(null, null, null, field == "port" ? [value] : [], field == "from" ? value : null, null,
            field == "iface" ? value : null, "accept", field == "rate" ? value : null, false, field == "comment" ? value : null));
        Assert.Equal(ErrorCode.Usage, ex.Error.Code);
    }

    [Fact]
    public void Each_backend_renders_the_same_rule_in_its_own_spelling()
    {
        var s = RuleSpec.Create(null, "in", null, ["53", "5353"], "192.0.2.0/24", null, "eth0", "accept", "10/minute", true, "dns");
        Assert.Equal($"iifname \"eth0\" ip saddr 192.0.2.0/24 meta l4proto {{ tcp, udp }} th dport {{ 53, 5353 }} counter limit rate 10/minute log prefix \"resh:{s.Id} \" accept comment \"resh:{s.Id} dns\"",
            NftBackend.RuleText(s));
        var ipt = IptablesBackend.RuleLines(s, "ipv4");
        Assert.Equal(4, ipt.Count); // LOG + ACCEPT, for tcp and for udp
        Assert.Equal($"-A RESH-INPUT -i eth0 -s 192.0.2.0/24 -p udp -m multiport --dports 53,5353 -m comment --comment \"resh:{s.Id} dns\" -m limit --limit 10/minute -j ACCEPT", ipt[3]);
        var rich = FirewalldBackend.RichRules(RuleSpec.Create(null, "in", "tcp", ["22"], "10.0.0.0/8", null, null, "reject", null, false, null));
        Assert.Equal(["rule family=\"ipv4\" source address=\"10.0.0.0/8\" port port=\"22\" protocol=\"tcp\" reject"], rich);
    }

    [Fact]
    public void Lockout_evaluation_follows_rule_order_and_the_policy()
    {
        var session = SshSession.Parse("198.51.100.7 51000 192.0.2.10 22")!;
        var allow = RuleSpec.Create(null, null, "tcp", ["22"], null, null, null, "accept", null, false, null);
        var deny = RuleSpec.Create(null, null, null, ["22"], "198.51.100.0/24", null, null, "drop", null, false, null);
        Assert.Equal("accept", LockoutGuard.Verdict([], new Dictionary<string, string>(), session));
        Assert.Equal("drop", LockoutGuard.Verdict([deny, allow], new Dictionary<string, string>(), session));
        Assert.Equal("accept", LockoutGuard.Verdict([allow, deny], new Dictionary<string, string> { ["in"] = "drop" }, session));
        Assert.Equal("drop", LockoutGuard.Verdict([], new Dictionary<string, string> { ["in"] = "drop" }, session));
        Assert.Null(SshSession.Parse("garbage"));
    }
}
