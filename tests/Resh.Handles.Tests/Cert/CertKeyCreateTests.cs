using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>cert:// key.create: every key type read back by openssl, 0600, encryption with a secret-typed passphrase, idempotence, refusals.</summary>
public sealed class CertKeyCreateTests : IDisposable
{
    readonly TempDir _dir = new("certkey");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("ecdsa", "256", "ASN1 OID: prime256v1")]
    [InlineData("ecdsa", "384", "ASN1 OID: secp384r1")]
    [InlineData("rsa", "2048", "Private-Key: (2048 bit")]
    [InlineData("ed25519", null, "ED25519 Private-Key")]
    public void Creates_a_0600_key_openssl_reads(string type, string? size, string expect)
    {
        var key = _dir[$"{type}{size}.key"];
        string[] args = size is null ? [$"cert://{key}", "key.create", $"type={type}"] : [$"cert://{key}", "key.create", $"type={type}", $"size={size}"];
        var r = Resh.Ok(Resh.Run(args), changed: true);
        Assert.Equal("600", Tool.Mode(key));
        Assert.Contains("-----BEGIN PRIVATE KEY-----", File.ReadAllText(key));
        Assert.Contains(expect, Tool.Ok("openssl", "pkey", "-in", key, "-noout", "-text"));
        Assert.Equal(type, r.Str("key_type"));
        // The public key hash is that of openssl's DER SubjectPublicKeyInfo.
        var der = _dir[$"{type}{size}.pub.der"];
        Tool.Ok("openssl", "pkey", "-in", key, "-pubout", "-outform", "DER", "-out", der);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(der))), r.Str("public_key_sha256").Replace(":", ""));
        Assert.DoesNotContain("PRIVATE", Resh.Run(args).Stdout);
        Resh.Ok(Resh.Run(args), changed: false);
        // cert:// info describes it.
        var info = Resh.Ok(Resh.Run($"cert://{key}.info"));
        Assert.Equal(type, info["keys"]![0]!.Str("type"));
    }

    [Fact]
    public void An_encrypted_key_takes_its_passphrase_from_a_secret_source_never_argv()
    {
        var key = _dir["enc.key"];
        var env = new Dictionary<string, string> { ["KEYPASS"] = "kp-canary-7Hq2" };
        var run = Resh.WithEnv(env, $"cert://{key}", "key.create", "type=ed25519", "passphrase=env:KEYPASS");
        Resh.Ok(run, changed: true);
        Assert.DoesNotContain("kp-canary-7Hq2", run.Stdout + run.Stderr);
        Assert.Contains("ENCRYPTED PRIVATE KEY", File.ReadAllText(key));
        Assert.Equal("600", Tool.Mode(key));
        var withEnv = Tool.Run("env", "KEYPASS=kp-canary-7Hq2", "openssl", "pkey", "-in", key, "-passin", "env:KEYPASS", "-noout", "-text");
        Assert.True(withEnv.Exit == 0, withEnv.Stderr);
        Assert.Contains("ED25519", withEnv.Stdout);
        Assert.NotEqual(0, Tool.Run("openssl", "pkey", "-in", key, "-passin", "pass:wrong", "-noout").Exit);
        // Same call again: nothing changes; without the passphrase it is a different (unencrypted) key: conflict.
        Resh.Ok(Resh.WithEnv(env, $"cert://{key}", "key.create", "type=ed25519", "passphrase=env:KEYPASS"), changed: false);
        Resh.Fails(Resh.Run($"cert://{key}", "key.create", "type=ed25519"), "conflict");
        // A literal passphrase works but warns.
        var lit = Resh.Run($"cert://{_dir["lit.key"]}", "key.create", "passphrase=literal-pass");
        Resh.Ok(lit);
        Assert.Contains("literal", lit.Stdout);
        Assert.DoesNotContain("literal-pass", lit.Stdout + lit.Stderr);
        // openssl-encrypted keys (PBES2 AES-256) are read back with the passphrase.
        var ossl = _dir["ossl.key"];
        Tool.Ok("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-aes256", "-pass", "pass:kp-canary-7Hq2", "-out", ossl);
        var same = Resh.WithEnv(env, $"cert://{ossl}", "key.create", "type=ecdsa", "size=384", "passphrase=env:KEYPASS");
        Resh.Ok(same, changed: false);
        Resh.Fails(Resh.WithEnv(new Dictionary<string, string> { ["KEYPASS"] = "nope" }, $"cert://{ossl}", "key.create", "type=ecdsa", "size=384", "passphrase=env:KEYPASS"), "conflict");
    }

    [Fact]
    public void A_different_key_is_a_conflict_unless_forced_and_bad_sizes_are_usage()
    {
        var key = _dir["k.key"];
        Resh.Ok(Resh.Run($"cert://{key}", "key.create"), changed: true);
        var before = File.ReadAllBytes(key);
        Resh.Fails(Resh.Run($"cert://{key}", "key.create", "type=rsa", "size=2048"), "conflict");
        Assert.Equal(before, File.ReadAllBytes(key));
        Resh.Ok(Resh.Run($"cert://{key}", "key.create", "type=rsa", "size=2048", "force=true"), changed: true);
        Assert.Contains("2048 bit", Tool.Ok("openssl", "pkey", "-in", key, "-noout", "-text"));
        Resh.Fails(Resh.Run($"cert://{_dir["x.key"]}", "key.create", "type=rsa", "size=1024"), "usage");
        Resh.Fails(Resh.Run($"cert://{_dir["x.key"]}", "key.create", "type=ecdsa", "size=255"), "usage");
        Resh.Fails(Resh.Run($"cert://{_dir["x.key"]}", "key.create", "type=ed25519", "size=384"), "usage");
        Assert.False(File.Exists(_dir["x.key"]));
        // Dry run writes nothing.
        Resh.Ok(Resh.Run($"cert://{_dir["dry.key"]}", "key.create", "--dry-run"), changed: true);
        Assert.False(File.Exists(_dir["dry.key"]));
        // Garbage in the way is a conflict, and stays.
        File.WriteAllText(_dir["junk.key"], "not a key\n");
        Resh.Fails(Resh.Run($"cert://{_dir["junk.key"]}", "key.create"), "conflict");
        Assert.Equal("not a key\n", File.ReadAllText(_dir["junk.key"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_key_path_planted_as_a_symlink_is_refused_and_its_target_untouched(bool nobody)
    {
        var work = _dir[$"w{nobody}"];
        Directory.CreateDirectory(work);
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0x1ed);
        if (nobody) Tool.Ok("chown", "65534:65534", work);
        var victim = _dir[$"victim{nobody}"];
        File.WriteAllText(victim, "precious\n");
        File.SetUnixFileMode(victim, (UnixFileMode)0x1b6);
        var link = Path.Combine(work, "site.key");
        File.CreateSymbolicLink(link, victim);
        string[] args = [$"cert://{link}", "key.create", "force=true"];
        var error = Resh.Fails(nobody ? Resh.AsNobody(args) : Resh.Run(args), "conflict");
        Assert.Contains("symbolic link", error.Str("message"));
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Equal("666", Tool.Mode(victim));
        // A CSR or certificate path planted as a link is refused before any key is made.
        foreach (var (verb, name) in new[] { ("csr.create", "a.csr"), ("selfsigned.create", "b.pem") })
        {
            var planted = Path.Combine(work, name);
            File.CreateSymbolicLink(planted, victim);
            string[] a = [$"cert://{planted}", verb, "subject=CN=x"];
            Resh.Fails(nobody ? Resh.AsNobody(a) : Resh.Run(a), "conflict");
            Assert.Equal("precious\n", File.ReadAllText(victim));
            Assert.False(File.Exists(Path.ChangeExtension(planted, ".key")));
        }
        Assert.Empty(Directory.EnumerateFiles(work, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }));
    }
}
