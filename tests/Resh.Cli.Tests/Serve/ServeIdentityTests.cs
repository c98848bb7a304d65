using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Serve;

/// <summary>
/// Issue 18, identities of `resh serve` beside API tokens: mTLS client certificates (--client-ca, [serve.clients]),
/// the rate limit per identity ([serve] rate, 429 + Retry-After) and the identity kind in the audit trail. The server
/// is the real binary over HTTPS; the certificates are made here with .NET's CertificateRequest (a test CA, a server
/// certificate for 127.0.0.1, client certificates: good, expired, from another CA, valid but unmapped).
/// </summary>
public sealed class ServeIdentityTests : IDisposable
{
    internal readonly TempDir Dir = new("serveid");
    readonly string _state;
    readonly List<Process> _servers = [];
    internal readonly TestPki Pki;
    /// <summary>What the servers wrote (stderr and stdout).</summary>
    readonly StringBuilder _output = new();

    public ServeIdentityTests()
    {
        _state = Dir["state"];
        Pki = new TestPki(Dir);
    }

    public void Dispose()
    {
        foreach (var p in _servers)
        {
            try { if (!p.HasExited) { p.Kill(true); p.WaitForExit(5000); } } catch (InvalidOperationException) { }
            p.Dispose();
        }
        Dir.Dispose();
    }

    const string Roles = """
        [roles.ops]
        allow = ["system.*"]

        [roles.viewer]
        allow = ["system.uptime"]
        read_only = true
        """;

    string Config(string extra) => Dir.File("config.toml", Roles + "\n" + extra);

    Dictionary<string, string> Env(string config) => new() { ["RESH_HOME"] = _state, ["RESH_CONFIG"] = config };

    internal string Start(string config, params string[] extra)
    {
        var port = LoopbackPorts.Free(1)[0];
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["serve", "--listen", $"127.0.0.1:{port}", "--tls-cert", Pki.ServerCert, "--tls-key", Pki.ServerKey, .. extra]) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Env(config)) psi.Environment[k] = v;
        psi.Environment["NO_COLOR"] = "1";
        var listening = new ManualResetEventSlim();
        var output = _output;
        var p = new Process { StartInfo = psi };
        p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); if (e.Data?.Contains("listening on https://127.0.0.1:" + port) == true) listening.Set(); };
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.Start();
        _servers.Add(p);
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        Assert.True(listening.Wait(TimeSpan.FromSeconds(30)), "resh serve did not say it listens: " + output);
        return $"https://127.0.0.1:{port}";
    }

    internal ReshRun Resh(string config, params string[] args) => ReshBinary.Run(args, env: Env(config));

    internal static HttpClient Client(X509Certificate2? clientCert)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true; // the test server's own CA
        if (clientCert is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCert];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCert;
        }
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    internal static async Task<(int Status, JsonObject Body, HttpResponseMessage Response)> CallAsync(HttpClient http, string url, AuthenticationHeaderValue? auth,
        string body = """{"stage":"system://","verb":"uptime"}""")
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, url + "/v1/call") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        req.Headers.Authorization = auth;
        var resp = await http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        JsonObject json;
        try { json = JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["raw"] = text }; }
        catch (System.Text.Json.JsonException) { json = new JsonObject { ["raw"] = text }; }
        return ((int)resp.StatusCode, json, resp);
    }

    internal static string Code(JsonObject env) => env["error"]?["code"]?.GetValue<string>() ?? "ok";

    List<JsonObject> Audit(string config)
    {
        var list = Resh(config, "audit", "list", "surface=rest", "--format", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        return list.Result!["records"]!.AsArray().Select(r => r!.AsObject()).ToList();
    }

    [Fact]
    public async Task A_client_certificate_from_the_client_ca_is_an_identity_with_the_role_of_its_name()
    {
        var config = Config("""
            [serve.clients]
            "cn:ci-runner" = "ops"
            "dns:deploy.example.test" = "viewer"
            """);
        var url = Start(config, "--client-ca", Pki.CaCert);

        using (var http = Client(Pki.Client("ci-runner")))
        {
            var (status, env, _) = await CallAsync(http, url, null);
            Assert.True(status == 200, env.ToJsonString());
            // The role is ops: system.memory is granted too.
            (status, env, _) = await CallAsync(http, url, null, """{"stage":"system://","verb":"memory"}""");
            Assert.Equal(200, status);
        }
        // A SAN dNSName maps as well; its role (viewer) grants only uptime.
        using (var http = Client(Pki.Client("someone", dns: "deploy.example.test")))
        {
            Assert.Equal(200, (await CallAsync(http, url, null)).Status);
            var (status, env, _) = await CallAsync(http, url, null, """{"stage":"system://","verb":"memory"}""");
            Assert.Equal((403, "permission_denied"), (status, Code(env)));
        }
        // Valid, but no name of it is mapped: 403, named in the message.
        using (var http = Client(Pki.Client("stranger")))
        {
            var (status, env, _) = await CallAsync(http, url, null);
            Assert.Equal((403, "permission_denied"), (status, Code(env)));
            Assert.Contains("cn:stranger", env["error"]!["message"]!.GetValue<string>());
        }
        // No certificate and no token: 401, and a token still works beside mTLS.
        using (var http = Client(null))
        {
            var (status, env, resp) = await CallAsync(http, url, null);
            Assert.Equal((401, "permission_denied"), (status, Code(env)));
            Assert.Contains(resp.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
            var token = Resh(config, "token", "create", "name=ci", "role=ops", "--format", "json").Result!["token"]!.GetValue<string>();
            Assert.Equal(200, (await CallAsync(http, url, new AuthenticationHeaderValue("Bearer", token))).Status);
        }
        // A certificate and a header: the header decides (a wrong token is not rescued by a good certificate).
        using (var http = Client(Pki.Client("ci-runner")))
            Assert.Equal(401, (await CallAsync(http, url, new AuthenticationHeaderValue("Bearer", "resh_wrong"))).Status);

        var records = Audit(config);
        Assert.Contains(records, r => r["identity"]!.GetValue<string>() == "cert:cn:ci-runner" && r["code"]!.GetValue<string>() == "ok");
        Assert.Contains(records, r => r["identity"]!.GetValue<string>() == "cert:dns:deploy.example.test" && r["code"]!.GetValue<string>() == "permission_denied");
        Assert.Contains(records, r => r["identity"]!.GetValue<string>() == "cert:cn:stranger" && r["code"]!.GetValue<string>() == "permission_denied");
        Assert.Contains(records, r => r["identity"]!.GetValue<string>() == "token:ci" && r["code"]!.GetValue<string>() == "ok");
    }

    [Fact]
    public async Task A_certificate_of_another_ca_or_expired_or_not_for_client_auth_is_refused_with_403_a_log_line_and_a_counter()
    {
        var config = Config("""
            [serve.clients]
            "cn:ci-runner" = "ops"
            """);
        var url = Start(config, "--client-ca", Pki.CaCert);
        var marker = Path.Combine(Dir.Path, "ran");
        foreach (var (what, reason, cert) in new[]
                 {
                     ("another CA", "unknown_ca", Pki.Client("ci-runner", otherCa: true)),
                     ("expired", "expired", Pki.Client("ci-runner", expired: true)),
                     ("server-only usage", "bad_usage", Pki.Client("ci-runner", serverAuthOnly: true)),
                 })
        {
            // Not a closed connection without a word (s38 user #9): an HTTP 403 saying why, and the call is not run,
            // even with a valid token beside the certificate.
            using var http = Client(cert);
            var token = Resh(config, "token", "create", $"name=t{reason}", "role=ops", "--format", "raw").Stdout.Trim();
            var (status, env, _) = await CallAsync(http, url, new AuthenticationHeaderValue("Bearer", token),
                $$$"""{"stage":"file://{{{marker}}}","verb":"write","args":{"content":"x"}}""");
            Assert.True(status == 403, $"{what}: {status} {env.ToJsonString()}");
            Assert.Equal("permission_denied", Code(env));
            var message = env["error"]!["message"]!.GetValue<string>();
            Assert.Contains("client certificate", message);
            Assert.True(message.Contains(reason switch { "expired" => "expired", "unknown_ca" => "not issued by a CA this server trusts", _ => "client authentication" }, StringComparison.Ordinal), message);
            Assert.False(File.Exists(marker), what);
        }
        // One stderr line per refusal (at most one a second: the three came within a second or so, so at least one line).
        lock (_output) Assert.Contains("resh serve: refused a client certificate from 127.0.0.1:", _output.ToString());
        // The server still serves after refusing them, and counted them by reason.
        using (var good = Client(Pki.Client("ci-runner")))
        {
            Assert.Equal(200, (await CallAsync(good, url, null)).Status);
            var metrics = await good.GetStringAsync(url + "/metrics");
            foreach (var reason in new[] { "unknown_ca", "expired", "bad_usage" })
                Assert.Contains($"resh_tls_client_certificates_refused_total{{reason=\"{reason}\"}} 1\n", metrics);
        }
    }

    [Fact]
    public async Task Client_ca_needs_tls_and_a_bad_clients_table_stops_the_server_with_usage()
    {
        var config = Config("""
            [serve.clients]
            "subject:ci" = "ops"
            """);
        var run = Resh(config, "serve", "--listen", "127.0.0.1:0", "--client-ca", Pki.CaCert);
        Assert.Equal(("usage", 2), (Code(run.Envelope), run.ExitCode));
        Assert.Contains("--client-ca needs TLS", run.Envelope["error"]!["message"]!.GetValue<string>());
        run = Resh(config, "serve", "--listen", "127.0.0.1:0", "--tls-cert", Pki.ServerCert, "--tls-key", Pki.ServerKey, "--client-ca", Pki.CaCert);
        Assert.Equal(("usage", 2), (Code(run.Envelope), run.ExitCode));
        Assert.Contains("subject:ci", run.Envelope["error"]!["message"]!.GetValue<string>());
        run = Resh(Config("[serve]\nrate = \"fast\"\n"), "serve", "--listen", "127.0.0.1:0");
        Assert.Equal(("usage", 2), (Code(run.Envelope), run.ExitCode));
        Assert.Contains("rate", run.Envelope["error"]!["message"]!.GetValue<string>());
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Over_its_rate_an_identity_gets_429_with_retry_after_others_do_not_and_the_refusals_are_audited_once_per_window()
    {
        var config = Config("""
            [serve]
            rate = "2/m"
            burst = 3
            """);
        var url = Start(config);
        var a = Resh(config, "token", "create", "name=a", "role=ops", "--format", "json").Result!["token"]!.GetValue<string>();
        var b = Resh(config, "token", "create", "name=b", "role=ops", "--format", "json").Result!["token"]!.GetValue<string>();
        using var http = Client(null);
        var ta = new AuthenticationHeaderValue("Bearer", a);
        for (int i = 0; i < 3; i++) Assert.Equal(200, (await CallAsync(http, url, ta)).Status);
        for (int i = 0; i < 5; i++)
        {
            var (status, env, resp) = await CallAsync(http, url, ta);
            Assert.Equal((429, "unavailable"), (status, Code(env)));
            var retry = resp.Headers.RetryAfter?.Delta;
            Assert.NotNull(retry);
            Assert.InRange(retry!.Value.TotalSeconds, 1, 30); // 2/m: a request every 30 s
            Assert.Equal((int)retry.Value.TotalSeconds, env["error"]!["details"]!["retry_after_s"]!.GetValue<int>());
        }
        // Another identity has its own bucket.
        Assert.Equal(200, (await CallAsync(http, url, new AuthenticationHeaderValue("Bearer", b))).Status);
        var records = Audit(config);
        Assert.Equal(3, records.Count(r => r["identity"]!.GetValue<string>() == "token:a" && r["code"]!.GetValue<string>() == "ok"));
        Assert.Equal(1, records.Count(r => r["identity"]!.GetValue<string>() == "token:a" && r["code"]!.GetValue<string>() == "unavailable"));
        Assert.True(Resh(config, "audit", "verify", "--format", "json").Result!["intact"]!.GetValue<bool>());
    }
}

/// <summary>A throwaway PKI for the tests: CA, server certificate for 127.0.0.1, client certificates on demand.</summary>
internal sealed class TestPki
{
    readonly X509Certificate2 _ca, _otherCa;
    public readonly string CaCert, ServerCert, ServerKey;

    public TestPki(TempDir dir)
    {
        _ca = MakeCa("resh test client CA");
        _otherCa = MakeCa("resh test client CA"); // same name, other key: only the signature tells them apart
        CaCert = dir.File("pki/ca.pem", _ca.ExportCertificatePem());
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = req.Create(_ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2), RandomNumberGenerator.GetBytes(8));
        ServerCert = dir.File("pki/server.pem", server.ExportCertificatePem());
        ServerKey = dir.File("pki/server.key", key.ExportPkcs8PrivateKeyPem());
    }

    public string CaFile(TempDir dir, string name) => dir.File(name, _ca.ExportCertificatePem());

    static X509Certificate2 MakeCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(30));
    }

    public X509Certificate2 Client(string cn, string? dns = null, bool otherCa = false, bool expired = false, bool serverAuthOnly = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256);
        if (dns is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(dns);
            req.CertificateExtensions.Add(san.Build());
        }
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuthOnly ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var (from, to) = expired ? (DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1)) : (DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var cert = req.Create(otherCa ? _otherCa : _ca, from, to, RandomNumberGenerator.GetBytes(8));
        using var withKey = cert.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
