using System.Text.RegularExpressions;
using Resh.Handles.Tests.FileScheme;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert://127.0.0.1:PORT against a real `openssl s_server`, compared with `openssl s_client -showcerts`.</summary>
public sealed class CertEndpointTests(CertEndpointFixture fx) : IClassFixture<CertEndpointFixture>
{
    string Endpoint => $"127.0.0.1:{fx.Server.Port}";

    /// <summary>The SHA-256 fingerprints of the certificates s_client saw, in the order the server sent them.</summary>
    List<string> SClientFingerprints()
    {
        var (_, stdout, _) = Tool.Run("sh", "-c", $"openssl s_client -connect {Endpoint} -showcerts </dev/null");
        var list = new List<string>();
        foreach (Match m in Regex.Matches(stdout, "-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----"))
        {
            var file = Path.Combine(fx.Corpus.Dir, $"sclient-{Guid.NewGuid():N}.pem");
            File.WriteAllText(file, m.Value + "\n");
            var fp = Tool.Ok("openssl", "x509", "-in", file, "-noout", "-fingerprint", "-sha256");
            list.Add(fp.Trim()[(fp.IndexOf('=') + 1)..]);
            File.Delete(file);
        }
        return list;
    }

    [Fact]
    public void Info_returns_the_served_chain_as_s_client_sees_it()
    {
        var r = Resh.Ok(Resh.Run($"cert://{Endpoint}.info"), changed: false);
        Assert.Equal("endpoint", r.Str("source"));
        Assert.Equal("tls", r.Str("format"));
        Assert.StartsWith("TLSv1.", r.Str("protocol"));
        var ours = r["chain"]!.AsArray().Select(c => c!.Str("fingerprint_sha256")).ToList();
        Assert.Equal(SClientFingerprints(), ours);
        Assert.Equal(2, ours.Count);
        CertInfoTests.AssertAgrees(CertInfoTests.OpenSsl(fx.Corpus["leaf.pem"]), r["certificate"]!);
    }

    [Fact]
    public void Verify_and_expiry_work_on_the_endpoint()
    {
        var v = Resh.Ok(Resh.Run($"cert://{Endpoint}.verify", $"ca={fx.Corpus["root.pem"]}"));
        Assert.True(v.Flag("valid"));
        Assert.Equal("127.0.0.1", v.Str("hostname"));
        var untrusted = Resh.Fails(Resh.Run($"cert://{Endpoint}.verify"), "conflict");
        Assert.NotEmpty(untrusted["details"]!["reasons"]!.AsArray());
        var e = Resh.Ok(Resh.Run($"cert://{Endpoint}.expiry", "warn_days=30"));
        Assert.InRange(e.Num("days_left"), 89, 90);
    }

    [Fact]
    public void Closed_ports_and_plain_text_servers_are_clear_errors()
    {
        var closed = TlsServer.FreePort();
        Resh.Fails(Resh.Run($"cert://127.0.0.1:{closed}.info"), "unavailable");
        Resh.Fails(Resh.Run("cert://127.0.0.1:99999.info"), "usage");

        // A server that accepts and closes without TLS.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var c = await listener.AcceptTcpClientAsync();
            await c.GetStream().WriteAsync("220 plain text\r\n"u8.ToArray());
            c.Close();
        });
        try
        {
            var run = Resh.Run($"cert://127.0.0.1:{port}.info");
            Assert.False(run.Ok, run.ToString());
            Assert.Contains(run.ErrorCode, new[] { "failed", "timeout" });
        }
        finally { listener.Stop(); }
    }
}
