using System.Globalization;
using Resh.Handles.Tests.Sys;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Network;

/// <summary>
/// The findings of issue 13's user review about net:// (D15, D19, D22, D23), run through the native binary in the
/// lab's namespaces (D18, the ping fallback, is in <see cref="NetReachTests"/>).
/// </summary>
[Collection("netlab")]
public sealed class NetReviewFixTests(NetLab lab)
{
    ReshRun InClient(params string[] args) => Tools.Resh(lab.In(lab.Client), args);
    ReshRun NobodyInClient(params string[] args) => Tools.Resh(lab.AsNobodyIn(lab.Client), args);

    static List<string> Cidrs(string ns, string dev) =>
        NetLab.IpJson(ns, "addr", "show", "dev", dev)[0]!["addr_info"]!.AsArray().Select(a => $"{a!["local"]}/{a["prefixlen"]}").ToList();

    [Fact]
    public void Tcp_to_a_filtered_port_is_a_timeout_saying_no_answer_and_takes_timeout_as_its_argument()
    {
        var port = NetLab.FreePortIn(lab.Server).ToString(CultureInfo.InvariantCulture);
        var table = "reshdrop" + port;
        // A firewall in the server's namespace (ours, deleted with it) drops the SYNs to that port: no answer at all.
        Assert.Equal(0, NetLab.InNs(lab.Server, "nft", "add", "table", "inet", table).Exit);
        try
        {
            Assert.Equal(0, NetLab.InNs(lab.Server, "nft", "add", "chain", "inet", table, "input", "{ type filter hook input priority 0 ; }").Exit);
            Assert.Equal(0, NetLab.InNs(lab.Server, "nft", "add", "rule", "inet", table, "input", "tcp", "dport", port, "drop").Exit);
            var r = InClient($"net://{NetLab.ServerIp}:{port}.tcp", "timeout=1s");
            Assert.Equal("timeout", r.ErrorCode);
            Assert.Contains("No answer", r.Envelope["error"]!["message"]!.GetValue<string>());
            Assert.Contains("filtered", r.Envelope["error"]!["message"]!.GetValue<string>());
            Assert.Equal("timeout", r.Envelope["error"]!["details"]!["attempts"]![0]!["outcome"]!.GetValue<string>());
            Assert.True(r.Envelope["duration_ms"]!.GetValue<double>() < 4000, r.ToString()); // timeout=1s was used, not the 5 s default

            // connect_timeout= stays as an alias; a refused port is still unavailable.
            Assert.Equal("timeout", InClient($"net://{NetLab.ServerIp}:{port}.tcp", "connect_timeout=1s").ErrorCode);
            Assert.Equal("unavailable", InClient($"net://{NetLab.ServerIp}.tcp", "port=9", "timeout=1s").ErrorCode);
        }
        finally
        {
            NetLab.InNs(lab.Server, "nft", "delete", "table", "inet", table);
        }
    }

    [Fact]
    public void Link_set_mtu_is_checked_against_the_interfaces_own_limits()
    {
        // lo has no upper bound of its own (its default is 65536): setting it back to 65536 works, as with ip link set.
        NetLab.Ip("-n", lab.Client, "link", "set", "lo", "mtu", "1500");
        try
        {
            var r = InClient("net://lo.link.set", "mtu=65536");
            Assert.True(r.Ok && r.Changed, r.ToString());
            Assert.Equal(65536, NetLab.IpJson(lab.Client, "link", "show", "dev", "lo")[0]!["mtu"]!.GetValue<int>());
        }
        finally
        {
            NetLab.Ip("-n", lab.Client, "link", "set", "lo", "mtu", "65536");
        }
        // A veth's kernel limit is 65535: 65536 is a usage error naming the range, and nothing changes.
        var before = NetLab.IpJson(lab.Client, "link", "show", "dev", "dum0")[0]!["mtu"]!.GetValue<int>();
        var tooBig = InClient("net://dum0.link.set", "mtu=65536");
        Assert.Equal("usage", tooBig.ErrorCode);
        Assert.Contains("68 to 65535", tooBig.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(before, NetLab.IpJson(lab.Client, "link", "show", "dev", "dum0")[0]!["mtu"]!.GetValue<int>());
    }

    [Fact]
    public void A_dry_run_of_an_unprivileged_change_predicts_permission_denied()
    {
        var add = NobodyInClient("net://dum0.addr.add", "address=10.231.78.1/24", "--dry-run");
        Assert.Equal("permission_denied", add.ErrorCode);
        Assert.Contains("real run would be refused", add.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("--dry-run", add.Envelope["error"]!["hint"]!.GetValue<string>());
        var link = NobodyInClient("net://dum0.link.set", "mtu=1400", "--dry-run");
        Assert.Equal("permission_denied", link.ErrorCode);
        var route = NobodyInClient("net://10.231.79.0/24.route.add", "via=" + NetLab.RouterNear, "--dry-run");
        Assert.Equal("permission_denied", route.ErrorCode);
        // As root the dry run still says what would change.
        var root = InClient("net://dum0.addr.add", "address=10.231.78.1/24", "--dry-run");
        Assert.True(root.Ok && root.Changed, root.ToString());
    }

    [Fact]
    public void Addr_delete_without_a_prefix_deletes_the_address_with_its_own_prefix_and_warns()
    {
        NetLab.Ip("-n", lab.Client, "addr", "add", "10.231.80.5/16", "dev", "dum0");
        try
        {
            // A prefix that does not match: nothing deleted, a warning names the prefix it has.
            var wrong = InClient("net://dum0.addr.delete", "address=10.231.80.5/24");
            Assert.True(wrong.Ok && !wrong.Changed, wrong.ToString());
            Assert.Contains(wrong.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("/16"));
            Assert.Contains("10.231.80.5/16", Cidrs(lab.Client, "dum0"));

            var dry = InClient("net://dum0.addr.delete", "address=10.231.80.5", "--dry-run");
            Assert.True(dry.Ok && dry.Changed, dry.ToString());
            Assert.Contains("10.231.80.5/16", Cidrs(lab.Client, "dum0"));

            var r = InClient("net://dum0.addr.delete", "address=10.231.80.5");
            Assert.True(r.Ok && r.Changed, r.ToString());
            Assert.Equal("10.231.80.5/16", r.Result!["address"]!.GetValue<string>());
            Assert.Equal("deleted", r.Result!["action"]!.GetValue<string>());
            Assert.Contains(r.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("no prefix"));
            Assert.DoesNotContain("10.231.80.5/16", Cidrs(lab.Client, "dum0"));

            var again = InClient("net://dum0.addr.delete", "address=10.231.80.5");
            Assert.True(again.Ok && !again.Changed, again.ToString());
        }
        finally
        {
            NetLab.InNs(lab.Client, "ip", "addr", "del", "10.231.80.5/16", "dev", "dum0");
        }
    }
}
