using System.Text.Json.Nodes;
using Resh.Handles.Tests.Sys;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Network;

[CollectionDefinition("netlab")]
public sealed class NetLabCollection : ICollectionFixture<NetLab>;

/// <summary>interfaces, addr.*, link.set, routes, route.*, neighbors: against ip -j in the lab's namespaces.</summary>
[Collection("netlab")]
public sealed class NetLinkTests(NetLab lab)
{
    ReshRun InClient(params string[] args) => Tools.Resh(lab.In(lab.Client), args);
    ReshRun NobodyInClient(params string[] args) => Tools.Resh(lab.AsNobodyIn(lab.Client), args);

    static List<string> Cidrs(JsonArray ipAddr, string dev) =>
        ipAddr.First(l => l!["ifname"]!.GetValue<string>() == dev)!["addr_info"]!.AsArray().Select(a => $"{a!["local"]}/{a["prefixlen"]}").ToList();

    [Fact]
    public void Interfaces_equal_ip_j_addr_in_the_namespace()
    {
        var run = InClient("net://.interfaces");
        Assert.True(run.Ok, run.ToString());
        var ip = NetLab.IpJson(lab.Client, "addr");
        var ours = run.Result!["interfaces"]!.AsArray();
        Assert.Equal(ip.Count, run.Result!["count"]!.GetValue<int>());
        Assert.Equal(ip.Select(i => i!["ifname"]!.GetValue<string>()).Order(), ours.Select(i => i!["name"]!.GetValue<string>()).Order());
        foreach (var link in ip)
        {
            var name = link!["ifname"]!.GetValue<string>();
            var mine = ours.First(i => i!["name"]!.GetValue<string>() == name)!;
            Assert.Equal(link["mtu"]!.GetValue<int>(), mine["mtu"]!.GetValue<int>());
            Assert.Equal(link["operstate"]!.GetValue<string>().ToLowerInvariant(), mine["state"]!.GetValue<string>());
            Assert.Equal(Cidrs(ip, name).Order(), mine["addresses"]!.AsArray().Select(a => a!["cidr"]!.GetValue<string>()).Order());
            Assert.NotNull(mine["counters"]);
        }
        var one = InClient("net://c0.interfaces");
        Assert.True(one.Ok, one.ToString());
        Assert.Equal("c0", one.Result!["interfaces"]![0]!["name"]!.GetValue<string>());
        var missing = InClient("net://nosuch0.interfaces");
        Assert.Equal("not_found", missing.ErrorCode);
    }

    [Fact]
    public void The_readme_interfaces_table_call_works_as_written()
    {
        var run = ReshBinary.Run("net://.interfaces", "--format", "table");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("NAME", run.Stdout);
        Assert.Contains("lo", run.Stdout);
        Assert.Contains("127.0.0.1/8", run.Stdout);
    }

    [Fact]
    public void Addr_add_and_delete_are_idempotent_honour_dry_run_and_match_ip()
    {
        foreach (var cidr in new[] { "10.231.77.1/24", "fd31:77::1/64" })
        {
            var dry = InClient("net://dum0.addr.add", "address=" + cidr, "--dry-run");
            Assert.True(dry.Ok && dry.Changed, dry.ToString());
            Assert.DoesNotContain(cidr, Cidrs(NetLab.IpJson(lab.Client, "addr"), "dum0"));

            var add = InClient("net://dum0.addr.add", "address=" + cidr);
            Assert.True(add.Ok && add.Changed, add.ToString());
            Assert.Equal("added", add.Result!["action"]!.GetValue<string>());
            Assert.Contains(cidr, Cidrs(NetLab.IpJson(lab.Client, "addr"), "dum0"));

            var again = InClient("net://dum0.addr.add", "address=" + cidr);
            Assert.True(again.Ok && !again.Changed, again.ToString());
            Assert.Equal("present", again.Result!["action"]!.GetValue<string>());

            // Unprivileged: nothing to change is fine, a change is permission_denied with a hint, and nothing changed.
            var nobodySame = NobodyInClient("net://dum0.addr.add", "address=" + cidr);
            Assert.True(nobodySame.Ok && !nobodySame.Changed, nobodySame.ToString());
            var nobodyDelete = NobodyInClient("net://dum0.addr.delete", "address=" + cidr);
            Assert.Equal("permission_denied", nobodyDelete.ErrorCode);
            Assert.Contains("root", nobodyDelete.Envelope["error"]!["hint"]!.GetValue<string>());
            Assert.Contains(cidr, Cidrs(NetLab.IpJson(lab.Client, "addr"), "dum0"));

            var del = InClient("net://dum0.addr.delete", "address=" + cidr);
            Assert.True(del.Ok && del.Changed, del.ToString());
            Assert.DoesNotContain(cidr, Cidrs(NetLab.IpJson(lab.Client, "addr"), "dum0"));
            var delAgain = InClient("net://dum0.addr.delete", "address=" + cidr);
            Assert.True(delAgain.Ok && !delAgain.Changed, delAgain.ToString());
            Assert.Equal("absent", delAgain.Result!["action"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Link_set_changes_state_and_mtu_once_and_matches_ip_link()
    {
        JsonNode Link() => NetLab.IpJson(lab.Client, "link", "show", "dev", "dum0")[0]!;
        var dry = InClient("net://dum0.link.set", "mtu=1300", "state=up", "--dry-run");
        Assert.True(dry.Ok && dry.Changed, dry.ToString());
        Assert.NotEqual(1300, Link()["mtu"]!.GetValue<int>());

        var set = InClient("net://dum0.link.set", "mtu=1300", "state=up");
        Assert.True(set.Ok && set.Changed, set.ToString());
        Assert.Equal(1300, Link()["mtu"]!.GetValue<int>());
        Assert.Contains("UP", Link()["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal("up", set.Result!["state"]!.GetValue<string>());
        Assert.Equal(2, set.Result!["changes"]!.AsArray().Count);

        var again = InClient("net://dum0.link.set", "mtu=1300", "state=up");
        Assert.True(again.Ok && !again.Changed, again.ToString());
        Assert.Empty(again.Result!["changes"]!.AsArray());

        var nobody = NobodyInClient("net://dum0.link.set", "state=down");
        Assert.Equal("permission_denied", nobody.ErrorCode);
        Assert.Contains("UP", Link()["flags"]!.AsArray().Select(f => f!.GetValue<string>()));

        var down = InClient("net://dum0.link.set", "state=down");
        Assert.True(down.Ok && down.Changed, down.ToString());
        Assert.DoesNotContain("UP", Link()["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal("usage", InClient("net://dum0.link.set").ErrorCode);
    }

    [Fact]
    public void Routes_list_add_replace_delete_and_get_match_ip_route()
    {
        var list = InClient("net://.routes", "family=inet");
        Assert.True(list.Ok, list.ToString());
        var ip = NetLab.IpJson(lab.Client, "-4", "route", "show");
        Assert.Equal(ip.Select(r => r!["dst"]!.GetValue<string>()).Order(), list.Result!["routes"]!.AsArray().Select(r => r!["destination"]!.GetValue<string>()).Order());
        var def = list.Result!["routes"]!.AsArray().First(r => r!["destination"]!.GetValue<string>() == "default")!;
        Assert.Equal(NetLab.RouterNear, def["gateway"]!.GetValue<string>());
        Assert.Equal("c0", def["dev"]!.GetValue<string>());

        const string dest = "10.231.50.0/24";
        JsonArray Show() => NetLab.IpJson(lab.Client, "-4", "route", "show", "exact", dest);
        var dry = InClient($"net://{dest}.route.add", "via=" + NetLab.RouterNear, "--dry-run");
        Assert.True(dry.Ok && dry.Changed, dry.ToString());
        Assert.Empty(Show());

        var add = InClient($"net://{dest}.route.add", "via=" + NetLab.RouterNear);
        Assert.True(add.Ok && add.Changed, add.ToString());
        Assert.Equal(NetLab.RouterNear, Show()[0]!["gateway"]!.GetValue<string>());
        var again = InClient($"net://{dest}.route.add", "via=" + NetLab.RouterNear);
        Assert.True(again.Ok && !again.Changed, again.ToString());
        Assert.Equal("present", again.Result!["action"]!.GetValue<string>());

        var nobody = NobodyInClient($"net://{dest}.route.delete");
        Assert.Equal("permission_denied", nobody.ErrorCode);
        Assert.Single(Show());

        // Same destination and metric, other next hop: replaced, as a declarative tool would.
        Tools.Ok("ip", "-n", lab.Client, "link", "set", "dum0", "up");
        var replace = InClient($"net://{dest}.route.add", "dev=dum0");
        Assert.True(replace.Ok && replace.Changed, replace.ToString());
        Assert.Equal("replaced", replace.Result!["action"]!.GetValue<string>());
        Assert.Equal("dum0", Show()[0]!["dev"]!.GetValue<string>());

        var del = InClient($"net://{dest}.route.delete");
        Assert.True(del.Ok && del.Changed, del.ToString());
        Assert.Empty(Show());
        var delAgain = InClient($"net://{dest}.route.delete");
        Assert.True(delAgain.Ok && !delAgain.Changed, delAgain.ToString());

        var get = InClient($"net://{NetLab.ServerIp}.route.get");
        Assert.True(get.Ok, get.ToString());
        var ipGet = NetLab.IpJson(lab.Client, "route", "get", NetLab.ServerIp)[0]!;
        Assert.Equal(ipGet["gateway"]!.GetValue<string>(), get.Result!["gateway"]!.GetValue<string>());
        Assert.Equal(ipGet["dev"]!.GetValue<string>(), get.Result!["dev"]!.GetValue<string>());
        Assert.Equal(ipGet["prefsrc"]!.GetValue<string>(), get.Result!["prefsrc"]!.GetValue<string>());
        Assert.Equal(NetLab.RouterNear, get.Result!["gateway"]!.GetValue<string>());
    }

    [Fact]
    public void Neighbors_show_the_router_with_its_mac_after_traffic()
    {
        NetLab.InNs(lab.Client, "ping", "-c", "1", "-W", "2", NetLab.RouterNear);
        var run = InClient("net://c0.neighbors", "family=inet");
        Assert.True(run.Ok, run.ToString());
        var mac = NetLab.IpJson(lab.Router, "link", "show", "dev", "r0")[0]!["address"]!.GetValue<string>();
        var entry = run.Result!["neighbors"]!.AsArray().First(n => n!["address"]!.GetValue<string>() == NetLab.RouterNear)!;
        Assert.Equal(mac, entry["lladdr"]!.GetValue<string>());
        var ip = NetLab.IpJson(lab.Client, "-4", "neigh", "show", "dev", "c0");
        Assert.Equal(ip.Count, run.Result!["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("net://-x.addr.add", "address=10.0.0.1/24")]
    [InlineData("net://dum0.addr.add", "address=-10.0.0.1")]
    [InlineData("net://dum0.addr.add", "address=10.0.0.1/99")]
    [InlineData("net://a%0Ab.addr.add", "address=10.0.0.1/24")]
    [InlineData("net://-h.route.add", "via=10.231.1.1")]
    [InlineData("net://10.9.0.0/24.route.add", "via=--help")]
    [InlineData("net://10.9.0.0/24.route.add", "dev=-x")]
    [InlineData("net://.routes", "table=-x")]
    [InlineData("net://--help.route.get")]
    [InlineData("net://a%0Ab.route.get")]
    public void Hostile_targets_and_values_are_usage_errors_before_ip_runs(params string[] args)
    {
        var before = Tools.Ok("ip", "-n", lab.Client, "-j", "addr") + Tools.Ok("ip", "-n", lab.Client, "-j", "route");
        var run = InClient(args);
        Assert.Equal("usage", run.ErrorCode);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(before, Tools.Ok("ip", "-n", lab.Client, "-j", "addr") + Tools.Ok("ip", "-n", lab.Client, "-j", "route"));
    }
}
