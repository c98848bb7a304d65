using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

public sealed class SystemNetworkTests(NetnsPair ns) : IClassFixture<NetnsPair>
{
    static JsonNode Interface(ReshRun run, string name) =>
        run.Result!["interfaces"]!.AsArray().FirstOrDefault(i => i!["name"]!.GetValue<string>() == name)
        ?? throw new Xunit.Sdk.XunitException($"{name} is not listed: {run.Stdout}");

    [Fact]
    public void The_veth_made_by_the_test_shows_its_mac_mtu_state_and_addresses()
    {
        var run = Tools.Resh(ns.Exec, "system://.network");
        Assert.True(run.Ok, run.ToString());
        var near = Interface(run, NetnsPair.Near);
        Assert.Equal(NetnsPair.Mac, near["mac"]!.GetValue<string>());
        Assert.Equal(NetnsPair.Mtu, near["mtu"]!.GetValue<int>());
        Assert.Equal("ether", near["type"]!.GetValue<string>());
        Assert.Equal("up", near["state"]!.GetValue<string>());
        Assert.True(near["carrier"]!.GetValue<bool>());
        Assert.True(near["virtual"]!.GetValue<bool>());
        Assert.Contains("UP", near["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        var cidrs = near["addresses"]!.AsArray().Select(a => a!["cidr"]!.GetValue<string>()).ToList();
        Assert.Contains(NetnsPair.Ipv4 + "/24", cidrs);
        Assert.Contains(NetnsPair.Ipv6 + "/64", cidrs);
        var v4 = near["addresses"]!.AsArray().First(a => a!["address"]!.GetValue<string>() == NetnsPair.Ipv4)!;
        Assert.Equal("inet", v4["family"]!.GetValue<string>());
        Assert.Equal("10.213.7.255", v4["broadcast"]!.GetValue<string>());
        Assert.Equal("global", v4["scope"]!.GetValue<string>());
    }

    [Fact]
    public void Interfaces_and_addresses_equal_ip_j_addr_in_the_same_namespace()
    {
        var run = Tools.Resh(ns.Exec, "system://.network");
        var ip = JsonNode.Parse(Tools.Ok("ip", "-n", ns.Name, "-j", "addr"))!.AsArray();
        Assert.Equal(ip.Select(i => i!["ifname"]!.GetValue<string>()).Order(), run.Result!["interfaces"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).Order());
        foreach (var link in ip)
        {
            var ours = Interface(run, link!["ifname"]!.GetValue<string>());
            Assert.Equal(link["ifindex"]!.GetValue<int>(), ours["index"]!.GetValue<int>());
            Assert.Equal(link["mtu"]!.GetValue<int>(), ours["mtu"]!.GetValue<int>());
            Assert.Equal(link["operstate"]!.GetValue<string>().ToLowerInvariant(), ours["state"]!.GetValue<string>());
            Assert.Equal(link["address"]!.GetValue<string>(), ours["mac"]!.GetValue<string>());
            var expected = link["addr_info"]!.AsArray().Select(a => $"{a!["family"]} {a["local"]}/{a["prefixlen"]} {a["scope"]} brd {a["broadcast"]}").Order().ToList();
            var actual = ours["addresses"]!.AsArray().Select(a => $"{a!["family"]} {a["cidr"]} {a["scope"]} brd {a["broadcast"]}").Order().ToList();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Counters_grow_with_traffic_and_agree_with_ip_s_link()
    {
        Tools.Ok("ip", "netns", "exec", ns.Name, "ping", "-c", "3", "-i", "0.2", "-W", "2", NetnsPair.PeerIpv4);
        var before = LinkStats();
        var run = Tools.Resh(ns.Exec, "system://.network", "interface=" + NetnsPair.Near);
        var after = LinkStats();
        var c = Interface(run, NetnsPair.Near)["counters"]!;
        // Counters only grow (neighbour discovery may add packets between the reads): resh's value lies between two ip readings.
        Assert.InRange(c["tx_packets"]!.GetValue<long>(), Math.Max(3, before.TxPackets), after.TxPackets);
        Assert.InRange(c["rx_packets"]!.GetValue<long>(), Math.Max(3, before.RxPackets), after.RxPackets);
        Assert.InRange(c["tx_bytes"]!.GetValue<long>(), before.TxBytes, after.TxBytes);
        Assert.InRange(c["rx_bytes"]!.GetValue<long>(), before.RxBytes, after.RxBytes);
        Assert.Equal(0, c["rx_errors"]!.GetValue<long>());
    }

    (long RxPackets, long TxPackets, long RxBytes, long TxBytes) LinkStats()
    {
        var link = JsonNode.Parse(Tools.Ok("ip", "-n", ns.Name, "-j", "-s", "link", "show", NetnsPair.Near))!.AsArray()[0]!["stats64"]!;
        return (link["rx"]!["packets"]!.GetValue<long>(), link["tx"]!["packets"]!.GetValue<long>(),
            link["rx"]!["bytes"]!.GetValue<long>(), link["tx"]!["bytes"]!.GetValue<long>());
    }

    [Fact]
    public void Default_route_and_resolver_come_from_the_namespace()
    {
        var run = Tools.Resh(ns.Exec, "system://.network");
        var route = Assert.Single(run.Result!["default_routes"]!.AsArray(), r => r!["family"]!.GetValue<string>() == "inet")!;
        Assert.Equal(NetnsPair.Gateway, route["gateway"]!.GetValue<string>());
        Assert.Equal(NetnsPair.Near, route["interface"]!.GetValue<string>());
        Assert.Equal([NetnsPair.Nameserver], run.Result!["dns_servers"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal([NetnsPair.SearchDomain], run.Result!["dns_search"]!.AsArray().Select(s => s!.GetValue<string>()));
    }

    [Fact]
    public void A_down_link_has_no_carrier_and_state_down()
    {
        var run = Tools.Resh(["ip", "netns", "exec", ns.PeerName], "system://.network");
        var lo = Interface(run, "lo");
        Assert.Equal("down", lo["state"]!.GetValue<string>());
        Assert.DoesNotContain("UP", lo["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal("loopback", lo["type"]!.GetValue<string>());
        Assert.Empty(lo["addresses"]!.AsArray());
    }

    [Fact]
    public void The_interface_filter_keeps_only_the_named_interfaces()
    {
        var run = Tools.Resh(ns.Exec, "system://.network(interface=lo)");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("lo", Assert.Single(run.Result!["interfaces"]!.AsArray())!["name"]!.GetValue<string>());
    }

    [Fact]
    public void An_unknown_interface_is_not_found()
    {
        var run = Tools.Resh(ns.Exec, "system://.network", "interface=nosuch0");
        Assert.Equal(3, run.ExitCode);
        Assert.Equal("not_found", run.ErrorCode);
    }
}
