using Resh.Handles.Tests.FileScheme;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// verify on the generated corpus, each case against `openssl verify`.</summary>
public sealed class CertVerifyTests(CertCorpus corpus) : IClassFixture<CertCorpus>
{
    /// <summary>openssl verify's exit status and its error number (0 when it verifies).</summary>
    (int Exit, string Output) OpenSslVerify(string leaf, bool withIntermediate, params string[] extra)
    {
        string[] argv = ["openssl", "verify", "-purpose", "sslserver", "-CAfile", corpus["root.pem"],
            .. withIntermediate ? new[] { "-untrusted", corpus["inter.pem"] } : [], .. extra, leaf];
        var (exit, stdout, stderr) = Tool.Run(argv);
        return (exit, stdout + stderr);
    }

    [Fact]
    public void A_good_chain_verifies_like_openssl()
    {
        Assert.Equal(0, OpenSslVerify(corpus["leaf.pem"], true).Exit);
        var r = Resh.Ok(Resh.Run($"cert://{corpus["chain.pem"]}.verify", $"ca={corpus["root.pem"]}", "hostname=localhost"), changed: false);
        Assert.True(r.Flag("valid"));
        Assert.Empty(r["reasons"]!.AsArray());
        Assert.Equal(3, r["chain_built"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("expired-chain.pem", true, "error 10", "expired")]
    [InlineData("future-chain.pem", true, "error 9", "not_yet_valid")]
    [InlineData("self.pem", false, "error 18", "untrusted_root")]
    [InlineData("leaf.pem", false, "error 20", "incomplete_chain")]
    [InlineData("wrongkey-chain.pem", true, "error 7", "bad_signature")]
    public void Each_failure_matches_openssl_verify_and_names_its_reason(string file, bool intermediate, string opensslError, string reason)
    {
        var leafOnly = Path.Combine(corpus.Dir, file + ".leaf");
        var pem = File.ReadAllText(corpus[file]);
        File.WriteAllText(leafOnly, pem[..(pem.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal) + 25)] + "\n");
        var (exit, output) = OpenSslVerify(leafOnly, intermediate);
        Assert.NotEqual(0, exit);
        Assert.Contains(opensslError, output);

        var error = Resh.Fails(Resh.Run($"cert://{corpus[file]}.verify", $"ca={corpus["root.pem"]}"), "conflict");
        var reasons = error["details"]!["reasons"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Assert.Contains(reason, reasons);
        Assert.False(error["details"]!.Flag("valid"));
    }

    [Fact]
    public void A_wrong_host_name_is_a_reason_like_openssl_verify_hostname()
    {
        var (exit, output) = OpenSslVerify(corpus["leaf.pem"], true, "-verify_hostname", "other.example");
        Assert.NotEqual(0, exit);
        Assert.Contains("error 62", output);
        var error = Resh.Fails(Resh.Run($"cert://{corpus["chain.pem"]}.verify", $"ca={corpus["root.pem"]}", "hostname=other.example"), "conflict");
        Assert.Equal(["hostname_mismatch"], error["details"]!["reasons"]!.AsArray().Select(x => x!.GetValue<string>()));
        Resh.Ok(Resh.Run($"cert://{corpus["chain.pem"]}.verify", $"ca={corpus["root.pem"]}", "hostname=127.0.0.1"));
    }

    [Fact]
    public void A_private_root_is_untrusted_against_the_system_store_and_client_purpose_is_wrong()
    {
        Assert.NotEqual(0, Tool.Run("openssl", "verify", "-untrusted", corpus["inter.pem"], corpus["leaf.pem"]).Exit);
        var error = Resh.Fails(Resh.Run($"cert://{corpus["chain.pem"]}.verify"), "conflict");
        Assert.Equal("system", error["details"]!.Str("trusted_by"));
        var reasons = error["details"]!["reasons"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Assert.True(reasons.Contains("untrusted_root") || reasons.Contains("incomplete_chain"), string.Join(",", reasons));

        var (exit, output) = OpenSslVerify(corpus["leaf.pem"], true, "-purpose", "sslclient");
        Assert.NotEqual(0, exit);
        var client = Resh.Fails(Resh.Run($"cert://{corpus["chain.pem"]}.verify", $"ca={corpus["root.pem"]}", "purpose=client"), "conflict");
        Assert.Contains("wrong_purpose", client["details"]!["reasons"]!.AsArray().Select(x => x!.GetValue<string>()));
    }
}
