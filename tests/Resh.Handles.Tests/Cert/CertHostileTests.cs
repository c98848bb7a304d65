using System.Text;
using Resh.Handles.Tests.FileScheme;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.CertScheme;

using Resh = global::Resh.Handles.Tests.FileScheme.Resh;

/// <summary>Untrusted input, as root and as nobody: malformed PEM/DER, FIFOs, huge files and chains, symlinked key paths.</summary>
public sealed class CertHostileTests(CertCorpus corpus) : IClassFixture<CertCorpus>, IDisposable
{
    readonly TempDir _dir = Open(new TempDir("certbad"));

    static TempDir Open(TempDir d)
    {
        File.SetUnixFileMode(d.Path, (UnixFileMode)0x1ed); // 0755: nobody may read, not write
        return d;
    }

    public void Dispose() => _dir.Dispose();

    string Put(string name, byte[] content)
    {
        var p = _dir[name];
        File.WriteAllBytes(p, content);
        File.SetUnixFileMode(p, (UnixFileMode)0x1a4); // 0644
        return p;
    }

    public static TheoryData<string, bool> Users => new() { { "root", false }, { "nobody", true } };

    ReshRun As(bool nobody, params string[] args) => nobody ? Resh.AsNobody(args) : Resh.Run(args);

    [Theory]
    [MemberData(nameof(Users))]
    public void Malformed_input_is_a_usage_error_never_a_crash(string user, bool nobody)
    {
        _ = user;
        var leafDer = File.ReadAllBytes(corpus["leaf.der"]);
        var cases = new Dictionary<string, byte[]>
        {
            ["bad-base64.pem"] = "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n"u8.ToArray(),
            ["garbage-der.pem"] = Encoding.ASCII.GetBytes($"-----BEGIN CERTIFICATE-----\n{Convert.ToBase64String(new byte[] { 0x30, 0x82, 0xff, 0xff, 1, 2, 3 })}\n-----END CERTIFICATE-----\n"),
            ["truncated.der"] = leafDer[..(leafDer.Length / 2)],
            ["random.bin"] = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray(),
            ["empty"] = [],
            ["unclosed.pem"] = "-----BEGIN CERTIFICATE-----\nMIIB\n"u8.ToArray(),
            ["truncated-key.pem"] = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"u8.ToArray(),
        };
        foreach (var (name, bytes) in cases)
        {
            var path = Put(name, bytes);
            foreach (var verb in new[] { "info", "expiry", "verify" })
            {
                var run = As(nobody, $"cert://{path}.{verb}");
                Resh.Fails(run, "usage");
                Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Users))]
    public void Fifos_devices_directories_and_huge_files_are_refused_without_reading_them(string user, bool nobody)
    {
        _ = user;
        var fifo = _dir["fifo.pem"];
        if (!File.Exists(fifo)) Tool.Ok("mkfifo", "-m", "0666", fifo);
        Resh.Fails(As(nobody, $"cert://{fifo}.info"), "usage");          // would hang if opened
        Resh.Fails(As(nobody, "cert:///dev/zero.info"), "usage");
        Resh.Fails(As(nobody, $"cert://{_dir.Path}.info"), "usage");
        var huge = _dir["huge.pem"];
        if (!File.Exists(huge))
        {
            using (var f = File.Create(huge)) f.SetLength(17L << 20);
            File.SetUnixFileMode(huge, (UnixFileMode)0x1a4);
        }
        Resh.Fails(As(nobody, $"cert://{huge}.info"), "usage");
        Resh.Fails(As(nobody, $"cert://{_dir["missing.pem"]}.info"), "not_found");
    }

    [Theory]
    [MemberData(nameof(Users))]
    public void A_huge_chain_is_bounded(string user, bool nobody)
    {
        _ = user;
        var one = File.ReadAllText(corpus["leaf.pem"]);
        var big = _dir["big-chain.pem"];
        if (!File.Exists(big)) Put("big-chain.pem", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(one, 1001))));
        var error = Resh.Fails(As(nobody, $"cert://{big}.info"), "usage");
        Assert.Contains("1000", error.Str("message"));
        var ok = _dir["ok-chain.pem"];
        if (!File.Exists(ok)) Put("ok-chain.pem", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(one, 200))));
        Assert.Equal(200, Resh.Ok(As(nobody, $"cert://{ok}.info"))["chain"]!.AsArray().Count);
    }

    [Fact]
    public void Nobody_cannot_read_a_root_key_and_cannot_write_where_root_owns()
    {
        var run = Resh.AsNobody($"cert://{corpus["leaf.key"]}.info");
        Resh.Fails(run, "permission_denied");
        Resh.Fails(Resh.AsNobody($"cert://{_dir["ca.pem"]}", "ca.create", "subject=CN=x"), "permission_denied");
        Assert.False(File.Exists(_dir["ca.pem"]) || File.Exists(_dir["ca.key"]));
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "*.tmp"));
    }

    [Theory]
    [MemberData(nameof(Users))]
    public void A_symlinked_key_or_certificate_path_is_refused_and_its_target_untouched(string user, bool nobody)
    {
        var work = _dir[$"w-{user}"];
        Directory.CreateDirectory(work);
        if (nobody) Tool.Ok("chown", "65534:65534", work);
        var victim = _dir[$"victim-{user}"];
        File.WriteAllText(victim, "precious\n");
        File.SetUnixFileMode(victim, (UnixFileMode)0x1b6); // 0666: writable by nobody, so only the refusal protects it
        var link = Path.Combine(work, "ca.key");
        File.CreateSymbolicLink(link, victim);
        var error = Resh.Fails(As(nobody, $"cert://{work}/ca.pem", "ca.create", "subject=CN=x"), "conflict");
        Assert.Contains("symbolic link", error.Str("message"));
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Equal("666", Tool.Mode(victim));
        Assert.True(new FileInfo(link).LinkTarget == victim);
        Assert.False(File.Exists(Path.Combine(work, "ca.pem")));

        var certLink = Path.Combine(work, "other.pem");
        File.CreateSymbolicLink(certLink, victim);
        Resh.Fails(As(nobody, $"cert://{certLink}", "ca.create", "subject=CN=x", $"key={work}/other.key"), "conflict");
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.False(File.Exists(Path.Combine(work, "other.key")));
    }
}

/// <summary>The creating verbs with hostile inputs: garbage keys, CSRs, CRLs and bundles are usage errors, never a crash or a write.</summary>
public sealed class CertHostileCreateTests : IDisposable
{
    readonly TempDir _dir = new("certbad2");

    public void Dispose() => _dir.Dispose();

    public static TheoryData<bool> Users => new() { false, true };

    [Theory]
    [MemberData(nameof(Users))]
    public void Garbage_keys_csrs_crls_and_bundles_are_usage_errors(bool nobody)
    {
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0x1ff); // 0777: nobody may write its outputs here
        ReshRun As(params string[] a) => nobody ? Resh.AsNobody(a) : Resh.Run(a);
        var ca = _dir["ca.pem"];
        if (!File.Exists(ca))
        {
            Resh.Ok(Resh.Run($"cert://{ca}", "ca.create", "subject=CN=Bad CA"));
            File.SetUnixFileMode(_dir["ca.key"], (UnixFileMode)0x1a4); // nobody must read it for this test
        }
        var garbage = new Dictionary<string, byte[]>
        {
            ["g-b64.pem"] = "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n"u8.ToArray(),
            ["g-enc.pem"] = Encoding.ASCII.GetBytes($"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{Convert.ToBase64String(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x00 })}\n-----END ENCRYPTED PRIVATE KEY-----\n"),
            ["g-csr.pem"] = Encoding.ASCII.GetBytes($"-----BEGIN CERTIFICATE REQUEST-----\n{Convert.ToBase64String(new byte[] { 0x30, 0x82, 0x7f, 0xff, 0 })}\n-----END CERTIFICATE REQUEST-----\n"),
            ["g-crl.pem"] = Encoding.ASCII.GetBytes($"-----BEGIN X509 CRL-----\n{Convert.ToBase64String(new byte[] { 0x30, 0x05, 1, 2, 3, 4, 5 })}\n-----END X509 CRL-----\n"),
            ["g-p12.p12"] = [0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03, 0x30, 0x00],
            ["g-random"] = Enumerable.Range(0, 3000).Select(i => (byte)(i * 31 % 253)).ToArray(),
        };
        foreach (var (name, bytes) in garbage)
        {
            var p = _dir[name];
            File.WriteAllBytes(p, bytes);
            File.SetUnixFileMode(p, (UnixFileMode)0x1a4);
            var outDir = _dir.Path;
            var env = new Dictionary<string, string>();
            foreach (var run in new[]
            {
                As($"cert://{outDir}/o-{name}.csr", "csr.create", "subject=CN=x", $"key={p}"),
                As($"cert://{outDir}/o-{name}.pem", "selfsigned.create", "subject=CN=x", $"key={p}"),
                As($"cert://{ca}", "sign", $"csr={p}", $"out={outDir}/o-{name}.crt"),
                As($"cert://{ca}.verify", $"crl={p}"),
                As($"cert://{p}", "convert", $"out={outDir}/o-{name}.der"),
                As($"cert://{ca}.match", $"key={p}"),
            })
            {
                Assert.True(run.ErrorCode is "usage" or "conflict", run.ToString());
                Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);
            }
            Assert.Empty(Directory.EnumerateFiles(outDir, $"o-{name}*"));
        }
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }));
    }

    [Fact]
    public void A_huge_encrypted_key_iteration_count_is_refused_quickly()
    {
        // PBES2 with PBKDF2 iterations = 2^31-1 would burn CPU for hours: refused as unreadable before any derivation.
        var w = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier("1.2.840.113549.1.5.13");
                using (w.PushSequence())
                {
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier("1.2.840.113549.1.5.12");
                        using (w.PushSequence()) { w.WriteOctetString(new byte[8]); w.WriteInteger(int.MaxValue); }
                    }
                    using (w.PushSequence()) { w.WriteObjectIdentifier("2.16.840.1.101.3.4.1.42"); w.WriteOctetString(new byte[16]); }
                }
            }
            w.WriteOctetString(new byte[32]);
        }
        var key = _dir["slow.key"];
        File.WriteAllText(key, System.Security.Cryptography.PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", w.Encode()) + "\n");
        Resh.Fails(Resh.WithEnv(new Dictionary<string, string> { ["PP"] = "x" }, $"cert://{_dir["s.csr"]}", "csr.create", "subject=CN=x", $"key={key}", "passphrase=env:PP"), "usage");
    }
}
