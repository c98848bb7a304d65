using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Handles.Tests.FileScheme;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// info and expiry on files, field by field against `openssl x509`.</summary>
public sealed class CertInfoTests(CertCorpus corpus) : IClassFixture<CertCorpus>
{
    /// <summary>What `openssl x509` says about one certificate.</summary>
    internal static Dictionary<string, string> OpenSsl(string path, string inform = "PEM")
    {
        var o = Tool.Ok("openssl", "x509", "-in", path, "-inform", inform, "-noout", "-nameopt", "RFC2253",
            "-subject", "-issuer", "-serial", "-enddate", "-startdate", "-fingerprint", "-sha256");
        var sha1 = Tool.Ok("openssl", "x509", "-in", path, "-inform", inform, "-noout", "-fingerprint", "-sha1");
        var text = Tool.Ok("openssl", "x509", "-in", path, "-inform", inform, "-noout", "-text");
        var d = new Dictionary<string, string>();
        foreach (var line in o.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var i = line.IndexOf('=');
            d[line[..i].Trim()] = line[(i + 1)..].Trim();
        }
        d["sha1"] = sha1.Trim()[(sha1.IndexOf('=') + 1)..];
        d["bits"] = Regex.Match(text, @"Public-Key: \((\d+) bit\)").Groups[1].Value;
        d["sigalg"] = Regex.Match(text, @"Signature Algorithm: (\S+)").Groups[1].Value;
        d["san"] = Regex.Match(text, @"X509v3 Subject Alternative Name:.*\n\s*(.*)").Groups[1].Value.Trim();
        d["ca"] = text.Contains("CA:TRUE") ? "true" : "false";
        return d;
    }

    static string Rfc3339(string opensslDate) =>
        DateTime.ParseExact(Regex.Replace(opensslDate.Replace(" GMT", ""), @"\s+", " "), "MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture)
            .ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    static string Dn(string s) => Regex.Replace(s, @",\s*", ",");

    internal static void AssertAgrees(Dictionary<string, string> ssl, JsonNode c)
    {
        Assert.Equal(Dn(ssl["subject"]), Dn(c.Str("subject")));
        Assert.Equal(Dn(ssl["issuer"]), Dn(c.Str("issuer")));
        Assert.Equal(ssl["serial"], c.Str("serial"));
        Assert.Equal(Rfc3339(ssl["notAfter"]), c.Str("not_after"));
        Assert.Equal(Rfc3339(ssl["notBefore"]), c.Str("not_before"));
        Assert.Equal(ssl["sha256 Fingerprint"], c.Str("fingerprint_sha256"));
        Assert.Equal(ssl["sha1"], c.Str("fingerprint_sha1"));
        Assert.Equal(ssl["bits"], c["key_size"]!.ToString());
        Assert.Equal(ssl["sigalg"], c.Str("signature_algorithm"));
        Assert.Equal(ssl["ca"], c["is_ca"]!.ToString().ToLowerInvariant());
        var sans = string.Join(", ", c["sans"]!.AsArray().Select(s => s!.GetValue<string>().Replace("IP:", "IP Address:")));
        Assert.Equal(ssl["san"], sans);
    }

    [Theory]
    [InlineData("leaf.pem")]
    [InlineData("root.pem")]
    [InlineData("rsa.pem")]
    [InlineData("expired-chain.pem")]
    public void Info_agrees_with_openssl_x509_field_by_field(string name)
    {
        var r = Resh.Ok(Resh.Run($"cert://{corpus[name]}.info"), changed: false);
        Assert.Equal("pem", r.Str("format"));
        AssertAgrees(OpenSsl(corpus[name]), r["certificate"]!);
    }

    [Fact]
    public void The_snakeoil_certificate_agrees_with_openssl()
    {
        const string snakeoil = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
        var r = Resh.Ok(Resh.Run($"cert://{snakeoil}.info"));
        AssertAgrees(OpenSsl(snakeoil), r["certificate"]!);
        Assert.Equal("rsa", r["certificate"]!.Str("key_type"));
    }

    [Fact]
    public void A_chain_lists_every_certificate_in_file_order_with_usages()
    {
        var r = Resh.Ok(Resh.Run($"cert://{corpus["chain.pem"]}.info"));
        var chain = r["chain"]!.AsArray();
        Assert.Equal(2, chain.Count);
        Assert.Equal("CN=localhost", chain[0]!.Str("subject"));
        Assert.Equal("CN=Resh Test Intermediate, O=Resh", chain[1]!.Str("subject"));
        Assert.True(chain[1]!.Flag("is_ca"));
        Assert.Equal(["digital_signature"], chain[0]!["key_usage"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(["server_auth"], chain[0]!["extended_key_usage"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(["key_cert_sign", "crl_sign"], chain[1]!["key_usage"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal("ecdsa", chain[0]!.Str("key_type"));
        Assert.Equal("P-256", chain[0]!.Str("curve"));
        var days = chain[0]!.Num("days_left");
        Assert.InRange(days, 89, 90);
        Assert.False(chain[0]!.Flag("expired"));
    }

    [Fact]
    public void Der_and_pkcs12_read_the_same_certificate()
    {
        var pem = Resh.Ok(Resh.Run($"cert://{corpus["leaf.pem"]}.info"))["certificate"]!.Str("fingerprint_sha256");
        var der = Resh.Ok(Resh.Run($"cert://{corpus["leaf.der"]}.info"));
        Assert.Equal("der", der.Str("format"));
        AssertAgrees(OpenSsl(corpus["leaf.der"], "DER"), der["certificate"]!);

        var p12 = Resh.WithEnv(new Dictionary<string, string> { ["P12PASS"] = CertCorpus.P12Password },
            $"cert://{corpus["leaf.p12"]}.info", "password=env:P12PASS");
        var result = Resh.Ok(p12);
        Assert.Equal("pkcs12", result.Str("format"));
        Assert.Equal(pem, result["certificate"]!.Str("fingerprint_sha256"));
        Assert.Equal(2, result["chain"]!.AsArray().Count);
        Assert.Equal("ecdsa", result["keys"]![0]!.Str("type"));
        Assert.DoesNotContain(CertCorpus.P12Password, p12.Stdout + p12.Stderr);

        var missing = Resh.Fails(Resh.Run($"cert://{corpus["leaf.p12"]}.info"), "usage");
        Assert.Contains("password", missing.Str("message"));
        var wrong = Resh.WithEnv(new Dictionary<string, string> { ["P12PASS"] = "wrong" }, $"cert://{corpus["leaf.p12"]}.info", "password=env:P12PASS");
        // A wrong password is a bad credential (SPEC §3): permission_denied, as a rejected login is (user review #14).
        Assert.Contains("password", Resh.Fails(wrong, "permission_denied").Str("message"));
    }

    [Fact]
    public void Keys_are_described_never_printed()
    {
        var key = File.ReadAllText(corpus["leaf-and-key.pem"]);
        var body = key[key.IndexOf("-----BEGIN PRIVATE KEY-----", StringComparison.Ordinal)..].Split('\n')[1];
        var run = Resh.Run($"cert://{corpus["leaf-and-key.pem"]}.info");
        var r = Resh.Ok(run);
        Assert.Equal("CN=localhost", r["certificate"]!.Str("subject"));
        var k = r["keys"]![0]!;
        Assert.Equal("ecdsa", k.Str("type"));
        Assert.Equal("P-256", k.Str("curve"));
        Assert.False(k.Flag("encrypted"));
        Assert.DoesNotContain(body, run.Stdout + run.Stderr);

        var rsa = Resh.Ok(Resh.Run($"cert://{corpus["rsa.key"]}.info"))["keys"]![0]!;
        Assert.Equal("rsa", rsa.Str("type"));
        Assert.Equal(2048, rsa.Num("size"));
        Assert.Null(Resh.Ok(Resh.Run($"cert://{corpus["rsa.key"]}.info"))["certificate"]);
    }

    [Fact]
    public void A_csr_made_by_openssl_is_described()
    {
        var csr = Path.Combine(corpus.Dir, $"req-{Guid.NewGuid():N}.csr");
        try
        {
            Tool.Ok("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", csr + ".key",
                "-subj", "/CN=csr.test/O=Resh", "-addext", "subjectAltName=DNS:csr.test,DNS:www.csr.test", "-out", csr);
            var r = Resh.Ok(Resh.Run($"cert://{csr}.info"));
            var c = r["csrs"]![0]!;
            Assert.Equal("O=Resh, CN=csr.test", c.Str("subject")); // most significant last, as .NET names it (openssl -nameopt RFC2253 says the same)
            Assert.Equal(["DNS:csr.test", "DNS:www.csr.test"], c["sans"]!.AsArray().Select(x => x!.GetValue<string>()));
            Assert.Equal("P-384", c.Str("curve"));
        }
        finally
        {
            File.Delete(csr);
            File.Delete(csr + ".key");
        }
    }

    [Fact]
    public void Expiry_counts_days_like_openssl_checkend_and_warns_as_conflict()
    {
        var r = Resh.Ok(Resh.Run($"cert://{corpus["leaf.pem"]}.expiry", "warn_days=30"));
        var days = r.Num("days_left");
        // openssl -checkend N: exit 0 when still valid N seconds from now.
        Assert.Equal(0, Tool.Run("openssl", "x509", "-in", corpus["leaf.pem"], "-noout", "-checkend", (days * 86400).ToString(CultureInfo.InvariantCulture)).Exit);
        Assert.Equal(1, Tool.Run("openssl", "x509", "-in", corpus["leaf.pem"], "-noout", "-checkend", ((days + 1) * 86400).ToString(CultureInfo.InvariantCulture)).Exit);

        var warn = Resh.Fails(Resh.Run($"cert://{corpus["leaf.pem"]}.expiry", "warn_days=100"), "conflict");
        Assert.Equal(days, warn["details"]!.Num("days_left"));
        var expired = Resh.Fails(Resh.Run($"cert://{corpus["expired-chain.pem"]}.expiry"), "conflict");
        Assert.True(expired["details"]!.Flag("expired"));
        Assert.Equal(1, Tool.Run("openssl", "x509", "-in", corpus["expired-chain.pem"], "-noout", "-checkend", "0").Exit);

        var raw = Resh.Run($"cert://{corpus["leaf.pem"]}.expiry", "--format", "raw");
        Assert.Equal(days.ToString(CultureInfo.InvariantCulture), raw.Stdout.Trim());
    }
}
