using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.DnsTests;

/// <summary>dns:// read verbs, run by the native binary against the real BIND and dnsmasq of <see cref="DnsBackend"/>, compared with dig and getent.</summary>
[Collection("dns")]
public sealed class DnsQueryTests(DnsBackend dns)
{
    static string[] Data(JsonNode? records) => records!.AsArray().Select(r => r!["data"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void The_issue_mx_call_works_as_written_and_matches_dig()
    {
        var r = dns.Resh("dns://example.test.query(type=MX,server=127.0.0.1:5353)");
        Assert.True(r.Ok, r.ToString());
        var res = r.Result!;
        Assert.Equal("example.test.", res["name"]!.GetValue<string>());
        Assert.Equal("MX", res["type"]!.GetValue<string>());
        Assert.Equal("NOERROR", res["rcode"]!.GetValue<string>());
        Assert.Equal("127.0.0.1:5353", res["server"]!.GetValue<string>());
        Assert.True(res["flags"]!["aa"]!.GetValue<bool>());
        Assert.Equal(dns.Short("example.test", "MX"), Data(res["answer"]));
        Assert.Equal(["10 mail.example.test.", "20 mail2.example.test."], Data(res["answer"]));
        Assert.All(res["answer"]!.AsArray(), a => Assert.Equal(300, a!["ttl_seconds"]!.GetValue<long>()));
    }

    [Fact]
    public void Sections_come_back_as_data_over_tcp_without_edns_or_recursion()
    {
        var r = dns.Resh("dns://example.test.query", "type=NS", $"server={dns.Server}", "tcp=true", "edns=false", "recurse=false");
        Assert.True(r.Ok, r.ToString());
        var res = r.Result!;
        Assert.Equal("tcp", res["protocol"]!.GetValue<string>());
        Assert.False(res["edns"]!.GetValue<bool>());
        Assert.False(res["flags"]!["rd"]!.GetValue<bool>());
        Assert.Equal(["ns1.example.test.", "ns2.example.test."], Data(res["answer"]));
        var additional = res["additional"]!.AsArray().Select(a => $"{a!["name"]} {a["type"]} {a["data"]}").ToList();
        Assert.Contains("ns1.example.test. A 127.0.0.1", additional);
        Assert.Contains("ns2.example.test. A 127.53.0.2", additional);
    }

    [Fact]
    public void A_missing_name_is_nxdomain_data_with_the_soa_in_authority()
    {
        var r = dns.Resh("dns://nope.example.test.query", $"server={dns.Server}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("NXDOMAIN", r.Result!["rcode"]!.GetValue<string>());
        Assert.Empty(r.Result!["answer"]!.AsArray());
        Assert.Equal("SOA", r.Result!["authority"]![0]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Aaaa_srv_and_cname_answers_match_dig()
    {
        foreach (var (name, type) in new[] { ("www.example.test", "AAAA"), ("_sip._tcp.example.test", "SRV"), ("alias.example.test", "CNAME"), ("txt.example.test", "TXT") })
        {
            var r = dns.Resh($"dns://{name}.query", $"type={type}", $"server={dns.Server}");
            Assert.True(r.Ok, r.ToString());
            Assert.Equal(dns.Short(name, type), Data(r.Result!["answer"]));
        }
    }

    [Fact]
    public void Odd_bytes_in_an_answer_stay_escaped_in_valid_json()
    {
        var r = dns.Resh("dns://odd.example.test.query", "type=TXT", $"server={dns.Server}");
        Assert.True(r.Ok, r.ToString());
        var data = Data(r.Result!["answer"]).Single();
        Assert.DoesNotContain('\0', data);
        Assert.Contains("\\000", data);
    }

    [Theory]
    [InlineData("dns://a\u0001b.example.test.query", "control byte 0x01")]
    [InlineData("dns://caf\u00e9.example.test.query", "non-ASCII")]
    [InlineData("dns://a b.example.test.query", "` `")]
    [InlineData("dns://a..example.test.query", "empty label")]
    public void Names_with_odd_bytes_are_refused_before_anything_is_sent(string stage, string why)
    {
        var r = dns.Resh(stage, $"server={dns.Server}");
        Assert.False(r.Ok, r.ToString());
        Assert.Equal("usage", r.ErrorCode);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(why, r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void A_label_over_63_bytes_is_refused()
    {
        var r = dns.Resh($"dns://{new string('a', 64)}.example.test.query", $"server={dns.Server}");
        Assert.Equal("usage", r.ErrorCode);
        Assert.Contains("at most 63", r.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void A_server_that_does_not_answer_is_a_timeout_not_a_hang()
    {
        var r = dns.Resh("dns://example.test.query", "server=127.53.0.1:9", "timeout=1s");
        Assert.False(r.Ok, r.ToString());
        Assert.Contains(r.ErrorCode, new[] { "timeout", "unavailable" });
    }

    [Fact]
    public void An_unprivileged_user_can_query()
    {
        var r = dns.AsNobody("dns://www.example.test.query", $"server={dns.Server}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(["127.0.0.10"], Data(r.Result!["answer"]));
    }

    [Fact]
    public void Resolve_uses_the_system_resolver_like_getent()
    {
        foreach (var name in new[] { "www.example.test", "db1.resolver.test" })
        {
            var r = dns.WithResolver(ReshBinary.Path, $"dns://{name}.resolve", "family=inet");
            Assert.True(r.Ok, r.ToString());
            Assert.True(r.Result!["found"]!.GetValue<bool>());
            var getent = dns.WithResolver("getent", "ahostsv4", name);
            Assert.Equal(0, getent.ExitCode);
            var expected = getent.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).Distinct().Order().ToArray();
            Assert.Equal(expected, r.Result!["addresses"]!.AsArray().Select(a => a!["address"]!.GetValue<string>()).Order().ToArray());
        }
        var missing = dns.WithResolver(ReshBinary.Path, "dns://nosuch.resolver.test.resolve");
        Assert.True(missing.Ok, missing.ToString());
        Assert.False(missing.Result!["found"]!.GetValue<bool>());
    }

    [Fact]
    public void Reverse_gives_the_ptr_names_dig_x_gives()
    {
        var r = dns.Resh("dns://127.0.0.10.reverse", $"server={dns.Server}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("10.0.0.127.in-addr.arpa.", r.Result!["ptr_name"]!.GetValue<string>());
        var dig = dns.Dig("+short", "-p", "5353", "@127.0.0.1", "-x", "127.0.0.10");
        Assert.Equal(dig, r.Result!["names"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray());
        Assert.Equal(["www.example.test."], dig);
        var none = dns.Resh("dns://127.0.0.99.reverse", $"server={dns.Server}");
        Assert.True(none.Ok, none.ToString());
        Assert.Empty(none.Result!["names"]!.AsArray());
    }

    [Fact]
    public void Trace_follows_the_delegations_from_the_configured_root()
    {
        var r = dns.Resh("dns://www.example.test.trace", "roots=127.53.0.1:5353");
        Assert.True(r.Ok, r.ToString());
        var res = r.Result!;
        Assert.True(res["resolved"]!.GetValue<bool>());
        var steps = res["steps"]!.AsArray();
        Assert.Equal(3, steps.Count);
        Assert.Equal("127.53.0.1:5353", steps[0]!["server"]!.GetValue<string>());
        Assert.Equal("test.", steps[0]!["referral"]!.GetValue<string>());
        Assert.Equal("127.53.0.3:5353", steps[1]!["server"]!.GetValue<string>());
        Assert.Equal("example.test.", steps[1]!["referral"]!.GetValue<string>());
        Assert.True(steps[2]!["authoritative"]!.GetValue<bool>());
        Assert.Equal(["127.0.0.10"], Data(res["answer"]));
    }

    [Fact]
    public void Check_agrees_on_a_consistent_zone_and_fails_on_differing_serials()
    {
        var ok = dns.Resh("dns://calm.test.check", $"server={dns.Server}");
        Assert.True(ok.Ok, ok.ToString());
        Assert.True(ok.Result!["consistent"]!.GetValue<bool>());
        Assert.Equal([7L], ok.Result!["serials"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray());
        Assert.Equal(2, ok.Result!["servers"]!.AsArray().Count);

        var stale = dns.Resh("dns://stale.test.check", $"server={dns.Server}");
        Assert.False(stale.Ok, stale.ToString());
        Assert.Equal("failed", stale.ErrorCode);
        Assert.Contains("serials differ", stale.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal([1L, 2L], stale.Envelope["error"]!["details"]!["serials"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray());
    }

    [Fact]
    public void Zone_list_transfers_the_zone_with_tsig_as_dig_does()
    {
        var r = dns.Resh("dns://example.test.zone.list", $"server={dns.Server}", $"key_file={dns.KeyFile}");
        Assert.True(r.Ok, r.ToString());
        var res = r.Result!;
        Assert.True(res["signed"]!.GetValue<bool>());
        var dig = dns.Dig("-k", dns.KeyFile, "-p", "5353", "@127.0.0.1", "example.test", "AXFR", "+noall", "+answer")
            .Where(l => !l.StartsWith(';')).ToList();
        Assert.Equal(dig.Count - 1, res["count"]!.GetValue<int>()); // dig prints the closing SOA again
        Assert.Equal(dns.Serial("example.test"), res["serial"]!.GetValue<long>());
        Assert.Contains(res["records"]!.AsArray(), x => x!["name"]!.GetValue<string>() == "www.example.test." && x["type"]!.GetValue<string>() == "A" && x["data"]!.GetValue<string>() == "127.0.0.10");
    }

    [Fact]
    public void Zone_list_without_the_key_is_refused()
    {
        var r = dns.Resh("dns://example.test.zone.list", $"server={dns.Server}");
        Assert.False(r.Ok, r.ToString());
        Assert.Equal("permission_denied", r.ErrorCode);
    }

    [Fact]
    public void A_huge_zone_transfer_is_bounded_by_max_bytes()
    {
        var cut = dns.Resh("dns://big.test.zone.list", $"server={dns.Server}", $"key_file={dns.KeyFile}", "max_bytes=64KiB");
        Assert.False(cut.Ok, cut.ToString());
        Assert.Equal("failed", cut.ErrorCode);
        Assert.True(cut.Envelope["error"]!["details"]!["received_bytes"]!.GetValue<long>() <= 64 * 1024 + 65535);

        var whole = dns.Resh("dns://big.test.zone.list", $"server={dns.Server}", $"key_file={dns.KeyFile}", "type=A");
        Assert.True(whole.Ok, whole.ToString());
        Assert.Equal(20000, whole.Result!["count"]!.GetValue<int>());
    }
    [Fact]
    public void A_key_file_that_is_not_a_regular_file_is_refused_without_reading_it()
    {
        // Attacker review s27: the 64 KiB cap came from the size stat reports (0 for /dev/zero), so key_file=/dev/zero
        // read without end; a FIFO blocked. Both are refused now, and a key file is read at most 64 KiB.
        var fifo = Path.Combine(Path.GetTempPath(), $"resh-key-fifo-{Guid.NewGuid():N}");
        Resh.Handles.Tests.FileScheme.Tool.Ok("mkfifo", fifo);
        try
        {
            foreach (var bad in new[] { "/dev/zero", fifo })
            {
                var r = dns.Resh("dns://_x.example.test", "record.add", "type=TXT", "value=\"a\"", $"server={dns.Server}", $"key_file={bad}", "--dry-run", "--timeout", "20s");
                Assert.True(r.ErrorCode == "usage", r.ToString());
                Assert.Contains("not a regular file", r.ToString());
            }
        }
        finally { File.Delete(fifo); }
    }
}
