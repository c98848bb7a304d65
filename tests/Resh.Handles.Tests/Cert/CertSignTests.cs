using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// sign: a CSR made by openssl, signed by a CA made by ca.create, checked with openssl verify.</summary>
public sealed class CertSignTests : IDisposable
{
    readonly TempDir _dir = new("certsign");

    public void Dispose() => _dir.Dispose();

    string Csr(string name, string subject, string san)
    {
        var csr = _dir[name + ".csr"];
        Tool.Ok("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", _dir[name + ".key"],
            "-subj", subject, "-addext", $"subjectAltName={san}", "-out", csr);
        return csr;
    }

    [Fact]
    public void A_signed_certificate_verifies_with_openssl_and_serials_advance()
    {
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Sign CA"), changed: true);
        var csr = Csr("web", "/CN=web.test", "DNS:web.test,IP:127.0.0.1");
        var r = Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir["web.pem"]})"), changed: true);
        Assert.Equal(["DNS:web.test", "IP:127.0.0.1"], r["sans"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(["server_auth"], r["extended_key_usage"]!.AsArray().Select(x => x!.GetValue<string>()));
        var verify = Tool.Run("openssl", "verify", "-purpose", "sslserver", "-verify_hostname", "web.test", "-CAfile", ca, _dir["web.pem"]);
        Assert.True(verify.Exit == 0, verify.Stdout + verify.Stderr);
        // The key of the CSR belongs to the certificate.
        Assert.Equal(Tool.Ok("openssl", "x509", "-in", _dir["web.pem"], "-noout", "-pubkey"), Tool.Ok("openssl", "pkey", "-in", _dir["web.key"], "-pubout"));
        var serial1 = Tool.Ok("openssl", "x509", "-in", _dir["web.pem"], "-noout", "-serial").Trim().Split('=')[1];
        Assert.Equal(serial1, r.Str("serial"));

        var client = Resh.Ok(Resh.Run($"cert://{ca}", "sign", $"csr={csr}", $"out={_dir["client.pem"]}", "eku=client", "validity=30d", "chain=true"));
        var serial2 = client.Str("serial");
        Assert.Equal(System.Numerics.BigInteger.Parse("0" + serial1, System.Globalization.NumberStyles.HexNumber) + 1,
            System.Numerics.BigInteger.Parse("0" + serial2, System.Globalization.NumberStyles.HexNumber));
        Assert.Equal(0, Tool.Run("openssl", "verify", "-purpose", "sslclient", "-CAfile", ca, _dir["client.pem"]).Exit);
        Assert.NotEqual(0, Tool.Run("openssl", "verify", "-purpose", "sslserver", "-CAfile", ca, _dir["client.pem"]).Exit);
        Assert.Equal(2, File.ReadAllText(_dir["client.pem"]).Split("BEGIN CERTIFICATE").Length - 1);
        // The resh verify of the new chain agrees.
        Resh.Ok(Resh.Run($"cert://{_dir["web.pem"]}.verify", $"ca={ca}", "hostname=web.test"));
    }

    [Fact]
    public void A_tampered_csr_a_non_ca_and_a_wrong_key_are_refused()
    {
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Sign CA"));
        var csr = Csr("web", "/CN=web.test", "DNS:web.test");
        var text = File.ReadAllText(csr);
        var lines = text.Split('\n');
        var mid = lines[3].ToCharArray();
        mid[10] = mid[10] == 'A' ? 'B' : 'A';
        lines[3] = new string(mid);
        File.WriteAllText(_dir["bad.csr"], string.Join('\n', lines));
        Resh.Fails(Resh.Run($"cert://{ca}.sign(csr={_dir["bad.csr"]},out={_dir["x.pem"]})"), "usage");
        Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir["leaf.pem"]})"));
        Resh.Fails(Resh.Run($"cert://{_dir["leaf.pem"]}.sign(csr={csr},out={_dir["x.pem"]},ca_key={_dir["web.key"]})"), "usage");
        Resh.Fails(Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir["x.pem"]},ca_key={_dir["web.key"]})"), "usage");
        Assert.False(File.Exists(_dir["x.pem"]));
    }
}
