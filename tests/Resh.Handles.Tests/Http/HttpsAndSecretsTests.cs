using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Http;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>
/// https:// against the Kestrel server's certificate from a test CA (trust, ALPN, client certificates, probe),
/// and credentials as secret-typed arguments: they reach the server and never appear in any output.
/// </summary>
[Collection("http")]
public sealed class HttpsAndSecretsTests(HttpBackend server)
{
    static ReshRun Resh(params string[] args) => NetTestKit.Resh(args);

    [Fact]
    public void The_issue_https_post_with_a_test_ca_works_over_http2()
    {
        var r = Resh($"{server.Https}/api/items.post(json:={{\"name\":\"x\"}})", $"ca={server.CaPem}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(201, r.Result!["status"]!.GetValue<int>());
        Assert.Equal("x", r.Result!["body"]!["item"]!["name"]!.GetValue<string>());
        Assert.Equal("2", r.Result!["http_version"]!.GetValue<string>());
        var tls = r.Result!["tls"]!;
        Assert.Equal("h2", tls["alpn"]!.GetValue<string>());
        Assert.Equal("CN=resh test CA", tls["issuer"]!.GetValue<string>());
        Assert.True(tls["verified"]!.GetValue<bool>());
        Assert.InRange(tls["days_left"]!.GetValue<int>(), 18, 20);
        Assert.True(r.Result!["timings"]!["tls_ms"]!.GetValue<double>() > 0);

        var h1 = Resh($"{server.Https}/echo", "get", $"ca={server.CaPem}", "http_version=1.1");
        Assert.Equal("HTTP/1.1", h1.Result!["body"]!["protocol"]!.GetValue<string>());
    }

    [Fact]
    public void A_server_that_closes_after_answering_still_gives_the_tls_details()
    {
        // The server's certificate belongs to the connection; reading it after the server closed used to fail
        // the whole call with "m_safeCertContext is an invalid handle" (review of issue 13).
        var r = Resh($"{server.Https}/close", "get", $"ca={server.CaPem}", "http_version=1.1");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("closing", r.Result!["body"]!["status"]!.GetValue<string>());
        var tls = r.Result!["tls"]!;
        Assert.Equal("CN=resh test CA", tls["issuer"]!.GetValue<string>());
        Assert.True(tls["verified"]!.GetValue<bool>());
        Assert.StartsWith("Tls", tls["protocol"]!.GetValue<string>());

        var probe = Resh($"{server.Https}/close.probe", $"ca={server.CaPem}", "http_version=1.1");
        Assert.True(probe.Ok, probe.ToString());
        Assert.InRange(probe.Result!["cert_days_left"]!.GetValue<int>(), 18, 20);
    }

    [Fact]
    public void An_untrusted_certificate_fails_unless_insecure_which_warns()
    {
        var r = Resh($"{server.Https}/health.get");
        Assert.Equal("failed", r.ErrorCode);
        Assert.Contains("TLS", r.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.NotNull(r.Envelope["error"]!["hint"]);

        var insecure = Resh($"{server.Https}/health.get", "tls=insecure");
        Assert.True(insecure.Ok, insecure.ToString());
        Assert.False(insecure.Result!["tls"]!["verified"]!.GetValue<bool>());
        Assert.NotEmpty(insecure.Envelope["warnings"]!.AsArray());
    }

    [Fact]
    public void A_client_certificate_is_presented_to_the_server()
    {
        var r = Resh($"{server.Https}/echo", "get", $"ca={server.CaPem}", $"cert={server.ClientCertPem}", $"key={server.ClientKeyPem}");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal("CN=resh client", r.Result!["body"]!["client_cert"]!.GetValue<string>());
        var without = Resh($"{server.Https}/echo", "get", $"ca={server.CaPem}");
        Assert.Null(without.Result!["body"]!["client_cert"]);
        var noKey = Resh($"{server.Https}/echo", "get", $"ca={server.CaPem}", $"cert={server.ClientCertPem}");
        Assert.Equal("usage", noKey.ErrorCode);
    }

    [Fact]
    public void Probe_reports_phases_and_certificate_days_and_enforces_min_days()
    {
        var r = Resh($"{server.Https}/health.probe", $"ca={server.CaPem}");
        Assert.True(r.Ok, r.ToString());
        var res = r.Result!;
        Assert.True(res["expected"]!.GetValue<bool>());
        Assert.InRange(res["cert_days_left"]!.GetValue<int>(), 18, 20);
        var t = res["timings"]!;
        Assert.True(t["connect_ms"]!.GetValue<double>() > 0);
        Assert.True(t["tls_ms"]!.GetValue<double>() > 0);
        Assert.True(t["total_ms"]!.GetValue<double>() >= t["first_byte_ms"]!.GetValue<double>());
        Assert.Equal(15, res["body_bytes"]!.GetValue<long>());

        var tooSoon = Resh($"{server.Https}/health.probe", $"ca={server.CaPem}", "min_cert_days=25");
        Assert.Equal("failed", tooSoon.ErrorCode);
        Assert.InRange(tooSoon.Envelope["error"]!["details"]!["days_left"]!.GetValue<int>(), 18, 20);

        var wrong = Resh($"{server.Http}/status?code=500", "probe");
        Assert.Equal("failed", wrong.ErrorCode);
        var redirect = Resh($"{server.Http}/redirect-to?url=%2Ftext", "probe", "expect=302");
        Assert.True(redirect.Ok, redirect.ToString());
        Assert.Null(redirect.Result!["cert_days_left"]);
    }

    [Fact]
    public void Basic_auth_password_from_env_or_file_reaches_the_server_and_is_never_printed()
    {
        const string pw = "testpw";
        using var tmp = new TempDir();
        var pwFile = tmp.File("pw", pw + "\n");
        var env = new Dictionary<string, string> { ["RESH_TEST_HTTP_PW"] = pw };
        foreach (var source in new[] { "env:RESH_TEST_HTTP_PW", $"file:{pwFile}" })
        {
            var r = ReshBinary.Run([$"{server.Http}/auth/basic", "get", "user=test", $"password={source}", "--verbose"], env: env);
            Assert.True(r.Ok, r.ToString());
            Assert.Equal("welcome", r.Result!["body"]!.GetValue<string>());
            AssertNoSecret(r, pw);
        }
        var stdin = ReshBinary.Run([$"{server.Http}/auth/basic", "get", "user=test", "password=@-"], stdin: pw + "\n");
        Assert.True(stdin.Ok, stdin.ToString());
        AssertNoSecret(stdin, pw);

        var wrong = ReshBinary.Run([$"{server.Http}/auth/basic", "get", "user=test", "password=env:RESH_TEST_HTTP_PW"],
            env: new Dictionary<string, string> { ["RESH_TEST_HTTP_PW"] = "not-it" });
        Assert.Equal("failed", wrong.ErrorCode);
        Assert.Equal(401, wrong.Envelope["error"]!["details"]!["status"]!.GetValue<int>());
        Assert.Contains("user=", wrong.Envelope["error"]!["hint"]!.GetValue<string>());
        AssertNoSecret(wrong, "not-it");

        var unset = Resh($"{server.Http}/auth/basic", "get", "user=test", "password=env:RESH_TEST_UNSET_VAR_X");
        Assert.NotNull(unset.ErrorCode);
        Assert.NotEqual(0, unset.ExitCode);
    }

    [Fact]
    public void A_literal_password_works_with_a_warning_and_is_redacted()
    {
        var r = Resh($"{server.Http}/auth/basic", "get", "user=test", "password=testpw");
        Assert.True(r.Ok, r.ToString());
        Assert.Contains(r.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("password"));
        AssertNoSecret(r, "testpw");
    }

    [Fact]
    public void A_bearer_token_is_sent_and_redacted_from_the_echo_and_the_envelope()
    {
        const string token = "tok-5f1e9a7c3b";
        var r = ReshBinary.Run([$"{server.Https}/echo", "get", "bearer=env:RESH_TEST_TOKEN", $"ca={server.CaPem}", "--verbose"],
            env: new Dictionary<string, string> { ["RESH_TEST_TOKEN"] = token });
        Assert.True(r.Ok, r.ToString());
        // The server got the header; resh masks its value even where the server echoes it back.
        Assert.Equal("***", r.Result!["body"]!["headers"]!["authorization"]!.GetValue<string>());
        AssertNoSecret(r, token);

        var both = ReshBinary.Run([$"{server.Http}/echo", "get", "bearer=env:RESH_TEST_TOKEN", "user=a", "password=env:RESH_TEST_TOKEN"],
            env: new Dictionary<string, string> { ["RESH_TEST_TOKEN"] = token });
        Assert.Equal("usage", both.ErrorCode);
    }

    [Fact]
    public void Credentials_are_not_sent_to_another_host_after_a_redirect()
    {
        // 127.0.0.1 -> localhost is another authority: the Authorization header is dropped.
        var to = Uri.EscapeDataString($"http://localhost:{server.Plain}/echo");
        var r = ReshBinary.Run([$"{server.Http}/redirect-to?url={to}", "get", "bearer=env:RESH_TEST_TOKEN"],
            env: new Dictionary<string, string> { ["RESH_TEST_TOKEN"] = "tok-abc123xyz" });
        Assert.True(r.Ok, r.ToString());
        Assert.Null(r.Result!["body"]!["headers"]!["authorization"]);
        Assert.Contains(r.Envelope["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("Credentials were not sent"));
    }

    static void AssertNoSecret(ReshRun r, string secret)
    {
        Assert.DoesNotContain(secret, r.Stdout);
        Assert.DoesNotContain(secret, r.Stderr);
        var b64 = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("test:" + secret));
        Assert.DoesNotContain(b64, r.Stdout);
        Assert.DoesNotContain(b64, r.Stderr);
    }
}
