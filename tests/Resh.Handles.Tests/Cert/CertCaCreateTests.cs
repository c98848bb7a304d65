using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// ca.create: files and modes checked with stat and openssl, idempotence, refusals.</summary>
public sealed class CertCaCreateTests : IDisposable
{
    readonly TempDir _dir = new("certca");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("ecdsa", "256")]
    [InlineData("rsa", "2048")]
    public void Creates_a_ca_openssl_accepts_with_a_0600_key(string type, string size)
    {
        var ca = _dir["ca.pem"];
        var r = Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Test CA,O=Resh", $"key_type={type}", $"key_size={size}"), changed: true);
        Assert.Equal(_dir["ca.key"], r.Str("key"));
        Assert.Equal("600", Tool.Mode(_dir["ca.key"]));
        Assert.Equal("644", Tool.Mode(ca));
        var text = Tool.Ok("openssl", "x509", "-in", ca, "-noout", "-text", "-nameopt", "RFC2253");
        Assert.Contains("CA:TRUE", text);
        Assert.Contains("Certificate Sign, CRL Sign", text);
        Assert.Contains("Subject: CN=Test CA,O=Resh", text);
        Assert.Contains($"({size} bit)", text);
        // The key belongs to the certificate, and the certificate verifies against itself.
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", ca, "-noout", "-pubkey"), Tool.Ok("openssl", "pkey", "-in", _dir["ca.key"], "-pubout"));
        Assert.Equal(0, Tool.Run("openssl", "verify", "-CAfile", ca, ca).Exit);
        Assert.Matches("^[0-9A-F]+\n$", File.ReadAllText(_dir["ca.srl"]));
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", ca, "-noout", "-fingerprint", "-sha256").Trim().Split('=')[1], r.Str("fingerprint_sha256"));
        Assert.DoesNotContain("PRIVATE KEY", Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Test CA,O=Resh").Stdout);
    }

    [Fact]
    public void A_second_run_changes_nothing_and_a_different_ca_is_a_conflict()
    {
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Test CA"), changed: true);
        var before = File.ReadAllBytes(_dir["ca.key"]);
        var again = Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Test CA"), changed: false);
        Assert.False(again.Flag("created"));
        Assert.Equal(before, File.ReadAllBytes(_dir["ca.key"]));
        Resh.Fails(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Other CA"), "conflict");
        Assert.Equal(before, File.ReadAllBytes(_dir["ca.key"]));
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Other CA", "force=true"), changed: true);
        Assert.NotEqual(before, File.ReadAllBytes(_dir["ca.key"]));
    }

    [Fact]
    public void Dry_run_writes_nothing()
    {
        var r = Resh.Ok(Resh.Run($"cert://{_dir["ca.pem"]}", "ca.create", "subject=CN=Dry CA", "--dry-run"), changed: true);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path));
        Assert.Equal(_dir["ca.key"], r.Str("key"));
    }

    [Fact]
    public void Bad_arguments_are_usage_errors()
    {
        Resh.Fails(Resh.Run($"cert://{_dir["ca.pem"]}", "ca.create", "subject=not a dn"), "usage");
        Resh.Fails(Resh.Run($"cert://{_dir["ca.pem"]}", "ca.create", "subject=CN=x", "key_type=rsa", "key_size=256"), "usage");
        Resh.Fails(Resh.Run($"cert://{_dir["ca.pem"]}", "ca.create"), "usage");
        Resh.Fails(Resh.Run($"cert://{_dir["nodir/ca.pem"]}", "ca.create", "subject=CN=x"), "not_found");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path));
    }
}
