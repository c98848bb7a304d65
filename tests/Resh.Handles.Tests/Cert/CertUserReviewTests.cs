using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>Issue 12 user review #5, #6, #7, #8, #11, #13 on cert://, each checked against openssl where it has an answer.</summary>
public sealed class CertUserReviewTests(CertCorpus corpus) : IClassFixture<CertCorpus>, IDisposable
{
    readonly TempDir _dir = new("certuser");

    public void Dispose() => _dir.Dispose();

    static List<string> Warnings(ReshRun run) => run.Envelope["warnings"]?.AsArray().Select(w => w!.GetValue<string>()).ToList() ?? [];

    static List<string> Strings(JsonNode? array) => array!.AsArray().Select(x => x!.GetValue<string>()).ToList();

    string Ca(string name = "ca")
    {
        var ca = _dir[name + ".pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", $"subject=CN={name} Review CA"));
        return ca;
    }

    static DateTime OpensslDate(string pem, string which) =>
        DateTime.ParseExact(Tool.Ok("openssl", "x509", "-in", pem, "-noout", "-" + which).Trim().Split('=')[1].Replace("  ", " "),
            "MMM d HH:mm:ss yyyy 'GMT'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    [Fact]
    public void Email_and_uri_sans_are_reported_and_signed_as_the_csr_asks()
    {
        var ca = Ca();
        var csr = _dir["mail.csr"];
        var made = Resh.Ok(Resh.Run($"cert://{csr}", "csr.create", "subject=CN=mail.test", "sans=mail.test,email:ops@lab.test,URI:https://lab.test/id"));
        Assert.Equal(["DNS:mail.test", "email:ops@lab.test", "URI:https://lab.test/id"], Strings(made["sans"]));
        Assert.Contains("email:ops@lab.test", Tool.Ok("openssl", "req", "-in", csr, "-noout", "-text"));

        var signed = Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir["mail.pem"]})"));
        Assert.Contains("email:ops@lab.test", Strings(signed["sans"]));
        var text = Tool.Ok("openssl", "x509", "-in", _dir["mail.pem"], "-noout", "-ext", "subjectAltName");
        Assert.Contains("email:ops@lab.test", text);
        Assert.Contains("URI:https://lab.test/id", text);
        var info = Resh.Ok(Resh.Run($"cert://{_dir["mail.pem"]}.info"));
        var sans = Strings(info["certificate"]!["sans"]);
        Assert.Equal(["DNS:mail.test", "email:ops@lab.test", "URI:https://lab.test/id"], sans);
    }

    [Fact]
    public void A_not_yet_valid_certificate_is_only_not_yet_valid_and_expiry_says_so()
    {
        var (exit, stdout, stderr) = Tool.Run("openssl", "verify", "-CAfile", corpus["root.pem"], "-untrusted", corpus["inter.pem"], corpus["future-chain.pem"]);
        var output = stdout + stderr;
        Assert.NotEqual(0, exit);
        Assert.Contains("error 9", output);
        Assert.DoesNotContain("error 10", output);
        var error = Resh.Fails(Resh.Run($"cert://{corpus["future-chain.pem"]}.verify", $"ca={corpus["root.pem"]}"), "conflict");
        Assert.Equal(["not_yet_valid"], Strings(error["details"]!["reasons"]));

        var expiry = Resh.Run($"cert://{corpus["future-chain.pem"]}.expiry");
        Assert.Equal(5, expiry.ExitCode);
        var e = Resh.Fails(expiry, "conflict");
        Assert.True(e["details"]!.Flag("not_yet_valid"));
        Assert.Contains("not valid yet", e.Str("message"));
        var good = Resh.Ok(Resh.Run($"cert://{corpus["chain.pem"]}.expiry"));
        Assert.False(good.Flag("not_yet_valid"));
    }

    [Fact]
    public void Expiry_raw_prints_the_days_left_below_warn_days_with_exit_5()
    {
        var raw = Resh.Run($"cert://{corpus["chain.pem"]}.expiry", "warn_days=1000", "--format", "raw");
        Assert.Equal(5, raw.ExitCode);
        var days = long.Parse(raw.Stdout.Trim(), CultureInfo.InvariantCulture);
        Assert.InRange(days, 88, 90);
        var error = Resh.Fails(Resh.Run($"cert://{corpus["chain.pem"]}.expiry", "warn_days=1000"), "conflict");
        Assert.Contains("acme.renew", error.Str("hint"));
        Assert.Equal(0, Resh.Run("cert://x.pem", "acme.renew", "--help").ExitCode); // the verb the hint names exists
    }

    [Fact]
    public void Renewing_again_and_again_keeps_the_validity_length_and_warns_when_always_due()
    {
        var ca = Ca();
        Resh.Ok(Resh.Run($"cert://{_dir["r.csr"]}", "csr.create", "subject=CN=r.test", "sans=r.test"));
        var leaf = _dir["r.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}.sign(csr={_dir["r.csr"]},out={leaf},validity=30d)"));
        var length = OpensslDate(leaf, "enddate") - OpensslDate(leaf, "startdate");
        for (int i = 0; i < 2; i++)
        {
            var r = Resh.Run($"cert://{leaf}", "renew", $"ca={ca}", "force=true");
            Resh.Ok(r, changed: true);
            Assert.Empty(Warnings(r));
            Assert.Equal(length, OpensslDate(leaf, "enddate") - OpensslDate(leaf, "startdate"));
        }
        // days=40 on a 30-day certificate: due on every run, and it says so.
        var due = Resh.Run($"cert://{leaf}", "renew", $"ca={ca}", "days=40");
        Resh.Ok(due, changed: true);
        Assert.Contains(Warnings(due), w => w.Contains("days=40") && w.Contains("every run"));
    }

    [Fact]
    public void A_validity_past_the_cas_expiry_is_cut_with_a_warning()
    {
        var ca = _dir["short-ca.pem"];
        Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Short CA", "validity=100d"));
        Resh.Ok(Resh.Run($"cert://{_dir["l.csr"]}", "csr.create", "subject=CN=l.test", "sans=l.test"));
        var run = Resh.Run($"cert://{ca}.sign(csr={_dir["l.csr"]},out={_dir["l.pem"]},validity=100000d)");
        Resh.Ok(run, changed: true);
        Assert.Contains(Warnings(run), w => w.Contains("CA's own expiry"));
        Assert.Equal(OpensslDate(ca, "enddate"), OpensslDate(_dir["l.pem"], "enddate"));
        var fits = Resh.Run($"cert://{ca}.sign(csr={_dir["l.csr"]},out={_dir["l2.pem"]},validity=30d)");
        Assert.Empty(Warnings(fits));
    }

    [Fact]
    public void A_cn_only_csr_is_signed_with_a_warning_and_verify_explains_the_missing_cn_fallback()
    {
        var ca = Ca();
        var csr = _dir["cn.csr"];
        Tool.Ok("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", _dir["cn.key"], "-subj", "/CN=cnonly.test", "-out", csr);
        var run = Resh.Run($"cert://{ca}.sign(csr={csr},out={_dir["cn.pem"]},chain=true)");
        Resh.Ok(run, changed: true);
        Assert.Contains(Warnings(run), w => w.Contains("no subject alternative names"));

        // openssl falls back to the CN when there is no SAN; resh does not (RFC 6125), and says so.
        Assert.Equal(0, Tool.Run("openssl", "verify", "-CAfile", ca, "-verify_hostname", "cnonly.test", _dir["cn.pem"]).Exit);
        var verify = Resh.Run($"cert://{_dir["cn.pem"]}.verify", $"ca={ca}", "hostname=cnonly.test");
        var error = Resh.Fails(verify, "conflict");
        Assert.Equal(["hostname_mismatch"], Strings(error["details"]!["reasons"]));
        Assert.Contains(Warnings(verify), w => w.Contains("CN") && w.Contains("openssl"));
    }
}
