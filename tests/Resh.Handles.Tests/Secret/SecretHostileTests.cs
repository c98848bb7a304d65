using System.Text;
using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>
/// Keystores and key files someone else touched: tampering, a wrong passphrase or key, files or a directory
/// other users can read or write. Each case runs as root and as nobody (uid 65534, its own state directory),
/// and must end in a clear error that leaves the files exactly as they were.
/// </summary>
public sealed class SecretHostileTests
{
    static SecretKit WithTwoSecrets(bool asNobody, out string value)
    {
        var kit = new SecretKit(asNobody);
        value = SecretKit.Canary();
        SecretKit.Ok(kit.Stdin(value, "secret://db/app.set", "value=@-", "tags=env=prod"));
        SecretKit.Ok(kit.Stdin(SecretKit.Canary(), "secret://db/other.set", "value=@-"));
        return kit;
    }

    /// <summary>Every file under the secrets directory with its bytes and mode.</summary>
    static Dictionary<string, (string Content, UnixFileMode Mode)> Snapshot(SecretKit kit) =>
        Directory.EnumerateFiles(kit.SecretsDir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => (Convert.ToBase64String(File.ReadAllBytes(f)), File.GetUnixFileMode(f)));

    static void AssertUntouched(Dictionary<string, (string, UnixFileMode)> before, SecretKit kit)
    {
        var after = Snapshot(kit);
        Assert.Equal(before.Keys.Order(), after.Keys.Order()); // no temp files left, nothing added or removed
        foreach (var (k, v) in before) Assert.Equal(v, after[k]);
    }

    static void Edit(string path, Func<string[], string[]> change)
    {
        var lines = File.ReadAllText(path).Split('\n');
        File.WriteAllText(path, string.Join('\n', change(lines)));
    }

    public static TheoryData<bool> Users => new() { false, true };

    [Theory]
    [MemberData(nameof(Users))]
    public void A_tampered_keystore_is_refused_as_failed_for_every_kind_of_change(bool asNobody)
    {
        using var kit = WithTwoSecrets(asNobody, out var value);
        var original = File.ReadAllText(kit.Keystore);
        var cases = new (string What, Func<string[], string[]> Change)[]
        {
            ("a tag", l => { l[2] = l[2].Replace("\"prod\"", "\"dev\"", StringComparison.Ordinal); return l; }),
            ("an entry removed", l => { l[2] = l[2].Replace("db/other", "db/otheR", StringComparison.Ordinal); return l; }),
            ("a sealed value", l => { var i = l[2].IndexOf("\"sealed\":\"", StringComparison.Ordinal) + 12; var c = l[2].ToCharArray(); c[i] = c[i] == 'A' ? 'B' : 'A'; l[2] = new string(c); return l; }),
            ("the wrapped key", l => { l[1] = l[1].Replace("\"wrapped_key\":\"", "\"wrapped_key\":\"AAAA", StringComparison.Ordinal); return l; }),
            ("the MAC", l => { l[3] = "AAAA" + l[3][4..]; return l; }),
            ("truncated", l => l.Take(3).ToArray()),
        };
        foreach (var (what, change) in cases)
        {
            File.WriteAllText(kit.Keystore, original);
            Edit(kit.Keystore, change);
            var before = Snapshot(kit);
            foreach (var call in new[] { new[] { "secret://db/app.get", "reveal=true" }, ["secret://.list"], ["secret://db/app.rotate"] })
            {
                var run = kit.Run(call);
                var error = SecretKit.Fails(run, "failed");
                Assert.True(error["message"]!.GetValue<string>().Contains("keystore", StringComparison.Ordinal), $"{what}: {run}");
                Assert.DoesNotContain(value, run.Stdout + run.Stderr);
            }
            AssertUntouched(before, kit);
        }
        File.WriteAllText(kit.Keystore, original);
        Assert.Equal(value, kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
    }

    [Theory]
    [MemberData(nameof(Users))]
    public void Files_or_a_directory_other_users_can_reach_are_refused(bool asNobody)
    {
        using var kit = WithTwoSecrets(asNobody, out var value);
        var cases = new (string Path, UnixFileMode Mode)[]
        {
            (kit.Keystore, (UnixFileMode)0x1A4),   // 0644
            (kit.Keystore, (UnixFileMode)0x1A0),   // 0640
            (kit.KeyFile, (UnixFileMode)0x1A4),    // 0644
            (kit.KeyFile, (UnixFileMode)0x184),    // 0604
            (kit.SecretsDir, (UnixFileMode)0x1FF), // 0777
            (kit.SecretsDir, (UnixFileMode)0x1F8), // 0770
            (kit.SecretsDir, (UnixFileMode)0x1ED), // 0755 (review finding: readable by others was accepted)
            (kit.Home, (UnixFileMode)0x1FF),       // 0777 state directory (review finding: others could swap secrets/)
        };
        foreach (var (path, mode) in cases)
        {
            var saved = File.GetUnixFileMode(path);
            File.SetUnixFileMode(path, mode);
            var before = Snapshot(kit);
            foreach (var call in new[] { new[] { "secret://db/app.get", "reveal=true" }, ["secret://db/app.rotate"] })
            {
                var run = kit.Run(call);
                SecretKit.Fails(run, "permission_denied");
                Assert.DoesNotContain(value, run.Stdout + run.Stderr);
            }
            AssertUntouched(before, kit);
            File.SetUnixFileMode(path, saved);
        }
        Assert.Equal(value, kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
    }

    [Theory]
    [MemberData(nameof(Users))]
    public void A_symlinked_keystore_key_file_or_lock_is_refused_and_never_written_through(bool asNobody)
    {
        using var kit = WithTwoSecrets(asNobody, out var value);
        // Valid copies of the keystore and key file elsewhere, owned by the caller: only the link is wrong.
        var keystoreCopy = Path.Combine(kit.Home, "elsewhere.keystore");
        var keyCopy = Path.Combine(kit.Home, "elsewhere.key");
        File.Copy(kit.Keystore, keystoreCopy);
        File.Copy(kit.KeyFile, keyCopy);
        if (asNobody) Sh.Ok("chown", "65534:65534", keystoreCopy, keyCopy);
        var lockTarget = Path.Combine(kit.Home, "lock-target");
        var dangling = Path.Combine(kit.Home, "dangling.keystore");

        var cases = new (string What, string Link, string Target)[]
        {
            ("keystore", kit.Keystore, keystoreCopy),
            ("key file", kit.KeyFile, keyCopy),
            ("keystore", kit.Keystore, dangling),
            ("keystore lock", Path.Combine(kit.SecretsDir, "local.lock"), lockTarget),
        };
        foreach (var (what, link, target) in cases)
        {
            var saved = link + ".saved";
            if (File.Exists(link)) File.Move(link, saved);
            File.CreateSymbolicLink(link, target);
            var targetBefore = File.Exists(target) ? File.ReadAllText(target) : null;
            var calls = target == lockTarget
                ? new[] { new[] { "secret://db/app.rotate" } }
                : [["secret://db/app.get", "reveal=true"], ["secret://.list"], ["secret://db/app.rotate"], ["secret://db/new.generate"]];
            foreach (var call in calls)
            {
                var run = kit.Run(call);
                var error = SecretKit.Fails(run, "permission_denied");
                Assert.Contains("symbolic link", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.Contains(what, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.DoesNotContain(value, run.Stdout + run.Stderr);
            }
            Assert.True(new FileInfo(link).LinkTarget == target, $"{what}: the link was replaced");
            Assert.Equal(targetBefore, File.Exists(target) ? File.ReadAllText(target) : null); // nothing written through it, nothing created
            File.Delete(link);
            if (File.Exists(saved)) File.Move(saved, link);
        }
        Assert.Equal(value, kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);

        // A key file the user names (RESH_SECRET_KEY_FILE, e.g. a /run/secrets mount) may be a link: its target is checked.
        var named = Path.Combine(kit.Home, "named.key");
        File.CreateSymbolicLink(named, keyCopy);
        kit.Env("RESH_SECRET_KEY_FILE", named);
        Assert.Equal(value, kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
        File.SetUnixFileMode(keyCopy, (UnixFileMode)0x1A4); // 0644 target
        SecretKit.Fails(kit.Run("secret://db/app.get", "reveal=true"), "permission_denied");
    }

    [Fact]
    public void A_key_file_or_keystore_owned_by_another_user_is_refused()
    {
        using var kit = WithTwoSecrets(false, out _);
        Sh.Ok("chown", "65534:65534", kit.KeyFile);
        SecretKit.Fails(kit.Run("secret://db/app.get"), "permission_denied");
        Sh.Ok("chown", "0:0", kit.KeyFile);
        Sh.Ok("chown", "65534:65534", kit.Keystore);
        SecretKit.Fails(kit.Run("secret://db/app.get"), "permission_denied");
    }

    [Theory]
    [MemberData(nameof(Users))]
    public void Another_key_file_or_a_missing_one_does_not_open_the_keystore(bool asNobody)
    {
        using var kit = WithTwoSecrets(asNobody, out var value);
        var key = File.ReadAllBytes(kit.KeyFile);
        var other = "resh-secret-key v1\n" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n";
        File.WriteAllText(kit.KeyFile, other);
        SecretKit.Fails(kit.Run("secret://db/app.get", "reveal=true"), "permission_denied");
        File.WriteAllText(kit.KeyFile, "not a key\n");
        SecretKit.Fails(kit.Run("secret://db/app.get", "reveal=true"), "failed");
        File.Delete(kit.KeyFile);
        var missing = kit.Run("secret://db/app.get", "reveal=true");
        SecretKit.Fails(missing, "failed");
        Assert.False(File.Exists(kit.KeyFile)); // a read never creates a new key for an existing keystore
        SecretKit.Fails(kit.Stdin("x-value-1", "secret://db/new.set", "value=@-"), "failed");
        Assert.False(File.Exists(kit.KeyFile)); // nor does a write
        File.WriteAllBytes(kit.KeyFile, key);
        if (asNobody) Sh.Ok("chown", "65534:65534", kit.KeyFile);
        File.SetUnixFileMode(kit.KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(value, kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
    }

    [Theory]
    [MemberData(nameof(Users))]
    public void A_passphrase_keystore_opens_only_with_its_passphrase(bool asNobody)
    {
        using var kit = new SecretKit(asNobody);
        var passphrase = "correct horse " + Guid.NewGuid().ToString("N");
        kit.Env("RESH_SECRET_PASSPHRASE", passphrase);
        var value = SecretKit.Canary();
        SecretKit.Ok(kit.Stdin(value, "secret://db/app.set", "value=@-"));
        Assert.False(File.Exists(kit.KeyFile)); // no key file: the passphrase wraps the data key
        Assert.Contains("\"kdf\":\"argon2id\"", File.ReadAllText(kit.Keystore));
        Assert.DoesNotContain(passphrase, File.ReadAllText(kit.Keystore));
        Assert.Equal(value, kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);

        var before = Snapshot(kit);
        kit.Env("RESH_SECRET_PASSPHRASE", "wrong " + passphrase);
        var wrong = kit.Run("secret://db/app.get", "reveal=true");
        SecretKit.Fails(wrong, "permission_denied");
        Assert.DoesNotContain(passphrase, wrong.Stdout + wrong.Stderr);

        kit.Env("RESH_SECRET_PASSPHRASE", "");
        kit.Detached = true; // no terminal to prompt on
        SecretKit.Fails(kit.Run("secret://db/app.get"), "permission_denied");
        AssertUntouched(before, kit);
    }

    [Fact]
    public void Nobody_cannot_read_roots_keystore_even_by_pointing_at_it()
    {
        using var root = WithTwoSecrets(false, out var value);
        File.SetUnixFileMode(root.Temp, (UnixFileMode)0x1ED); // let nobody traverse to the 0700 directory
        File.SetUnixFileMode(root.Home, (UnixFileMode)0x1ED);
        using var nobody = new SecretKit(asNobody: true);
        nobody.Env("RESH_HOME", root.Home).Env("RESH_SECRET_KEY_FILE", root.KeyFile);
        var run = nobody.Run("secret://db/app.get", "reveal=true");
        SecretKit.Fails(run, "permission_denied");
        Assert.DoesNotContain(value, run.Stdout + run.Stderr);
        var set = nobody.Stdin("intruder-1234", "secret://db/app.set", "value=@-");
        SecretKit.Fails(set, "permission_denied");
        Assert.Equal(value, root.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
    }

    [Fact]
    public void Corrupt_bundles_and_bad_inputs_are_clear_errors()
    {
        using var kit = WithTwoSecrets(false, out _);
        var bundle = Path.Combine(kit.Temp, "b.bundle");
        var env = new Dictionary<string, string> { ["P"] = "bundle-pass-1234" };
        SecretKit.Ok(kit.Run(["secret://.export", $"file={bundle}", "passphrase=env:P"], null, env));
        var lines = File.ReadAllText(bundle).Split('\n');
        var c = lines[2].ToCharArray();
        c[20] = c[20] == 'A' ? 'B' : 'A';
        File.WriteAllText(bundle, $"{lines[0]}\n{lines[1]}\n{new string(c)}\n");
        SecretKit.Fails(kit.Run(["secret://.import", $"file={bundle}", "passphrase=env:P", "overwrite=true"], null, env), "permission_denied");
        File.WriteAllText(bundle, "garbage\n");
        SecretKit.Fails(kit.Run(["secret://.import", $"file={bundle}", "passphrase=env:P"], null, env), "usage");
        SecretKit.Fails(kit.Run(["secret://.import", $"file={bundle}.missing", "passphrase=env:P"], null, env), "not_found");
        File.WriteAllBytes(bundle, Encoding.UTF8.GetBytes("RESH-SECRET-BUNDLE 1\n{\"kdf\":\"argon2id\",\"salt\":\"AAAA\",\"memory_kib\":99999999,\"iterations\":1,\"parallelism\":1}\nAAAA\n"));
        SecretKit.Fails(kit.Run(["secret://.import", $"file={bundle}", "passphrase=env:P"], null, env), "failed"); // refuses an absurd memory cost
    }

    [Fact]
    public void A_well_sealed_bundle_with_hostile_contents_imports_nothing()
    {
        using var kit = WithTwoSecrets(false, out var value);
        var env = new Dictionary<string, string> { ["P"] = "bundle-pass-5678" };
        var passphrase = Resh.Core.Secrets.SecretValue.FromText("bundle-pass-5678");
        static Resh.Handles.Secret.Keystore.BundleEntry Entry(string name, params (int Version, string Value)[] versions) => new()
        {
            Name = name, Current = versions[^1].Version,
            Versions = versions.Select(v => new Resh.Handles.Secret.Keystore.BundleVersion { Version = v.Version, Value = v.Value }).ToList(),
        };
        var good = Convert.ToBase64String("fine-value"u8.ToArray());
        var cases = new (string What, Resh.Handles.Secret.Keystore.BundleEntry[] Entries)[]
        {
            ("a name that is not a secret name", [Entry("../../etc/passwd", (1, good))]),
            ("the same name twice", [Entry("x/dup", (1, good)), Entry("x/dup", (1, good))]),
            ("a value that is not base64", [Entry("x/ok", (1, good)), Entry("x/bad", (1, "%%not base64%%"))]),
            ("a version number twice", [Entry("x/twice", (1, good), (1, good))]),
            ("version 0", [Entry("x/zero", (0, good))]),
            ("no version", [new() { Name = "x/none", Current = 1 }]),
        };
        var before = File.ReadAllBytes(kit.Keystore);
        foreach (var (what, entries) in cases)
        {
            var bundle = Path.Combine(kit.Temp, "hostile.bundle");
            File.WriteAllBytes(bundle, Resh.Handles.Secret.Keystore.Bundle.Write(new() { Entries = [.. entries] }, passphrase));
            var run = kit.Run(["secret://.import", $"file={bundle}", "passphrase=env:P", "overwrite=true"], null, env);
            var error = SecretKit.Fails(run, "failed");
            Assert.True(error["message"]!.GetValue<string>().Contains("invalid entry", StringComparison.Ordinal), $"{what}: {run}");
            Assert.True(before.AsSpan().SequenceEqual(File.ReadAllBytes(kit.Keystore)), $"{what}: the keystore changed"); // nothing imported
        }
        Assert.Equal(value, kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
    }
}
