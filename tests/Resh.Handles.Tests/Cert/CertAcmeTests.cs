using System.Diagnostics;
using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// acme.issue / acme.renew against a real pebble (RFC 8555) with real http-01 validation; results checked with openssl.</summary>
public sealed class CertAcmeTests(PebbleServer pebble) : IClassFixture<PebbleServer>, IDisposable
{
    readonly TempDir _dir = new("certacme");

    public void Dispose() => _dir.Dispose();

    string[] Common(string name) =>
        [$"directory={pebble.Directory}", $"ca={pebble.CaFile}", $"account_key={_dir["account.key"]}", "listen=127.0.0.1", $"http_port={pebble.HttpPort}", "email=ops@resh.test"];

    void VerifiedByPebble(string fullchain, string host)
    {
        var (root, _) = pebble.IssuerFiles();
        // The file is leaf + intermediate: openssl takes the rest of it as untrusted intermediates.
        var verify = Tool.Run("openssl", "verify", "-purpose", "sslserver", "-verify_hostname", host, "-CAfile", root, "-untrusted", fullchain, fullchain);
        Assert.True(verify.Exit == 0, verify.Stdout + verify.Stderr);
    }

    [Fact]
    public void Issue_with_the_built_in_listener_then_renew_only_when_due()
    {
        var cert = _dir["site.pem"];
        var r = Resh.Ok(Resh.Run([$"cert://{cert}", "acme.issue", "domains=web.resh.test,www.resh.test", .. Common("site")]), changed: true);
        Assert.True(r.Flag("issued"));
        Assert.Equal("600", Tool.Mode(_dir["site.key"]));
        Assert.Equal("600", Tool.Mode(_dir["account.key"]));
        Assert.Equal("644", Tool.Mode(cert));
        var text = Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-text");
        Assert.Contains("DNS:web.resh.test", text);
        Assert.Contains("DNS:www.resh.test", text);
        Assert.Contains("Pebble", Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-issuer"));
        Assert.True(File.ReadAllText(cert).Split("BEGIN CERTIFICATE").Length - 1 >= 2, "full chain");
        VerifiedByPebble(cert, "web.resh.test");
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-pubkey"), Tool.Ok("openssl", "pkey", "-in", _dir["site.key"], "-pubout"));
        var serial = Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-serial");
        Assert.DoesNotContain("PRIVATE", r.ToJsonString());

        // Same names, not due: nothing is asked of the CA.
        Resh.Ok(Resh.Run([$"cert://{cert}", "acme.issue", "domains=www.resh.test,web.resh.test", .. Common("site")]), changed: false);
        var notDue = Resh.Ok(Resh.Run([$"cert://{cert}", "acme.renew", .. Common("site")]), changed: false);
        Assert.False(notDue.Flag("issued"));
        Assert.Equal(serial, Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-serial"));
        // Due (pebble's certificates are valid for ~5 years, so days=3650 makes it due): a new certificate, same key and names.
        var pub = Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-pubkey");
        var renewed = Resh.Ok(Resh.Run([$"cert://{cert}", "acme.renew", "days=3650", .. Common("site")]), changed: true);
        Assert.True(renewed.Flag("issued"));
        Assert.NotEqual(serial, Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-serial"));
        Assert.Equal(pub, Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-pubkey"));
        VerifiedByPebble(cert, "www.resh.test");
    }

    [Fact]
    public void Issue_through_a_webroot_served_by_another_web_server_and_clean_up_the_challenge()
    {
        var webroot = _dir["www"];
        Directory.CreateDirectory(webroot);
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0x1ed);
        File.SetUnixFileMode(webroot, (UnixFileMode)0x1ed);
        var psi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-m", "http.server", "--bind", "127.0.0.1", "--directory", webroot, pebble.HttpPort.ToString() }) psi.ArgumentList.Add(a);
        using var server = Process.Start(psi)!;
        try
        {
            server.BeginErrorReadLine();
            server.BeginOutputReadLine();
            for (int i = 0; i < 100; i++)
            {
                try { using var c = new System.Net.Sockets.TcpClient("127.0.0.1", pebble.HttpPort); break; }
                catch (System.Net.Sockets.SocketException) { Thread.Sleep(50); }
            }
            var cert = _dir["web.pem"];
            var r = Resh.Ok(Resh.Run([$"cert://{cert}", "acme.issue", "domains=static.resh.test", $"webroot={webroot}", "key_type=rsa", "key_size=2048", .. Common("web")]), changed: true);
            Assert.Equal("http-01 webroot", r.Str("challenge"));
            VerifiedByPebble(cert, "static.resh.test");
            Assert.Contains("2048 bit", Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-text"));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(webroot, ".well-known", "acme-challenge")));
        }
        finally
        {
            server.Kill();
            server.WaitForExit(5000);
        }
    }

    [Fact]
    public void A_failed_validation_an_untrusted_server_and_a_busy_port_are_clear_errors_that_write_nothing()
    {
        var cert = _dir["fail.pem"];
        // Nothing serves the webroot: the CA cannot fetch the challenge.
        var webroot = _dir["empty"];
        Directory.CreateDirectory(webroot);
        var failed = Resh.Fails(Resh.Run([$"cert://{cert}", "acme.issue", "domains=nobody.resh.test", $"webroot={webroot}", .. Common("fail")]), "failed");
        Assert.Contains("nobody.resh.test", failed.Str("message"));
        Assert.False(File.Exists(cert));
        // Without ca= the test CA's TLS certificate is not trusted.
        var untrusted = Resh.Fails(Resh.Run($"cert://{cert}", "acme.issue", "domains=x.resh.test", $"directory={pebble.Directory}", $"account_key={_dir["account.key"]}"), "failed");
        Assert.Contains("ca=", untrusted.Str("hint"));
        // The listener's port is taken.
        using var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, pebble.HttpPort);
        busy.Start();
        Resh.Fails(Resh.Run([$"cert://{cert}", "acme.issue", "domains=busy.resh.test", .. Common("fail")]), "conflict");
        Assert.False(File.Exists(cert));
        // Bad arguments.
        Resh.Fails(Resh.Run($"cert://{cert}", "acme.issue", "domains=bad name", $"directory={pebble.Directory}"), "usage");
        Resh.Fails(Resh.Run($"cert://{cert}", "acme.issue", "domains=a.test", "directory=http://127.0.0.1:1/dir"), "usage");
        Resh.Fails(Resh.Run($"cert://{cert}", "acme.renew", $"directory={pebble.Directory}"), "not_found");
    }
}
