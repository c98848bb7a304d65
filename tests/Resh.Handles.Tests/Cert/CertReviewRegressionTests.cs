using System.Numerics;
using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>Regression tests for the issue 12 review findings on cert:// (serial file, parallel CA use, wildcards, subjects).</summary>
public sealed class CertReviewRegressionTests : IDisposable
{
    readonly TempDir _dir = new("certreview");

    public void Dispose() => _dir.Dispose();

    string Csr(string name, string san)
    {
        var csr = _dir[name + ".csr"];
        Tool.Ok("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", _dir[name + ".key"],
            "-subj", "/CN=" + name, "-addext", $"subjectAltName={san}", "-out", csr);
        return csr;
    }

    static BigInteger Hex(string s) => BigInteger.Parse("0" + s.Trim(), System.Globalization.NumberStyles.HexNumber);

    string Serial(string pem) => Tool.Ok("openssl", "x509", "-in", pem, "-noout", "-serial").Trim().Split('=')[1];

    [Fact]
    public void The_serial_file_holds_the_last_serial_as_openssl_does_so_both_can_share_it()
    {
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Srl CA"));
        var csr = Csr("a", "DNS:a.test");
        Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir["r1.pem"]})"));
        Assert.Equal(Hex(Serial(_dir["r1.pem"])), Hex(File.ReadAllText(_dir["ca.srl"])));
        // openssl signs next with the same file, then resh again: three different serials, each one up.
        Tool.Ok("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", _dir["ca.key"], "-CAserial", _dir["ca.srl"], "-out", _dir["o.pem"], "-days", "10");
        Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir["r2.pem"]})"));
        var s = new[] { "r1.pem", "o.pem", "r2.pem" }.Select(f => Hex(Serial(_dir[f]))).ToList();
        Assert.Equal(s[0] + 1, s[1]);
        Assert.Equal(s[1] + 1, s[2]);
    }

    [Fact]
    public async Task Parallel_signs_never_share_a_serial_and_parallel_revokes_lose_no_entry()
    {
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Busy CA"));
        var csr = Csr("p", "DNS:p.test");
        var signs = Enumerable.Range(0, 8).Select(i => Task.Run(() => Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir[$"p{i}.pem"]})"))).ToArray();
        foreach (var r in await Task.WhenAll(signs)) Resh.Ok(r);
        var serials = Enumerable.Range(0, 8).Select(i => Serial(_dir[$"p{i}.pem"])).ToList();
        Assert.Equal(8, serials.Distinct().Count());

        var revokes = serials.Select(s => Task.Run(() => Resh.Run($"cert://{ca}", "revoke", $"serial={s}"))).ToArray();
        foreach (var r in await Task.WhenAll(revokes)) Resh.Ok(r, changed: true);
        var crl = Tool.Ok("openssl", "crl", "-in", _dir["ca.crl"], "-noout", "-text");
        foreach (var s in serials) Assert.Contains($"Serial Number: {s}", crl);
        Assert.Matches(@"CRL Number:\s*8\s", crl);
    }

    [Fact]
    public void Wildcards_follow_rfc_6125_when_signing_and_verifying()
    {
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Wild CA"));
        // A CSR asking for *.com (or * anywhere but the whole leftmost label) is refused; *.example.test is fine.
        foreach (var bad in new[] { "DNS:*.com", "DNS:*", "DNS:a*.b.test", "DNS:www.*.test" })
            Resh.Fails(Resh.Run($"cert://{ca}.sign(csr={Csr("bad" + Math.Abs(bad.GetHashCode()), bad)},out={_dir["bad.pem"]})"), "usage");
        Resh.Fails(Resh.Run($"cert://{_dir["w.csr"]}", "csr.create", "subject=CN=w", "sans=*.com"), "usage");
        Assert.False(File.Exists(_dir["bad.pem"]));
        Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={Csr("good", "DNS:*.example.test")},out={_dir["good.pem"]})"));
        Resh.Ok(Resh.Run($"cert://{_dir["good.pem"]}.verify", $"ca={ca}", "hostname=www.example.test"));
        foreach (var host in new[] { "example.test", "a.b.example.test" })
        {
            Resh.Fails(Resh.Run($"cert://{_dir["good.pem"]}.verify", $"ca={ca}", $"hostname={host}"), "conflict");
            Assert.NotEqual(0, Tool.Run("openssl", "verify", "-verify_hostname", host, "-CAfile", ca, _dir["good.pem"]).Exit);
        }
        // A *.com certificate made by openssl (not by resh) does not verify for google.com, as with openssl.
        Tool.Ok("openssl", "x509", "-req", "-in", Csr("com", "DNS:*.com"), "-CA", ca, "-CAkey", _dir["ca.key"], "-CAserial", _dir["ca.srl"],
            "-copy_extensions", "copy", "-out", _dir["com.pem"], "-days", "10");
        Assert.NotEqual(0, Tool.Run("openssl", "verify", "-verify_hostname", "google.com", "-CAfile", ca, _dir["com.pem"]).Exit);
        var error = Resh.Fails(Resh.Run($"cert://{_dir["com.pem"]}.verify", $"ca={ca}", "hostname=google.com"), "conflict");
        Assert.Contains("hostname_mismatch", error["details"]!["reasons"]!.AsArray().Select(x => x!.GetValue<string>()));
    }

    [Fact]
    public void A_multi_part_subject_written_without_spaces_is_the_same_ca_and_certificate()
    {
        var ca = _dir["ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Test CA,O=X"), changed: true);
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Test CA,O=X"), changed: false);
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Test CA, O=X"), changed: false);
        var pem = _dir["s.pem"];
        Resh.Ok(Resh.Run($"cert://{pem}", "selfsigned.create", "subject=CN=s.test,O=X"), changed: true);
        Resh.Ok(Resh.Run($"cert://{pem}", "selfsigned.create", "subject=CN=s.test,O=X"), changed: false);
    }
}
