using System.Net;
using System.Net.Sockets;
using Resh.Core.Endpoints;
using Resh.Surfaces.Serve.Identity;
using Resh.Surfaces.Serve.Identity.Ldap;
using Xunit;

namespace Resh.Core.Tests.Surfaces;

/// <summary>
/// The small LDAPv3 client of resh serve's logins: BER and filter encoding checked byte for byte against RFC 4511
/// examples, escaping of user input (RFC 4515, RFC 4514), and hostile servers (lengths over the limit, indefinite
/// lengths, cut-off replies, replies that never end) answered with <see cref="LdapProtocolException"/> or a timeout,
/// never a hang or a large allocation. The real-server tests are ServeLdapTests (slapd).
/// </summary>
public sealed class ServeLdapClientTests
{
    [Fact]
    public void Filters_encode_as_rfc_4511_says()
    {
        // (uid=alice): equalityMatch [3] { "uid", "alice" }
        Assert.Equal("a30c0403756964040561 6c696365".Replace(" ", ""), Convert.ToHexStringLower(LdapFilter.Encode("(uid=alice)")));
        // (objectClass=*): present [7] "objectClass"
        Assert.Equal("870b6f626a656374436c617373", Convert.ToHexStringLower(LdapFilter.Encode("(objectClass=*)")));
        // An escaped star is a value byte, not a substring filter.
        Assert.Equal("a3080403756964040" + "12a", Convert.ToHexStringLower(LdapFilter.Encode(@"(uid=\2a)")));
        var and = LdapFilter.Encode("(&(objectClass=person)(|(uid=a)(cn=b*c)))");
        Assert.Equal(0xA0, and[0]);
        Assert.Contains((byte)0xA4, and); // substrings
        Assert.Contains((byte)0xA1, and); // or
        foreach (var bad in new[] { "(uid=a", "uid=a)", "(=a)", "(uid=a)(x=y)", "(&)", "(uid=\\2)", "(uid=a(b)", "(u d=a)", new string('(', 100) + "a=b" + new string(')', 100) })
            Assert.Throws<FormatException>(() => LdapFilter.Encode(bad));
    }

    [Fact]
    public void User_input_is_escaped_for_filters_and_dns()
    {
        Assert.Equal(@"\2a", LdapFilter.Escape("*"));
        Assert.Equal(@"alice\29\28uid=\2a", LdapFilter.Escape("alice)(uid=*"));
        Assert.Equal(@"a\5cb\00", LdapFilter.Escape("a\\b\0"));
        Assert.Equal(@"\c3\a9", LdapFilter.Escape("é"));
        // Escaped values always parse back as one equality item.
        foreach (var v in new[] { "*", ")(", "\0", "a*b", "(|(uid=*))", "\\" })
            Assert.Equal(0xA3, LdapFilter.Encode("(uid=" + LdapFilter.Escape(v) + ")")[0]);
        Assert.Equal(@"a\2cou\3dadmins", LdapLogin.EscapeDn("a,ou=admins"));
        Assert.Equal(@"\23x\2b\20", LdapLogin.EscapeDn("#x+ ").Replace("\\20", "\\20"));
        Assert.Equal("cn=ops,ou=groups,dc=example,dc=com", LdapLogin.NormalizeDn("CN=ops, OU=Groups ,dc = example,DC=com"));
    }

    [Fact]
    public void Ber_reads_are_bounded_by_the_bytes_at_hand()
    {
        byte[] ok = [0x30, 0x03, 0x02, 0x01, 0x07];
        var (e, used) = Ber.Read(ok, ok);
        Assert.Equal((5, 7L), (used, e.Children()[0].Integer()));
        Assert.Throws<LdapProtocolException>(() => Ber.Read([0x30, 0x05, 0x02, 0x01], new byte[4])); // longer than its container
        Assert.Throws<LdapProtocolException>(() => Ber.Read([0x30, 0x80, 0, 0], new byte[4])); // indefinite
        Assert.Throws<LdapProtocolException>(() => Ber.Read([0x30, 0x85, 1, 0, 0, 0, 0], new byte[7])); // 5 length bytes
        Assert.Throws<LdapProtocolException>(() => Ber.Read([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff], new byte[6])); // 2 GiB
        Assert.Throws<LdapProtocolException>(() => Ber.Read([0x1f, 0x01, 0x00], new byte[3])); // multi-byte tag
        Assert.Throws<LdapProtocolException>(() => new BerElement(0x02, new byte[9]).Integer());
        Assert.Equal(-1L, new BerElement(0x02, new byte[] { 0xff }).Integer());
        Assert.Equal("020100", Convert.ToHexStringLower(Ber.Int(0)));
        Assert.Equal("02020080", Convert.ToHexStringLower(Ber.Int(128)));
        Assert.Equal("0201ff", Convert.ToHexStringLower(Ber.Int(-1)));
        Assert.Equal("0482012c", Convert.ToHexStringLower(Ber.Str(new string('a', 300)))[..8]);
    }

    /// <summary>A one-shot fake server: accepts one connection, reads what the client sends, answers <paramref name="reply"/>, keeps it open.</summary>
    static async Task<(int Port, Task Server)> FakeAsync(byte[] reply, bool close = false)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var s = await listener.AcceptSocketAsync();
            listener.Stop();
            var buf = new byte[4096];
            await s.ReceiveAsync(buf);
            await s.SendAsync(reply);
            if (close) { s.Shutdown(SocketShutdown.Both); return; }
            try { await s.ReceiveAsync(buf, new CancellationTokenSource(3000).Token); } catch (OperationCanceledException) { }
        });
        await Task.Yield();
        return (port, server);
    }

    static async Task<Exception?> BindAgainst(byte[] reply, bool close = false)
    {
        var (port, server) = await FakeAsync(reply, close);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await using var c = await LdapClient.ConnectAsync(new Uri($"ldap://127.0.0.1:{port}"), false, TlsTrust.Create(null, false), cts.Token);
            await c.BindAsync("uid=a", "pw"u8.ToArray(), cts.Token);
            return null;
        }
        catch (Exception e) { return e; }
        finally { await server.WaitAsync(TimeSpan.FromSeconds(5)); }
    }

    static byte[] BindResponse(int code, int id = 1) =>
        Ber.Tlv(Ber.Sequence, Ber.Int(id), Ber.Tlv(Ber.Application(1), Ber.Int(code, Ber.Enumerated), Ber.Str(""), Ber.Str("diag")));

    [Fact]
    public async Task Bind_results_and_hostile_replies()
    {
        Assert.Null(await BindAgainst(BindResponse(0)));
        var wrong = await BindAgainst(BindResponse(49));
        Assert.Equal(49, Assert.IsType<LdapResultException>(wrong).Code);
        // A reply to another message id first is skipped; then the real one.
        Assert.Null(await BindAgainst([.. BindResponse(0, 7), .. BindResponse(0)]));
        // 2 GiB announced: refused before any allocation.
        Assert.IsType<LdapProtocolException>(await BindAgainst([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02]));
        // Indefinite length, not a SEQUENCE, a notice of disconnection, a cut-off reply.
        Assert.IsType<LdapProtocolException>(await BindAgainst([0x30, 0x80, 0x02, 0x01, 0x01, 0, 0]));
        Assert.IsType<LdapProtocolException>(await BindAgainst([0x04, 0x01, 0x00]));
        Assert.IsType<LdapProtocolException>(await BindAgainst(BindResponse(52, 0)));
        Assert.IsType<LdapProtocolException>(await BindAgainst(BindResponse(0)[..6], close: true));
        // A reply whose op is not a bind response.
        Assert.IsType<LdapProtocolException>(await BindAgainst(Ber.Tlv(Ber.Sequence, Ber.Int(1), Ber.Tlv(Ber.Application(5), Ber.Int(0, Ber.Enumerated), Ber.Str(""), Ber.Str("")))));
        // A server that never answers: the deadline ends it.
        Assert.IsAssignableFrom<OperationCanceledException>(await BindAgainst([]));
    }

    [Fact]
    public async Task Replies_larger_than_a_login_needs_are_refused_in_all_not_only_per_message()
    {
        // s38 attacker #9: three entries of 900 KiB each (every message under the 1 MiB limit): 2.7 MB for one login.
        var big = new string('g', 900 * 1024);
        byte[] Entry(int n) => Ber.Tlv(Ber.Sequence, Ber.Int(1), Ber.Tlv(Ber.Application(4), Ber.Str($"cn=g{n}"),
            Ber.Tlv(Ber.Sequence, Ber.Tlv(Ber.Sequence, Ber.Str("memberOf"), Ber.Tlv(Ber.Set, Ber.Str(big))))));
        byte[] done = Ber.Tlv(Ber.Sequence, Ber.Int(1), Ber.Tlv(Ber.Application(5), Ber.Int(0, Ber.Enumerated), Ber.Str(""), Ber.Str("")));
        var (port, server) = await FakeAsync([.. Entry(1), .. Entry(2), .. Entry(3), .. done]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using (var c = await LdapClient.ConnectAsync(new Uri($"ldap://127.0.0.1:{port}"), false, TlsTrust.Create(null, false), cts.Token))
        {
            var e = await Assert.ThrowsAsync<LdapProtocolException>(() => c.SearchAsync("uid=a", 0, "(objectClass=*)", ["memberOf"], cts.Token));
            Assert.Contains("MiB", e.Message);
        }
        await Task.WhenAny(server, Task.Delay(TimeSpan.FromSeconds(10))); // its send of the rest fails once the client has gone
        // One entry of the same size is still read (a login's replies are far smaller, but one large group list is fine).
        (port, server) = await FakeAsync([.. Entry(1), .. done]);
        await using (var c = await LdapClient.ConnectAsync(new Uri($"ldap://127.0.0.1:{port}"), false, TlsTrust.Create(null, false), cts.Token))
            Assert.Single(await c.SearchAsync("uid=a", 0, "(objectClass=*)", ["memberOf"], cts.Token));
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_empty_password_is_never_sent_as_a_bind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var (port, server) = await FakeAsync(BindResponse(0));
        await using (var c = await LdapClient.ConnectAsync(new Uri($"ldap://127.0.0.1:{port}"), false, TlsTrust.Create(null, false), cts.Token))
            Assert.Equal(49, (await Assert.ThrowsAsync<LdapResultException>(() => c.BindAsync("uid=a", ReadOnlyMemory<byte>.Empty, cts.Token))).Code);
        await server.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void The_rate_limiter_is_a_token_bucket_per_identity_and_audits_once_per_window()
    {
        long now = 0;
        var rl = new RateLimiter(2, 3, () => now);
        for (int i = 0; i < 3; i++) Assert.Null(rl.Take("token:a"));
        var first = rl.Take("token:a");
        Assert.Equal((1, true), first);
        Assert.Equal((1, false), rl.Take("token:a"));
        Assert.Null(rl.Take("token:b"));
        now += 500; // half a second: one token back at 2/s
        Assert.Null(rl.Take("token:a"));
        Assert.NotNull(rl.Take("token:a"));
        now += 1000; // the window of the first refusal is over: the next refusal is audited again
        Assert.Null(rl.Take("token:a"));
        Assert.Null(rl.Take("token:a"));
        Assert.Equal(true, rl.Take("token:a")?.Audit);
        var slow = new RateLimiter(2.0 / 60, 1, () => now);
        Assert.Null(slow.Take("x"));
        Assert.Equal(30, slow.Take("x")?.RetryAfter);
    }
}
