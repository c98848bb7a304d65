using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using File = System.IO.File;

/// <summary>
/// acme.issue against an ACME server that lies (<see cref="FakeAcmeServer"/>) and a DNS server that takes updates
/// without answering: what resh writes, and what it leaves behind, when the other side is hostile or silent.
/// </summary>
public sealed class CertAcmeHostileCaTests : IDisposable
{
    readonly TempDir _dir = new("acmehostile");

    public void Dispose() => _dir.Dispose();

    string[] Common(FakeAcmeServer ca) => [$"directory={ca.DirectoryUrl}", $"ca={ca.CaPem}", $"account_key={_dir["account.key"]}"];

    string TsigKey() => _dir.File("tsig.key", "key \"resh-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + Convert.ToBase64String(new byte[32]) + "\";\n};\n");

    [Theory]
    [InlineData("good.example.test", "victim.example.org")]       // another name altogether
    [InlineData("*.good.example.test", "evil.example.test")]       // a wildcard order, another base name
    [InlineData("good.example.test", "x.good.example.test")]       // a name below the ordered one
    public void A_ca_that_asks_to_prove_a_name_outside_the_order_is_refused_before_anything_is_written(string ordered, string lie)
    {
        using var ca = new FakeAcmeServer { Prove = _ => lie };
        if (!ordered.StartsWith("*.", StringComparison.Ordinal)) // a wildcard is dns-01 only
        {
            var webroot = Directory.CreateDirectory(_dir["www"]).FullName;
            var r = ReshBinary.Run([$"cert://{_dir["site.pem"]}", "acme.issue", $"domains={ordered}", "challenge=http-01", $"webroot={webroot}", .. Common(ca)]);
            Assert.True(r.ErrorCode == "failed", r.ToString());
            var message = r.Envelope["error"]!["message"]!.GetValue<string>();
            Assert.Contains(lie, message);
            Assert.Contains("not a name of the order", message);
            Assert.Empty(Directory.GetFileSystemEntries(webroot, "*", SearchOption.AllDirectories));
            Assert.DoesNotContain(ca.Requests, q => q.StartsWith("POST /chall", StringComparison.Ordinal));
            Assert.False(File.Exists(_dir["site.pem"]));
            Assert.False(File.Exists(_dir["site.key"]), "the key made for the refused order is removed");
        }

        // dns-01: no update reaches the DNS server at all (it would write _acme-challenge records for the CA's name).
        var connections = 0;
        using var dns = new LoopbackServer((_, _) => { Interlocked.Increment(ref connections); return Task.CompletedTask; });
        var d = ReshBinary.Run([$"cert://{_dir["site.pem"]}", "acme.issue", $"domains={ordered}", "challenge=dns-01", $"dns_server=127.0.0.1:{dns.Port}",
            "dns_zone=example.test", $"dns_key_file={TsigKey()}", .. Common(ca)]);
        Assert.True(d.ErrorCode == "failed", d.ToString());
        Assert.Contains(lie, d.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal(0, Volatile.Read(ref connections));
        Assert.DoesNotContain(ca.Requests, q => q.StartsWith("POST /chall", StringComparison.Ordinal));
        Assert.False(File.Exists(_dir["site.key"]));
    }

    [Fact]
    public void Names_are_compared_as_dns_compares_them_case_and_final_dot_aside()
    {
        using var ca = new FakeAcmeServer { Prove = n => n.ToUpperInvariant() + "." };
        var webroot = Directory.CreateDirectory(_dir["www"]).FullName;
        var r = ReshBinary.Run([$"cert://{_dir["site.pem"]}", "acme.issue", "domains=good.example.test", "challenge=http-01", $"webroot={webroot}", .. Common(ca)]);
        // Past the authorization (the challenge was answered); this CA then refuses to issue.
        Assert.Equal("failed", r.ErrorCode);
        Assert.Contains("never issues", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains(ca.Requests, q => q.StartsWith("POST /chall/0", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(Path.Combine(webroot, ".well-known", "acme-challenge")));
        Assert.False(File.Exists(_dir["site.key"]));
    }

    [Fact]
    public void A_record_update_the_server_never_answered_is_removed_or_named_in_a_warning()
    {
        using var ca = new FakeAcmeServer();
        var connections = 0;
        using var silent = new LoopbackServer(async (_, ct) => { Interlocked.Increment(ref connections); await Task.Delay(Timeout.Infinite, ct); });
        var r = ReshBinary.Run(args: [$"cert://{_dir["site.pem"]}", "acme.issue", "domains=good.example.test", "challenge=dns-01", $"dns_server=127.0.0.1:{silent.Port}",
            "dns_zone=example.test", $"dns_key_file={TsigKey()}", .. Common(ca)], wait: TimeSpan.FromSeconds(150));
        Assert.True(r.ErrorCode == "timeout", r.ToString());
        // The update may have been applied: resh tried to delete it (a second connection) and, failing, names it.
        Assert.True(Volatile.Read(ref connections) >= 2, $"connections: {connections}");
        var warnings = string.Join("\n", r.Envelope["warnings"]!.AsArray().Select(w => w!.GetValue<string>()));
        Assert.Contains("_acme-challenge.good.example.test TXT could not be removed", warnings);
        Assert.Contains("record.delete", warnings);
        Assert.False(File.Exists(_dir["site.key"]));
    }
}
