using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>The local keystore through the native binary: every verb, versions, masking, file modes, dry runs.</summary>
public sealed class SecretLocalTests
{
    const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public void Set_get_list_exists_round_trip_with_the_value_masked_unless_revealed()
    {
        using var kit = new SecretKit();
        var value = SecretKit.Canary();
        var set = SecretKit.Ok(kit.Stdin(value, "secret://db/app.set", "value=@-", "tags=env=prod"), changed: true);
        Assert.Equal(1, set["version"]!.GetValue<int>());
        Assert.True(set["created"]!.GetValue<bool>());

        var get = SecretKit.Ok(kit.Run("secret://db/app.get"));
        Assert.Equal("***", get["value"]!.GetValue<string>());
        Assert.False(get["revealed"]!.GetValue<bool>());
        Assert.Equal(value.Length, get["length"]!.GetValue<int>());
        Assert.Equal("prod", get["tags"]!["env"]!.GetValue<string>());

        var raw = kit.Run("secret://db/app.get", "reveal=true", "--format", "raw");
        Assert.Equal(0, raw.ExitCode);
        Assert.Equal(value, raw.Stdout); // the bare value, no newline
        Assert.Equal(value, SecretKit.Ok(kit.Run("secret://db/app.get", "reveal=true"))["value"]!.GetValue<string>());

        var list = SecretKit.Ok(kit.Run("secret://.list"));
        Assert.Equal(1, list["count"]!.GetValue<int>());
        Assert.Equal("db/app", list["secrets"]![0]!["name"]!.GetValue<string>());
        Assert.True(SecretKit.Ok(kit.Run("secret://db/app.exists"))["exists"]!.GetValue<bool>());
        Assert.False(SecretKit.Ok(kit.Run("secret://db/other.exists"))["exists"]!.GetValue<bool>());
        SecretKit.Fails(kit.Run("secret://db/other.get"), "not_found");
        var hiddenRaw = kit.Run("secret://db/app.get", "--format", "raw"); // raw without reveal would print *** where a script expects the value
        Assert.Equal(2, hiddenRaw.ExitCode);
        Assert.Contains("error[usage]", hiddenRaw.Stderr);
        Assert.Empty(hiddenRaw.Stdout);

        foreach (var run in kit.Runs.Where(r => !r.Stdout.Contains("\"revealed\":true") && r.Stdout != value))
            Assert.DoesNotContain(value, run.Stdout + run.Stderr);

        Assert.Equal(PrivateDir, SecretKit.Mode(kit.SecretsDir));
        Assert.Equal(Private, SecretKit.Mode(kit.Keystore));
        Assert.Equal(Private, SecretKit.Mode(kit.KeyFile));
        Assert.DoesNotContain(value, File.ReadAllText(kit.Keystore));
    }

    [Fact]
    public void A_new_value_is_a_new_version_the_old_one_is_kept_and_restore_brings_it_back()
    {
        using var kit = new SecretKit();
        var v1 = SecretKit.Canary();
        var v2 = SecretKit.Canary();
        SecretKit.Ok(kit.Stdin(v1, "secret://db/app.set", "value=@-"), changed: true);
        Assert.Equal(1, SecretKit.Ok(kit.Stdin(v1, "secret://db/app.set", "value=@-"), changed: false)["version"]!.GetValue<int>());
        var second = SecretKit.Ok(kit.Stdin(v2, "secret://db/app.set", "value=@-"), changed: true);
        Assert.Equal(2, second["version"]!.GetValue<int>());
        Assert.Equal(1, second["previous_version"]!.GetValue<int>());

        var versions = SecretKit.Ok(kit.Run("secret://db/app.versions"));
        Assert.Equal(2, versions["current"]!.GetValue<int>());
        Assert.Equal([1, 2], versions["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<int>()));
        Assert.Equal(v1, kit.Run("secret://db/app.get", "version=1", "reveal=true", "--format", "raw").Stdout);

        var restored = SecretKit.Ok(kit.Run("secret://db/app.restore", "version=1"), changed: true);
        Assert.Equal(3, restored["version"]!.GetValue<int>());
        Assert.Equal(1, restored["restored_from"]!.GetValue<int>());
        Assert.Equal(v1, kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
        SecretKit.Ok(kit.Run("secret://db/app.restore", "version=3"), changed: false);
        SecretKit.Fails(kit.Run("secret://db/app.restore", "version=9"), "not_found");
    }

    [Fact]
    public void Generate_rotate_and_delete()
    {
        using var kit = new SecretKit();
        var gen = SecretKit.Ok(kit.Run("secret://api/key.generate", "length=40", "charset=hex"), changed: true);
        Assert.Equal("40 random hex characters", gen["generated"]!.GetValue<string>());
        var first = kit.Run("secret://api/key.get", "reveal=true", "--format", "raw").Stdout;
        Assert.Matches("^[0-9a-f]{40}$", first);
        SecretKit.Fails(kit.Run("secret://api/key.generate"), "conflict");

        var rotated = SecretKit.Ok(kit.Run("secret://api/key.rotate"), changed: true);
        Assert.Equal(2, rotated["version"]!.GetValue<int>());
        var second = kit.Run("secret://api/key.get", "reveal=true", "--format", "raw").Stdout;
        Assert.Matches("^[0-9a-f]{40}$", second); // made the way the first one was
        Assert.NotEqual(first, second);

        SecretKit.Ok(kit.Run("secret://bin/key.generate", "bytes=32"), changed: true);
        var binary = SecretKit.Ok(kit.Run("secret://bin/key.get", "reveal=true"));
        Assert.Equal(32, binary["length"]!.GetValue<int>());
        Assert.Equal(32, Convert.FromBase64String(binary["value"]!.GetValue<string>()).Length);
        Assert.Equal(32, kit.Run("secret://bin/key.get", "reveal=true", "--format", "raw").StdoutBytes.Length);

        var deleted = SecretKit.Ok(kit.Run("secret://api/key.delete"), changed: true);
        Assert.Equal(2, deleted["versions_deleted"]!.GetValue<int>());
        SecretKit.Ok(kit.Run("secret://api/key.delete"), changed: false);
        Assert.False(SecretKit.Ok(kit.Run("secret://api/key.exists"))["exists"]!.GetValue<bool>());
        SecretKit.Fails(kit.Run("secret://api/key.rotate"), "not_found");
    }

    [Fact]
    public void A_dry_run_on_a_fresh_machine_creates_nothing()
    {
        using var kit = new SecretKit();
        var run = kit.Stdin("some-value-1234", "secret://db/app.set", "value=@-", "--dry-run");
        SecretKit.Ok(run, changed: true);
        Assert.True(run.Envelope["dry_run"]!.GetValue<bool>());
        Assert.False(Directory.Exists(kit.SecretsDir));
        SecretKit.Ok(kit.Run("secret://db/app.generate", "--dry-run"), changed: true);
        Assert.False(Directory.Exists(kit.SecretsDir));
        Assert.Equal(0, SecretKit.Ok(kit.Run("secret://.list"))["count"]!.GetValue<int>());
        Assert.False(Directory.Exists(kit.SecretsDir)); // reads create nothing either
    }

    [Fact]
    public void Exec_injects_secrets_into_the_environment_and_masks_them_in_the_output()
    {
        using var kit = new SecretKit();
        var value = SecretKit.Canary();
        SecretKit.Ok(kit.Stdin(value, "secret://db/app.set", "value=@-"));
        var env = SecretKit.Ok(kit.Run("secret://.exec(command=env,env=DB_PASSWORD:db/app)"), changed: true);
        Assert.Contains("DB_PASSWORD=***", env["stdout"]!.GetValue<string>());
        Assert.Equal(["DB_PASSWORD"], env["injected"]!.AsArray().Select(x => x!.GetValue<string>()));

        // The child really got it: it can measure it without printing it.
        var length = SecretKit.Ok(kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "--", "sh", "-c", "printf %s \"${#DB_PASSWORD}\""));
        Assert.Equal(value.Length.ToString(), length["stdout"]!.GetValue<string>());

        SecretKit.Fails(kit.Run("secret://.exec", "env=DB_PASSWORD:db/missing", "--", "touch", Path.Combine(kit.Temp, "ran")), "not_found");
        Assert.False(File.Exists(Path.Combine(kit.Temp, "ran"))); // nothing runs when a secret is missing
        SecretKit.Fails(kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "--", "sh", "-c", "exit 3"), "failed");
        SecretKit.Fails(kit.Run("secret://.exec", "env=DB_PASSWORD", "--", "true"), "usage");
        foreach (var run in kit.Runs) Assert.DoesNotContain(value, run.Stdout + run.Stderr);
    }

    [Fact]
    public void A_secret_reference_reaches_another_handles_secret_argument()
    {
        using var kit = new SecretKit();
        var value = SecretKit.Canary();
        SecretKit.Ok(kit.Stdin(value, "secret://zip/pw.set", "value=@-"));
        var src = Path.Combine(kit.Temp, "a.txt");
        File.WriteAllText(src, "hello\n");
        var zip = Path.Combine(kit.Temp, "x.zip");
        SecretKit.Ok(kit.Run($"archive://{zip}.create(sources={src})", "password=secret:zip/pw"));
        var wrong = kit.Run($"archive://{zip}.test", "password=secret:zip/nope");
        SecretKit.Fails(wrong, "not_found");
        // The same password given literally opens it: the reference resolved to the stored value.
        Assert.Equal(0, kit.Run($"archive://{zip}.test", $"password={value}").ExitCode);
        foreach (var run in kit.Runs) Assert.DoesNotContain(value, run.Stdout + run.Stderr);
    }

    [Fact]
    public void Export_and_import_move_every_version_to_another_keystore()
    {
        using var a = new SecretKit();
        using var b = new SecretKit();
        var v1 = SecretKit.Canary();
        var v2 = SecretKit.Canary();
        SecretKit.Ok(a.Stdin(v1, "secret://db/app.set", "value=@-"));
        SecretKit.Ok(a.Stdin(v2, "secret://db/app.set", "value=@-"));
        SecretKit.Ok(a.Run("secret://ci/token.generate"));
        var bundle = Path.Combine(a.Temp, "all.bundle");
        var pass = new Dictionary<string, string> { ["BUNDLE_PASS"] = "bundle-passphrase-" + Guid.NewGuid().ToString("N") };

        var export = SecretKit.Ok(a.Run(["secret://.export", $"file={bundle}", "passphrase=env:BUNDLE_PASS"], null, pass), changed: true);
        Assert.Equal(2, export["count"]!.GetValue<int>());
        Assert.Equal(3, export["versions"]!.GetValue<int>());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, SecretKit.Mode(bundle));
        var bundleText = File.ReadAllText(bundle);
        Assert.DoesNotContain(v1, bundleText);
        Assert.DoesNotContain("db/app", bundleText); // names are inside the sealed part too
        SecretKit.Fails(a.Run(["secret://.export", $"file={bundle}", "passphrase=env:BUNDLE_PASS"], null, pass), "conflict");

        SecretKit.Fails(b.Run(["secret://.import", $"file={bundle}", "passphrase=env:WRONG"], null, new Dictionary<string, string> { ["WRONG"] = "not-the-passphrase" }), "permission_denied");
        var import = SecretKit.Ok(b.Run(["secret://.import", $"file={bundle}", "passphrase=env:BUNDLE_PASS"], null, pass), changed: true);
        Assert.Equal(2, import["imported"]!.AsArray().Count);
        Assert.Equal(v2, b.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
        Assert.Equal(v1, b.Run("secret://db/app.get", "version=1", "reveal=true", "--format", "raw").Stdout);
        SecretKit.Ok(b.Run(["secret://.import", $"file={bundle}", "passphrase=env:BUNDLE_PASS"], null, pass), changed: false);

        SecretKit.Ok(b.Stdin(SecretKit.Canary(), "secret://db/app.set", "value=@-"));
        SecretKit.Fails(b.Run(["secret://.import", $"file={bundle}", "passphrase=env:BUNDLE_PASS"], null, pass), "conflict");
        SecretKit.Ok(b.Run(["secret://.import", $"file={bundle}", "passphrase=env:BUNDLE_PASS", "overwrite=true"], null, pass), changed: true);
        Assert.Equal(v2, b.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
    }

    [Fact]
    public void Bad_names_and_read_only_backends_are_clear_errors()
    {
        using var kit = new SecretKit();
        SecretKit.Fails(kit.Run("secret://../etc.get"), "usage");
        SecretKit.Fails(kit.Run("secret://.get"), "usage");
        SecretKit.Fails(kit.Stdin("value-1234", "secret://x.set", "value=@-", "backend=env"), "unsupported");
        SecretKit.Fails(kit.Run("secret://x.set"), "usage"); // no value and no terminal to ask on
    }
}
