using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// renew, revoke and crl.create with a local CA, checked with openssl x509 / crl / verify -crl_check.</summary>
public sealed class CertRenewRevokeTests : IDisposable
{
    readonly TempDir _dir = new("certrenew");

    public void Dispose() => _dir.Dispose();

    string Serial(string pem) => Tool.Ok("openssl", "x509", "-in", pem, "-noout", "-serial").Trim().Split('=')[1];

    (string Ca, string Leaf) Issue(string keyType, string validity)
    {
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Renew CA", $"key_type={(keyType == "ed25519" ? "ecdsa" : keyType)}"));
        var csr = _dir["web.csr"];
        Resh.Ok(Resh.Run($"cert://{csr}", "csr.create", "subject=CN=web.test", "sans=web.test,127.0.0.1", $"key_type={keyType}"));
        Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir["web.pem"]},validity={validity},chain=true)"));
        return (ca, _dir["web.pem"]);
    }

    [Theory]
    [InlineData("ecdsa")]
    [InlineData("ed25519")]
    public void Renew_keeps_subject_sans_and_key_with_a_new_serial_and_validity_only_when_due(string keyType)
    {
        var (ca, leaf) = Issue(keyType, "20d");
        var oldSerial = Serial(leaf);
        var oldPub = Tool.Ok("openssl", "x509", "-in", leaf, "-noout", "-pubkey");
        // Not due with days=10: nothing changes.
        var notDue = Resh.Ok(Resh.Run($"cert://{leaf}", "renew", $"ca={ca}", "days=10"), changed: false);
        Assert.False(notDue.Flag("renewed"));
        Assert.Equal(oldSerial, Serial(leaf));
        // Due (default days=30 > 20 left): renewed for the same length, new serial, same key, subject and SANs.
        var r = Resh.Ok(Resh.Run($"cert://{leaf}", "renew", $"ca={ca}"), changed: true);
        Assert.True(r.Flag("renewed"));
        var newSerial = Serial(leaf);
        Assert.NotEqual(oldSerial, newSerial);
        Assert.Equal(newSerial, r.Str("serial"));
        Assert.Equal(oldPub, Tool.Ok("openssl", "x509", "-in", leaf, "-noout", "-pubkey"));
        var text = Tool.Ok("openssl", "x509", "-in", leaf, "-noout", "-text");
        Assert.Contains("DNS:web.test, IP Address:127.0.0.1", text);
        Assert.Contains("CN=web.test", Tool.Ok("openssl", "x509", "-in", leaf, "-noout", "-subject", "-nameopt", "RFC2253"));
        Assert.Equal(2, File.ReadAllText(leaf).Split("BEGIN CERTIFICATE").Length - 1); // the chain is kept
        var verify = Tool.Run("openssl", "verify", "-purpose", "sslserver", "-verify_hostname", "web.test", "-CAfile", ca, leaf);
        Assert.True(verify.Exit == 0, verify.Stdout + verify.Stderr);
        Assert.InRange(r.Num("days_left"), 18, 20);
        // force=true with a new validity renews at once.
        var forced = Resh.Ok(Resh.Run($"cert://{leaf}", "renew", $"ca={ca}", "force=true", "validity=400d"), changed: true);
        Assert.InRange(forced.Num("days_left"), 398, 400);
        // Another CA is refused.
        Resh.Ok(Resh.Run($"cert://{_dir["other.pem"]}", "ca.create", "subject=CN=Other CA"));
        Resh.Fails(Resh.Run($"cert://{leaf}", "renew", $"ca={_dir["other.pem"]}", "force=true"), "usage");
    }

    [Fact]
    public void A_self_signed_certificate_is_renewed_with_its_own_key()
    {
        var pem = _dir["self.pem"];
        Resh.Ok(Resh.Run($"cert://{pem}", "selfsigned.create", "subject=CN=self.test", "validity=5d"));
        var before = Serial(pem);
        var r = Resh.Ok(Resh.Run($"cert://{pem}", "renew", "validity=90d"), changed: true);
        Assert.NotEqual(before, Serial(pem));
        Assert.InRange(r.Num("days_left"), 88, 90);
        Assert.Equal(0, Tool.Run("openssl", "verify", "-CAfile", pem, pem).Exit);
        Resh.Ok(Resh.Run($"cert://{pem}", "renew"), changed: false);
    }

    [Fact]
    public void Revoke_writes_a_crl_openssl_accepts_and_both_verifiers_refuse_the_revoked_certificate()
    {
        var (ca, leaf) = Issue("ecdsa", "90d");
        var crl = _dir["ca.crl"];
        var empty = Resh.Ok(Resh.Run($"cert://{ca}", "crl.create"), changed: true);
        Assert.Equal(0, empty.Num("entries"));
        Assert.Equal(1, empty.Num("crl_number"));
        var ok = Tool.Run("openssl", "verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, leaf);
        Assert.True(ok.Exit == 0, ok.Stdout + ok.Stderr);
        Resh.Ok(Resh.Run($"cert://{leaf}.verify", $"ca={ca}", $"crl={crl}", "hostname=web.test"));

        var r = Resh.Ok(Resh.Run($"cert://{ca}", "revoke", $"cert={leaf}", "reason=key_compromise"), changed: true);
        Assert.Equal(Serial(leaf), r.Str("serial"));
        var crlText = Tool.Ok("openssl", "crl", "-in", crl, "-noout", "-text");
        Assert.Contains($"Serial Number: {Serial(leaf)}", crlText);
        Assert.Contains("Key Compromise", crlText);
        Assert.Matches(@"CRL Number:\s*2\s", crlText);
        Assert.Equal(0, Tool.Run("openssl", "crl", "-in", crl, "-noout", "-CAfile", ca).Exit); // signature verifies
        var bad = Tool.Run("openssl", "verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, leaf);
        Assert.NotEqual(0, bad.Exit);
        Assert.Contains("revoked", bad.Stdout + bad.Stderr);
        var error = Resh.Fails(Resh.Run($"cert://{leaf}.verify", $"ca={ca}", $"crl={crl}"), "conflict");
        Assert.Contains("revoked", error["details"]!["reasons"]!.AsArray().Select(x => x!.GetValue<string>()));
        // Revoking again changes nothing; by serial works too; without crl= verify does not know.
        Resh.Ok(Resh.Run($"cert://{ca}", "revoke", $"serial={Serial(leaf)}"), changed: false);
        Resh.Ok(Resh.Run($"cert://{leaf}.verify", $"ca={ca}"));
        // A CRL of another CA does not cover the leaf; a tampered CRL is refused.
        Resh.Ok(Resh.Run($"cert://{_dir["o.pem"]}", "ca.create", "subject=CN=Renew CA", "force=true", $"key={_dir["o.key"]}"));
        Resh.Ok(Resh.Run($"cert://{_dir["o.pem"]}", "crl.create"));
        var wrong = Resh.Fails(Resh.Run($"cert://{leaf}.verify", $"ca={ca}", $"crl={_dir["o.crl"]}"), "conflict");
        Assert.Contains("crl_bad_signature", wrong["details"]!["reasons"]!.AsArray().Select(x => x!.GetValue<string>()));
        Resh.Fails(Resh.Run($"cert://{ca}", "revoke", $"serial=01", $"crl={_dir["o.crl"]}"), "conflict");
        // The CA's own CRL still holds one entry after the refusals.
        Assert.Equal(1, Resh.Ok(Resh.Run($"cert://{ca}", "crl.create")).Num("entries"));
    }

    [Fact]
    public void An_ed25519_ca_signs_and_revokes()
    {
        // ca.create has no ed25519 yet; make one with openssl and use it as the local CA.
        var ca = _dir["ed-ca.pem"];
        Tool.Ok("openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", _dir["ed-ca.key"], "-out", ca, "-subj", "/CN=Ed CA",
            "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        var csr = _dir["e.csr"];
        Resh.Ok(Resh.Run($"cert://{csr}", "csr.create", "subject=CN=e.test", "sans=e.test", "key_type=ed25519"));
        Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir["e.pem"]})"));
        var verify = Tool.Run("openssl", "verify", "-verify_hostname", "e.test", "-CAfile", ca, _dir["e.pem"]);
        Assert.True(verify.Exit == 0, verify.Stdout + verify.Stderr);
        Resh.Ok(Resh.Run($"cert://{ca}", "revoke", $"cert={_dir["e.pem"]}"), changed: true);
        Assert.NotEqual(0, Tool.Run("openssl", "verify", "-crl_check", "-CAfile", ca, "-CRLfile", _dir["ed-ca.crl"], _dir["e.pem"]).Exit);
        Assert.Equal(0, Tool.Run("openssl", "crl", "-in", _dir["ed-ca.crl"], "-noout", "-CAfile", ca).Exit);
        Resh.Fails(Resh.Run($"cert://{_dir["e.pem"]}.verify", $"ca={ca}", $"crl={_dir["ed-ca.crl"]}"), "conflict");
    }
}
