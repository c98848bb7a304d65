using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>Issue 12 user review #14 on cert://: key identifiers printed as openssl prints them, extension criticality reported.</summary>
public sealed class CertReviewItem14Tests(CertCorpus corpus) : IClassFixture<CertCorpus>, IDisposable
{
    readonly TempDir _dir = new("certi14");

    public void Dispose() => _dir.Dispose();

    /// <summary>A certificate openssl makes itself, with both key identifiers and a critical key usage.</summary>
    string OpensslCertificate()
    {
        var pem = _dir["openssl.pem"];
        Tool.Ok("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", _dir["openssl.key"], "-out", pem,
            "-subj", "/CN=openssl.test", "-days", "10", "-addext", "keyUsage=critical,digitalSignature", "-addext", "extendedKeyUsage=serverAuth",
            "-addext", "authorityKeyIdentifier=keyid:always");
        return pem;
    }

    /// <summary>The value line under an `openssl x509 -text` extension header, and whether the header says critical.</summary>
    static (string? Value, bool Critical) OpensslExtension(string pem, string header)
    {
        var lines = Tool.Ok("openssl", "x509", "-in", pem, "-noout", "-text").Split('\n');
        var i = Array.FindIndex(lines, l => l.Trim().StartsWith(header, StringComparison.Ordinal));
        return i < 0 ? (null, false) : (lines[i + 1].Trim().Replace("keyid:", ""), lines[i].Contains("critical", StringComparison.Ordinal));
    }

    [Fact]
    public void Key_identifiers_have_colons_like_openssl_and_the_fingerprints()
    {
        var own = OpensslCertificate();
        Assert.NotNull(OpensslExtension(own, "X509v3 Authority Key Identifier").Value);
        foreach (var file in new[] { own, corpus["leaf.pem"], corpus["inter.pem"] })
        {
            var cert = Resh.Ok(Resh.Run($"cert://{file}.info"))["certificate"]!;
            var (ski, _) = OpensslExtension(file, "X509v3 Subject Key Identifier");
            var (aki, _) = OpensslExtension(file, "X509v3 Authority Key Identifier");
            Assert.NotNull(ski);
            Assert.Equal(ski, cert.Str("subject_key_id"));
            Assert.Equal(aki, cert["authority_key_id"]?.GetValue<string>());
            Assert.Contains(':', cert.Str("fingerprint_sha256"));
        }
    }

    [Fact]
    public void Key_usage_criticality_is_reported_as_openssl_shows_it()
    {
        foreach (var file in new[] { OpensslCertificate(), corpus["rsa.pem"], corpus["leaf.pem"], corpus["root.pem"], corpus["self.pem"] })
        {
            var cert = Resh.Ok(Resh.Run($"cert://{file}.info"))["certificate"]!;
            var (ku, kuCritical) = OpensslExtension(file, "X509v3 Key Usage");
            var (eku, ekuCritical) = OpensslExtension(file, "X509v3 Extended Key Usage");
            Assert.Equal(ku is null ? null : kuCritical, cert["key_usage_critical"]?.GetValue<bool>());
            Assert.Equal(eku is null ? null : ekuCritical, cert["extended_key_usage_critical"]?.GetValue<bool>());
        }
        Assert.True(Resh.Ok(Resh.Run($"cert://{corpus["rsa.pem"]}.info"))["certificate"]!["key_usage_critical"]!.GetValue<bool>());
    }
}
