using Resh.Handles.Tests.DnsTests;
using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

/// <summary>
/// A BIND that takes TSIG-signed dynamic updates (tests/setup/dns.sh, the dns:// tests' own fixture, in a network
/// namespace of this run) and a pebble inside the same namespace that resolves through it: dns-01 is validated for real.
/// Started once for the class.
/// </summary>
public sealed class AcmeDnsBackend : IDisposable
{
    public DnsBackend Dns { get; } = new();
    public PebbleServer Pebble { get; }

    public AcmeDnsBackend()
    {
        try { Pebble = PebbleServer.InNetns(Dns.Netns, Dns.Server); }
        catch { Dns.Dispose(); throw; }
    }

    public void Dispose()
    {
        Pebble.Dispose();
        Dns.Dispose();
    }
}

/// <summary>cert:// acme.issue / acme.renew with challenge=dns-01: TXT records published and removed through dns:// (RFC 2136 + TSIG).</summary>
public sealed class CertAcmeDnsTests(AcmeDnsBackend backend) : IClassFixture<AcmeDnsBackend>, IDisposable
{
    readonly TempDir _dir = new("certacmedns");
    DnsBackend Dns => backend.Dns;
    PebbleServer Pebble => backend.Pebble;

    public void Dispose() => _dir.Dispose();

    static string Fresh() => "a" + Guid.NewGuid().ToString("N")[..8] + ".example.test";

    string[] Common(string keyFile) =>
        [$"directory={Pebble.Directory}", $"ca={Pebble.CaFile}", $"account_key={_dir["account.key"]}", $"dns_server={Dns.Server}", $"dns_key_file={keyFile}", "email=ops@resh.test"];

    string[] Txt(string name) => Dns.Short("_acme-challenge." + name, "TXT");

    [Fact]
    public void Issue_a_name_and_its_wildcard_by_dns_01_then_renew_and_the_records_are_gone()
    {
        var name = Fresh();
        var cert = _dir["wild.pem"];
        var r = Dns.Resh([$"cert://{cert}", "acme.issue", $"domains={name},*.{name}", .. Common(Dns.KeyFile)]);
        Assert.True(r.Ok, r.ToString());
        Assert.True(r.Changed);
        Assert.Equal($"dns-01 via {Dns.Server}", r.Result!["challenge"]!.GetValue<string>());
        var text = Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-ext", "subjectAltName");
        Assert.Contains($"DNS:{name}", text);
        Assert.Contains($"DNS:*.{name}", text);
        Assert.Contains("Pebble", Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-issuer"));
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-pubkey"), Tool.Ok("openssl", "pkey", "-in", _dir["wild.key"], "-pubout"));
        Assert.Equal("600", Tool.Mode(_dir["wild.key"]));
        Assert.Empty(Txt(name));

        // Renewal (forced due) goes through dns-01 again and cleans up again.
        var serial = Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-serial");
        var renewed = Dns.Resh([$"cert://{cert}", "acme.renew", "days=3650", .. Common(Dns.KeyFile)]);
        Assert.True(renewed.Ok, renewed.ToString());
        Assert.True(renewed.Result!["issued"]!.GetValue<bool>());
        Assert.NotEqual(serial, Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-serial"));
        Assert.Contains($"DNS:*.{name}", Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-ext", "subjectAltName"));
        Assert.Empty(Txt(name));
    }

    [Fact]
    public void A_wrong_tsig_key_is_permission_denied_the_order_is_given_up_and_nothing_is_left()
    {
        var name = Fresh();
        var cert = _dir["bad.pem"];
        var wrong = _dir.File("wrong.key", "key \"resh-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + Convert.ToBase64String(new byte[32]) + "\";\n};\n");
        var serial = Dns.Serial("example.test");
        var r = Dns.Resh([$"cert://{cert}", "acme.issue", $"domains={name},*.{name}", .. Common(wrong)]);
        Assert.False(r.Ok, r.ToString());
        Assert.Equal("permission_denied", r.ErrorCode);
        var error = r.Envelope["error"]!;
        Assert.Contains("TSIG", error["message"]!.GetValue<string>());
        Assert.Contains($"_acme-challenge.{name}", error["message"]!.GetValue<string>());
        // Both authorizations (the name and the wildcard) were deactivated at the CA: the order cannot stay pending.
        Assert.Equal(2, error["details"]!["authorizations_deactivated"]!.GetValue<int>());
        Assert.Empty(Txt(name));
        Assert.Equal(serial, Dns.Serial("example.test"));
        Assert.False(File.Exists(cert));
        Assert.False(File.Exists(_dir["bad.key"]), "the key made for the failed call is removed");
        Assert.DoesNotContain(Convert.ToBase64String(new byte[32]), r.Stdout + r.Stderr);
    }

    [Fact]
    public void Dry_run_touches_nothing()
    {
        var name = Fresh();
        var cert = _dir["dry.pem"];
        var serial = Dns.Serial("example.test");
        var r = Dns.Resh([$"cert://{cert}", "acme.issue", $"domains=*.{name}", .. Common(Dns.KeyFile), "--dry-run"]);
        Assert.True(r.Ok, r.ToString());
        Assert.True(r.Envelope["dry_run"]!.GetValue<bool>());
        Assert.StartsWith("dns-01", r.Result!["challenge"]!.GetValue<string>());
        Assert.Empty(Directory.GetFiles(_dir.Path));
        Assert.Empty(Txt(name));
        Assert.Equal(serial, Dns.Serial("example.test"));
    }

    [Fact]
    public void A_wildcard_needs_dns_01_and_the_arguments_of_one_challenge_do_not_mix_with_the_other()
    {
        var cert = _dir["w.pem"];
        var http = Dns.Resh($"cert://{cert}", "acme.issue", "domains=*.example.test", "challenge=http-01", $"directory={Pebble.Directory}");
        Assert.Equal("usage", http.ErrorCode);
        Assert.Contains("dns-01", http.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Equal("usage", Dns.Resh($"cert://{cert}", "acme.issue", "domains=*.example.test", $"directory={Pebble.Directory}").ErrorCode);
        Assert.Equal("usage", Dns.Resh($"cert://{cert}", "acme.issue", "domains=x.example.test", "challenge=http-01", $"dns_server={Dns.Server}", $"directory={Pebble.Directory}").ErrorCode);
        Assert.Equal("usage", Dns.Resh($"cert://{cert}", "acme.issue", "domains=x.example.test", $"dns_key_file={Dns.KeyFile}", "webroot=/tmp", $"directory={Pebble.Directory}").ErrorCode);
        Assert.Equal("usage", Dns.Resh($"cert://{cert}", "acme.issue", "domains=a.*.example.test", $"dns_key_file={Dns.KeyFile}", $"directory={Pebble.Directory}").ErrorCode);
        Assert.Equal("not_found", Dns.Resh($"cert://{cert}", "acme.issue", "domains=x.example.test", $"dns_key_file={_dir["missing.key"]}", $"directory={Pebble.Directory}", "--dry-run").ErrorCode);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }
}
