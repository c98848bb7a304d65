using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// csr.create and selfsigned.create, checked with openssl req / x509 / verify.</summary>
public sealed class CertCsrSelfSignedTests : IDisposable
{
    readonly TempDir _dir = new("certcsr");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("ecdsa")]
    [InlineData("rsa")]
    [InlineData("ed25519")]
    public void A_csr_openssl_verifies_with_the_sans_and_usages_asked(string type)
    {
        var csr = _dir[$"{type}.csr"];
        var r = Resh.Ok(Resh.Run($"cert://{csr}", "csr.create", "subject=CN=web.test,O=Resh", "sans=web.test,DNS:www.web.test,127.0.0.1",
            $"key_type={type}", "key_usage=digital_signature,key_agreement", "eku=server,client"), changed: true);
        Assert.True(r.Flag("key_created"));
        Assert.Equal("600", Tool.Mode(_dir[$"{type}.key"]));
        var verify = Tool.Run("openssl", "req", "-in", csr, "-noout", "-verify");
        Assert.True(verify.Exit == 0, verify.Stderr);
        var text = Tool.Ok("openssl", "req", "-in", csr, "-noout", "-text", "-nameopt", "RFC2253");
        Assert.Contains("Subject: CN=web.test,O=Resh", text);
        Assert.Contains("DNS:web.test, DNS:www.web.test, IP Address:127.0.0.1", text);
        Assert.Contains("Digital Signature, Key Agreement", text);
        Assert.Contains("TLS Web Server Authentication, TLS Web Client Authentication", text);
        // The CSR's key is the key file's.
        Assert.Equal(Tool.Ok("openssl", "req", "-in", csr, "-noout", "-pubkey"), Tool.Ok("openssl", "pkey", "-in", _dir[$"{type}.key"], "-pubout"));
        Assert.Equal(["DNS:web.test", "DNS:www.web.test", "IP:127.0.0.1"], r["sans"]!.AsArray().Select(x => x!.GetValue<string>()));
        // Again: same key, same request: nothing changes.
        var again = Resh.Ok(Resh.Run($"cert://{csr}", "csr.create", "subject=CN=web.test,O=Resh", "sans=web.test,DNS:www.web.test,127.0.0.1",
            $"key_type={type}", "key_usage=digital_signature,key_agreement", "eku=server,client"), changed: false);
        Assert.False(again.Flag("key_created"));
        // Different SANs: the CSR is rewritten for the same key.
        var before = File.ReadAllBytes(_dir[$"{type}.key"]);
        Resh.Ok(Resh.Run($"cert://{csr}", "csr.create", "subject=CN=web.test,O=Resh", "sans=other.test"), changed: true);
        Assert.Equal(before, File.ReadAllBytes(_dir[$"{type}.key"]));
        Assert.Contains("DNS:other.test", Tool.Ok("openssl", "req", "-in", csr, "-noout", "-text"));
    }

    [Fact]
    public void A_csr_for_an_existing_encrypted_key_is_signed_by_the_local_ca()
    {
        var key = _dir["app.key"];
        Tool.Ok("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes256", "-pass", "pass:pp-canary-31", "-out", key);
        var env = new Dictionary<string, string> { ["PP"] = "pp-canary-31" };
        var run = Resh.WithEnv(env, $"cert://{_dir["app.csr"]}", "csr.create", "subject=CN=app.test", "sans=app.test", $"key={key}", "passphrase=env:PP");
        Resh.Ok(run, changed: true);
        Assert.DoesNotContain("pp-canary-31", run.Stdout + run.Stderr);
        Resh.Fails(Resh.Run($"cert://{_dir["app2.csr"]}", "csr.create", "subject=CN=app.test", $"key={key}"), "usage");
        Resh.Fails(Resh.WithEnv(new Dictionary<string, string> { ["PP"] = "wrong" }, $"cert://{_dir["app2.csr"]}", "csr.create", "subject=CN=app.test", $"key={key}", "passphrase=env:PP"), "permission_denied");
        Assert.False(File.Exists(_dir["app2.csr"]));
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Csr CA"));
        Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={_dir["app.csr"]},out={_dir["app.pem"]})"));
        var verify = Tool.Run("openssl", "verify", "-purpose", "sslserver", "-verify_hostname", "app.test", "-CAfile", ca, _dir["app.pem"]);
        Assert.True(verify.Exit == 0, verify.Stdout + verify.Stderr);
    }

    [Fact]
    public void Bad_subjects_and_sans_are_usage_errors_and_write_nothing()
    {
        Resh.Fails(Resh.Run($"cert://{_dir["a.csr"]}", "csr.create", "subject=not a dn"), "usage");
        Resh.Fails(Resh.Run($"cert://{_dir["a.csr"]}", "csr.create", "subject=CN=x", "sans=bad name!"), "usage");
        Resh.Fails(Resh.Run($"cert://{_dir["a.csr"]}", "csr.create", "subject=CN=x", "sans=IP:999.1.1.1"), "usage");
        Resh.Fails(Resh.Run($"cert://{_dir["a.pem"]}", "selfsigned.create", "subject=CN=x", "validity=-1d"), "usage");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path));
    }

    [Theory]
    [InlineData("ecdsa")]
    [InlineData("rsa")]
    [InlineData("ed25519")]
    public void A_self_signed_certificate_verifies_against_itself_with_openssl(string type)
    {
        var pem = _dir[$"{type}.pem"];
        var r = Resh.Ok(Resh.Run($"cert://{pem}", "selfsigned.create", "subject=CN=self.test", $"key_type={type}", "validity=30d"), changed: true);
        Assert.Equal("600", Tool.Mode(_dir[$"{type}.key"]));
        Assert.Equal("644", Tool.Mode(pem));
        var verify = Tool.Run("openssl", "verify", "-purpose", "sslserver", "-verify_hostname", "self.test", "-CAfile", pem, pem);
        Assert.True(verify.Exit == 0, verify.Stdout + verify.Stderr);
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", pem, "-noout", "-pubkey"), Tool.Ok("openssl", "pkey", "-in", _dir[$"{type}.key"], "-pubout"));
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha256").Trim().Split('=')[1], r.Str("fingerprint_sha256"));
        var enddate = Tool.Ok("openssl", "x509", "-in", pem, "-noout", "-checkend", (29 * 86400).ToString());
        Assert.Contains("will not expire", enddate);
        Assert.NotEqual(0, Tool.Run("openssl", "x509", "-in", pem, "-noout", "-checkend", (31 * 86400).ToString()).Exit);
        Assert.Equal(["DNS:self.test"], r["sans"]!.AsArray().Select(x => x!.GetValue<string>()));
        // resh's own reading agrees.
        var info = Resh.Ok(Resh.Run($"cert://{pem}.info"));
        Assert.True(info["certificate"]!.Flag("self_issued"));
        Assert.Equal(type, info["certificate"]!.Str("key_type"));
        Resh.Ok(Resh.Run($"cert://{pem}.match", $"key={_dir[$"{type}.key"]}"));
        Resh.Ok(Resh.Run($"cert://{pem}.verify", $"ca={pem}", "hostname=self.test"));
        // Idempotent; a different subject is a conflict unless forced.
        Resh.Ok(Resh.Run($"cert://{pem}", "selfsigned.create", "subject=CN=self.test", $"key_type={type}", "validity=30d"), changed: false);
        var before = File.ReadAllBytes(pem);
        Resh.Fails(Resh.Run($"cert://{pem}", "selfsigned.create", "subject=CN=other.test"), "conflict");
        Assert.Equal(before, File.ReadAllBytes(pem));
        Resh.Ok(Resh.Run($"cert://{pem}", "selfsigned.create", "subject=CN=other.test", "force=true"), changed: true);
        Assert.Contains("other.test", Tool.Ok("openssl", "x509", "-in", pem, "-noout", "-subject"));
    }
}
