using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// convert between PEM, DER and PKCS#12, checked with openssl x509 / pkcs12 / pkey.</summary>
public sealed class CertConvertTests : IDisposable
{
    readonly TempDir _dir = new("certconv");
    const string Canary = "p12-out-canary-Q7";

    public void Dispose() => _dir.Dispose();

    (string Ca, string Leaf, string Key) Issue(string keyType)
    {
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Conv CA"));
        Resh.Ok(Resh.Run($"cert://{_dir["l.csr"]}", "csr.create", "subject=CN=conv.test", "sans=conv.test", $"key_type={keyType}"));
        Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={_dir["l.csr"]},out={_dir["l.pem"]})"));
        return (ca, _dir["l.pem"], _dir["l.key"]);
    }

    [Theory]
    [InlineData("ecdsa")]
    [InlineData("rsa")]
    [InlineData("ed25519")]
    public void Pem_to_pkcs12_with_key_and_chain_and_back(string keyType)
    {
        var (ca, leaf, key) = Issue(keyType);
        var env = new Dictionary<string, string> { ["P12"] = Canary };
        var p12 = _dir["l.p12"];
        var run = Resh.WithEnv(env, $"cert://{leaf}", "convert", $"out={p12}", $"key={key}", $"chain={ca}", "out_password=env:P12");
        var r = Resh.Ok(run, changed: true);
        Assert.DoesNotContain(Canary, run.Stdout + run.Stderr);
        Assert.Equal("pkcs12", r.Str("format"));
        Assert.Equal(2, r.Num("certificates"));
        Assert.Equal("600", Tool.Mode(p12));
        // openssl opens it with the password: two certificates and the key that belongs to the leaf.
        var dump = Tool.Run("env", $"P12={Canary}", "openssl", "pkcs12", "-in", p12, "-passin", "env:P12", "-nodes");
        Assert.True(dump.Exit == 0, dump.Stderr);
        Assert.Equal(2, dump.Stdout.Split("BEGIN CERTIFICATE").Length - 1);
        Assert.Contains("BEGIN PRIVATE KEY", dump.Stdout);
        File.WriteAllText(_dir["dump.pem"], dump.Stdout);
        Assert.Equal(Tool.Ok("openssl", "pkey", "-in", key, "-pubout"), Tool.Ok("openssl", "pkey", "-in", _dir["dump.pem"], "-pubout"));
        Assert.NotEqual(0, Tool.Run("openssl", "pkcs12", "-in", p12, "-passin", "pass:wrong", "-nodes").Exit);

        // Back to PEM: leaf, chain and key, 0600 because it holds the key.
        var back = _dir["back.pem"];
        Resh.Ok(Resh.WithEnv(env, $"cert://{p12}", "convert", $"out={back}", "password=env:P12"), changed: true);
        Assert.Equal("600", Tool.Mode(back));
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", leaf, "-noout", "-fingerprint", "-sha256"), Tool.Ok("openssl", "x509", "-in", back, "-noout", "-fingerprint", "-sha256"));
        Assert.Equal(Tool.Ok("openssl", "pkey", "-in", key, "-pubout"), Tool.Ok("openssl", "pkey", "-in", back, "-pubout"));
        Resh.Ok(Resh.WithEnv(env, $"cert://{p12}", "convert", $"out={back}", "password=env:P12"), changed: false);
        // Missing password: usage; a wrong one: permission_denied (a bad credential, SPEC §3; user review #14). Nothing written.
        Resh.Fails(Resh.Run($"cert://{p12}", "convert", $"out={_dir["x.pem"]}"), "usage");
        Resh.Fails(Resh.WithEnv(new Dictionary<string, string> { ["P12"] = "nope" }, $"cert://{p12}", "convert", $"out={_dir["x.pem"]}", "password=env:P12"), "permission_denied");
        Assert.False(File.Exists(_dir["x.pem"]));
    }

    [Fact]
    public void Pem_to_der_and_back_and_an_openssl_pkcs12_is_read()
    {
        var (ca, leaf, key) = Issue("ecdsa");
        var der = _dir["l.der"];
        Resh.Ok(Resh.Run($"cert://{leaf}", "convert", $"out={der}"), changed: true);
        Assert.Equal("644", Tool.Mode(der));
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", leaf, "-noout", "-fingerprint", "-sha256"), Tool.Ok("openssl", "x509", "-inform", "DER", "-in", der, "-noout", "-fingerprint", "-sha256"));
        var pem = _dir["again.pem"];
        Resh.Ok(Resh.Run($"cert://{der}", "convert", $"out={pem}"));
        Assert.Equal(File.ReadAllText(leaf), File.ReadAllText(pem));
        // A key to DER is PKCS#8, 0600.
        Resh.Ok(Resh.Run($"cert://{key}", "convert", $"out={_dir["k.der"]}"));
        Assert.Equal("600", Tool.Mode(_dir["k.der"]));
        Assert.Equal(Tool.Ok("openssl", "pkey", "-in", key, "-pubout"), Tool.Ok("openssl", "pkey", "-inform", "DER", "-in", _dir["k.der"], "-pubout"));
        // openssl's own PKCS#12 (its default PBES2 AES) opens, and a mismatched key is refused.
        var op12 = _dir["o.p12"];
        Tool.Ok("openssl", "pkcs12", "-export", "-in", leaf, "-inkey", key, "-certfile", ca, "-passout", $"pass:{Canary}", "-out", op12);
        var env = new Dictionary<string, string> { ["P12"] = Canary };
        var r = Resh.Ok(Resh.WithEnv(env, $"cert://{op12}", "convert", $"out={_dir["o.pem"]}", "password=env:P12", "no_key=true"));
        Assert.False(r.Flag("key"));
        Assert.Equal("644", Tool.Mode(_dir["o.pem"]));
        Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(_dir["o.pem"]));
        Resh.Ok(Resh.Run($"cert://{_dir["other.key"]}", "key.create"));
        Resh.Fails(Resh.WithEnv(env, $"cert://{leaf}", "convert", $"out={_dir["m.p12"]}", $"key={_dir["other.key"]}", "out_password=env:P12"), "usage");
        Resh.Fails(Resh.Run($"cert://{leaf}", "convert", $"out={_dir["m.p12"]}", $"key={key}"), "usage"); // no password
        Assert.False(File.Exists(_dir["m.p12"]));
    }

    [Fact]
    public void An_openssl_pkcs12_with_an_ed25519_key_is_read_whole()
    {
        var (ca, leaf, key) = Issue("ed25519");
        var op12 = _dir["ed.p12"];
        Tool.Ok("openssl", "pkcs12", "-export", "-in", leaf, "-inkey", key, "-certfile", ca, "-passout", $"pass:{Canary}", "-out", op12);
        var env = new Dictionary<string, string> { ["P12"] = Canary };
        var pem = _dir["ed.pem"];
        var r = Resh.Ok(Resh.WithEnv(env, $"cert://{op12}", "convert", $"out={pem}", "password=env:P12"), changed: true);
        Assert.True(r.Flag("key"));
        Assert.Equal(2, r.Num("certificates"));
        Assert.Equal("600", Tool.Mode(pem));
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", leaf, "-noout", "-fingerprint", "-sha256"), Tool.Ok("openssl", "x509", "-in", pem, "-noout", "-fingerprint", "-sha256"));
        Assert.Equal(Tool.Ok("openssl", "pkey", "-in", key, "-pubout"), Tool.Ok("openssl", "pkey", "-in", pem, "-pubout"));
        // cert.info reads the same bundle (s39 user review D4: it answered a wrong password).
        var info = Resh.Ok(Resh.WithEnv(env, $"cert://{op12}", "info", "password=env:P12"));
        Assert.Contains("conv.test", info.ToJsonString());
        // The wrong password opens nothing and writes nothing.
        Resh.Fails(Resh.WithEnv(new Dictionary<string, string> { ["P12"] = "nope" }, $"cert://{op12}", "convert", $"out={_dir["x.pem"]}", "password=env:P12"), "permission_denied");
        Assert.False(File.Exists(_dir["x.pem"]));
    }

    [Fact]
    public void A_planted_symlink_at_out_is_refused()
    {
        var (_, leaf, key) = Issue("ecdsa");
        var victim = _dir["victim"];
        File.WriteAllText(victim, "precious\n");
        var link = _dir["out.pem"];
        File.CreateSymbolicLink(link, victim);
        Resh.Fails(Resh.Run($"cert://{leaf}", "convert", $"out={link}", $"key={key}"), "conflict");
        Assert.Equal("precious\n", File.ReadAllText(victim));
    }
}
