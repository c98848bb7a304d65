using Resh.Handles.Tests.FileScheme;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// match, against comparing `openssl x509 -pubkey` with `openssl pkey -pubout`.</summary>
public sealed class CertMatchTests(CertCorpus corpus) : IClassFixture<CertCorpus>
{
    bool OpenSslSays(string cert, string key) =>
        Tool.Ok("openssl", "x509", "-in", cert, "-noout", "-pubkey") == Tool.Ok("openssl", "pkey", "-in", key, "-pubout");

    [Fact]
    public void A_key_matches_its_certificate_and_not_another()
    {
        Assert.True(OpenSslSays(corpus["leaf.pem"], corpus["leaf.key"]));
        var ok = Resh.Ok(Resh.Run($"cert://{corpus["chain.pem"]}.match", $"key={corpus["leaf.key"]}"), changed: false);
        Assert.True(ok.Flag("matches"));
        Assert.Equal("ecdsa", ok.Str("key_type"));

        Assert.False(OpenSslSays(corpus["rsa.pem"], corpus["leaf.key"]));
        var no = Resh.Fails(Resh.Run($"cert://{corpus["rsa.pem"]}.match", $"key={corpus["leaf.key"]}"), "conflict");
        Assert.False(no["details"]!.Flag("matches"));
        Assert.True(OpenSslSays(corpus["rsa.pem"], corpus["rsa.key"]));
        Resh.Ok(Resh.Run($"cert://{corpus["rsa.pem"]}.match", $"key={corpus["rsa.key"]}"));
    }

    [Fact]
    public void An_encrypted_key_needs_its_passphrase_which_is_never_printed()
    {
        var enc = Path.Combine(corpus.Dir, $"enc-{Guid.NewGuid():N}.key");
        try
        {
            Tool.Ok("openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", corpus["leaf.key"], "-out", enc, "-passout", "pass:pw-canary-77");
            Resh.Fails(Resh.Run($"cert://{corpus["leaf.pem"]}.match", $"key={enc}"), "usage");
            var run = Resh.WithEnv(new Dictionary<string, string> { ["KEYPW"] = "pw-canary-77" }, $"cert://{corpus["leaf.pem"]}.match", $"key={enc}", "passphrase=env:KEYPW");
            Assert.True(Resh.Ok(run).Flag("matches"));
            Assert.DoesNotContain("pw-canary-77", run.Stdout + run.Stderr);
            var info = Resh.Ok(Resh.Run($"cert://{enc}.info"));
            Assert.True(info["keys"]![0]!.Flag("encrypted"));
        }
        finally { File.Delete(enc); }
    }
}
