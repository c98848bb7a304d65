using System.Buffers.Binary;
using System.Diagnostics;
using Resh.Handles.Dns;
using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.DnsTests;

/// <summary>
/// Findings of the issue-13 user and attacker reviews, run by the native binary against the real BIND and dnsmasq of
/// <see cref="DnsBackend"/> (a per-run network namespace with only lo up): the system resolvers come from
/// /etc/resolv.conf (loopback ones included), truncated UDP answers are asked again over TCP, REFUSED is no reverse
/// answer, zone.list keeps TXT bytes, and every message of a multi-message AXFR must carry a valid TSIG.
/// </summary>
[Collection("dns")]
public sealed class DnsResolverAndTransferTests(DnsBackend dns)
{
    static string[] Data(System.Text.Json.Nodes.JsonNode? records) => records!.AsArray().Select(r => r!["data"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void A_query_without_server_uses_the_loopback_nameservers_of_resolv_conf()
    {
        // The namespace has only lo up: a per-interface discovery finds no name server there; dig reads resolv.conf.
        var viaDnsmasq = dns.WithResolver(ReshBinary.Path, "dns://www.example.test.query");
        Assert.True(viaDnsmasq.Ok, viaDnsmasq.ToString());
        Assert.Equal("127.53.0.9:53", viaDnsmasq.Result!["server"]!.GetValue<string>());
        Assert.Equal(["127.0.0.10"], Data(viaDnsmasq.Result!["answer"]));

        // nameserver 127.0.0.1 (BIND itself), with comments and options around it; port= applies to the system's servers.
        var conf = Path.Combine(dns.Dir, $"resolv-{Guid.NewGuid():N}.conf");
        File.WriteAllText(conf, "# written by the test\n; another comment\nsearch example.test\nnameserver 127.0.0.1\noptions ndots:1 timeout:2\n");
        try
        {
            var direct = dns.WithResolvConf(conf, ReshBinary.Path, "dns://www.example.test.query", "port=5353");
            Assert.True(direct.Ok, direct.ToString());
            Assert.Equal("127.0.0.1:5353", direct.Result!["server"]!.GetValue<string>());
            Assert.True(direct.Result!["flags"]!["aa"]!.GetValue<bool>());
            Assert.Equal(["127.0.0.10"], Data(direct.Result!["answer"]));
            var dig = dns.WithResolvConf(conf, "dig", "+short", "+time=2", "+tries=1", "-p", "5353", "www.example.test");
            Assert.Equal("127.0.0.10", dig.Stdout.Trim());

            // options timeout:1 attempts:1 bound the wait for a silent server as they bound dig's and the C library's.
            File.WriteAllText(conf, "nameserver 127.0.0.77#silent\noptions timeout:1 attempts:1\n");
            var silent = dns.WithResolvConf(conf, "sh", "-c",
                "m=$(mktemp -u); timeout 8 python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((\"127.0.0.77\",53)); open(sys.argv[1],\"w\").close(); time.sleep(7)' \"$m\" >/dev/null 2>&1 & " +
                "for i in $(seq 1 50); do [ -e \"$m\" ] && break; sleep 0.1; done; rm -f \"$m\"; exec \"$0\" \"$@\"", ReshBinary.Path, "dns://www.example.test.query");
            Assert.Equal("timeout", silent.ErrorCode);
            Assert.Contains("(1 try of 1 s, UDP)", silent.Envelope["error"]!["message"]!.GetValue<string>());

            File.WriteAllText(conf, "# no nameserver line\nsearch example.test\n");
            var none = dns.WithResolvConf(conf, ReshBinary.Path, "dns://www.example.test.query");
            Assert.Equal("unavailable", none.ErrorCode);
            Assert.Contains("lists none", none.Envelope["error"]!["message"]!.GetValue<string>());
        }
        finally { File.Delete(conf); }
    }

    [Fact]
    public void A_truncated_udp_answer_is_asked_again_over_tcp_and_says_so()
    {
        // 40 A records do not fit a 512-byte answer: BIND sets TC, and dig retries over TCP.
        var plain = dns.Resh("dns://many.example.test.query", $"server={dns.Server}", "edns=false");
        Assert.True(plain.Ok, plain.ToString());
        Assert.Equal("tcp", plain.Result!["protocol"]!.GetValue<string>());
        Assert.False(plain.Result!["flags"]!["tc"]!.GetValue<bool>());
        Assert.Equal(40, plain.Result!["answer"]!.AsArray().Count);
        Assert.Equal(dns.Short("many.example.test", "A"), Data(plain.Result!["answer"]));
        var dig = string.Join('\n', dns.Dig("+noedns", "-p", "5353", "@127.0.0.1", "many.example.test", "A"));
        Assert.Contains("Truncated, retrying in TCP mode", dig);

        // With EDNS (1232 bytes) the answer fits over UDP.
        var edns = dns.Resh("dns://many.example.test.query", $"server={dns.Server}");
        Assert.True(edns.Ok, edns.ToString());
        Assert.Equal("udp", edns.Result!["protocol"]!.GetValue<string>());
        Assert.Equal(40, edns.Result!["answer"]!.AsArray().Count);
    }

    [Fact]
    public void Reverse_refused_by_the_server_is_an_error_not_no_names()
    {
        // BIND serves no ip6.arpa zone and does not recurse: it answers REFUSED, which says nothing about the address.
        var status = string.Join('\n', dns.Dig("-p", "5353", "@127.0.0.1", "-x", "fd00::10"));
        Assert.Contains("status: REFUSED", status);
        var r = dns.Resh("dns://fd00::10.reverse", $"server={dns.Server}");
        Assert.False(r.Ok, r.ToString());
        Assert.Equal("permission_denied", r.ErrorCode);
        Assert.Equal("REFUSED", r.Envelope["error"]!["details"]!["rcode"]!.GetValue<string>());

        // NXDOMAIN is still data: no names.
        var none = dns.Resh("dns://127.0.0.99.reverse", $"server={dns.Server}");
        Assert.True(none.Ok, none.ToString());
        Assert.Equal("NXDOMAIN", none.Result!["rcode"]!.GetValue<string>());
    }

    [Fact]
    public void Zone_list_prints_txt_bytes_as_dig_and_query_do()
    {
        var list = dns.Resh("dns://example.test.zone.list", $"server={dns.Server}", $"key_file={dns.KeyFile}", "type=TXT");
        Assert.True(list.Ok, list.ToString());
        var odd = list.Result!["records"]!.AsArray().Single(x => x!["name"]!.GetValue<string>() == "odd.example.test.")!["data"]!.GetValue<string>();
        Assert.Equal("\"a\\000b\\255c\"", odd);
        var query = dns.Resh("dns://odd.example.test.query", "type=TXT", $"server={dns.Server}");
        Assert.Equal(odd, Data(query.Result!["answer"]).Single());
        var dig = dns.Dig("-k", dns.KeyFile, "-p", "5353", "@127.0.0.1", "example.test", "AXFR", "+noall", "+answer").Single(l => l.StartsWith("odd.example.test.", StringComparison.Ordinal));
        Assert.EndsWith(odd, dig);
        Assert.Contains(list.Result!["records"]!.AsArray(), x => x!["data"]!.GetValue<string>() == "\"hello world\"");
    }

    /// <summary>
    /// A TCP proxy on the host's loopback in front of BIND inside the namespace (the upstream leg is `nc` run in the
    /// namespace): every message BIND sends back passes through <paramref name="alter"/> (1-based index).
    /// </summary>
    sealed class AxfrProxy : IDisposable
    {
        readonly LoopbackServer _server;
        int _messages;
        public int Messages => Volatile.Read(ref _messages);
        public int Port => _server.Port;

        public AxfrProxy(DnsBackend dns, Func<int, byte[], byte[]> alter)
        {
            _server = new LoopbackServer(async (client, ct) =>
            {
                var psi = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
                foreach (var a in new[] { "netns", "exec", dns.Netns, "nc", "127.0.0.1", DnsBackend.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
                    psi.ArgumentList.Add(a);
                using var nc = Process.Start(psi)!;
                try
                {
                    var upstream = nc.StandardInput.BaseStream;
                    var downstream = nc.StandardOutput.BaseStream;
                    _ = Task.Run(async () =>
                    {
                        var buf = new byte[4096];
                        int n;
                        while ((n = await client.ReadAsync(buf, ct)) > 0)
                        {
                            await upstream.WriteAsync(buf.AsMemory(0, n), ct);
                            await upstream.FlushAsync(ct);
                        }
                    }, ct);
                    var len = new byte[2];
                    while (true)
                    {
                        await downstream.ReadExactlyAsync(len, ct);
                        var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(len)];
                        await downstream.ReadExactlyAsync(message, ct);
                        var sent = alter(Interlocked.Increment(ref _messages), message);
                        var framed = new byte[sent.Length + 2];
                        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)sent.Length);
                        sent.CopyTo(framed, 2);
                        await client.WriteAsync(framed, ct);
                    }
                }
                finally
                {
                    try { nc.Kill(); nc.WaitForExit(5000); } catch (InvalidOperationException) { }
                }
            });
        }

        public void Dispose() => _server.Dispose();
    }

    ReshRun ListBig(AxfrProxy proxy) =>
        ReshBinary.Run(["dns://big.test.zone.list", $"server=127.0.0.1:{proxy.Port}", $"key_file={dns.KeyFile}", "type=A", "timeout=30s"], wait: TimeSpan.FromSeconds(120));

    [Fact]
    public void Every_message_of_a_multi_message_transfer_is_verified()
    {
        // Untouched: BIND splits the 20,000-record zone into many messages and signs each; the whole chain verifies.
        using (var pass = new AxfrProxy(dns, (_, m) => m))
        {
            var ok = ListBig(pass);
            Assert.True(ok.Ok, ok.ToString());
            Assert.Equal(20000, ok.Result!["count"]!.GetValue<int>());
            Assert.True(ok.Result!["signed"]!.GetValue<bool>());
            Assert.True(pass.Messages > 2, $"BIND sent {pass.Messages} messages");
        }

        // One bit of an A record in the second message changed on the path: its MAC no longer verifies.
        using (var tamper = new AxfrProxy(dns, (i, m) =>
        {
            if (i != 2) return m;
            var a = DnsWire.Parse(m)!.Records.First(r => r.Section == 1 && r.Type == 1);
            m[a.DataStart + 3] ^= 1;
            return m;
        }))
        {
            var r = ListBig(tamper);
            Assert.Equal("failed", r.ErrorCode);
            var details = r.Envelope["error"]!["details"]!;
            Assert.Equal("BADSIG", details["tsig"]!.GetValue<string>());
            Assert.Equal(2, details["message"]!.GetValue<int>());
            Assert.DoesNotContain("\"records\"", r.Stdout);
        }

        // The second message with its TSIG cut off (unsigned): refused as well, not merged into the listing.
        using (var strip = new AxfrProxy(dns, (i, m) =>
        {
            if (i != 2) return m;
            var tsig = DnsWire.Parse(m)!.Records[^1];
            Assert.Equal(250, tsig.Type);
            var cut = m.AsSpan(0, tsig.Start).ToArray();
            BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(10), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(cut.AsSpan(10)) - 1));
            return cut;
        }))
        {
            var r = ListBig(strip);
            Assert.Equal("failed", r.ErrorCode);
            var details = r.Envelope["error"]!["details"]!;
            Assert.Equal("missing", details["tsig"]!.GetValue<string>());
            Assert.Equal(2, details["message"]!.GetValue<int>());
        }
    }
}
