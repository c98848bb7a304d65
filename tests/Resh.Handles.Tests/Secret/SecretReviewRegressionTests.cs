using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>Regression tests for the issue 12 attacker review findings on secret://.</summary>
public sealed class SecretReviewRegressionTests
{
    static SecretKit WithSecret(out string value)
    {
        var kit = new SecretKit();
        value = SecretKit.Canary();
        SecretKit.Ok(kit.Stdin(value, "secret://db/app.set", "value=@-"));
        return kit;
    }

    [Fact]
    public void Exec_children_never_inherit_the_keystore_unlock_variables()
    {
        using var kit = WithSecret(out _);
        kit.Env("RESH_SECRET_KEY_FILE", "");
        var run = kit.Run(["secret://.exec", "env=DB_PASSWORD:db/app", "--", "env"], null, new Dictionary<string, string> { ["RESH_SECRET_PASSPHRASE"] = "" });
        var stdout = SecretKit.Ok(run)["stdout"]!.GetValue<string>();
        Assert.Contains("DB_PASSWORD=", stdout);
        Assert.DoesNotContain("RESH_SECRET_PASSPHRASE", stdout);
        Assert.DoesNotContain("RESH_SECRET_KEY_FILE", stdout);
    }

    [Fact]
    public void A_secret_cut_by_max_output_or_the_error_tail_leaves_no_part_of_itself()
    {
        using var kit = WithSecret(out var value);
        var run = kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "max_output=1010", "--", "sh", "-c", "printf '%01000d' 0; printf %s \"$DB_PASSWORD\"");
        var stdout = SecretKit.Ok(run)["stdout"]!.GetValue<string>();
        foreach (var k in new[] { 6, 8, 10 })
            Assert.DoesNotContain(value[..k], stdout[1000..]);
        var failing = kit.Run("secret://.exec", "env=DB_PASSWORD:db/app", "--", "sh", "-c", "printf %s \"$DB_PASSWORD\"; printf '%01990d' 0; exit 3");
        var error = SecretKit.Fails(failing, "failed");
        var tail = error["details"]!["stdout"]!.GetValue<string>();
        foreach (var k in new[] { 6, 8, 10 })
            Assert.DoesNotContain(value[^k..], tail);
    }

    [Fact]
    public void A_bundle_header_asking_for_gigabytes_of_argon2_is_refused_before_deriving()
    {
        using var kit = WithSecret(out _);
        var bundle = Path.Combine(kit.Temp, "b.bundle");
        var env = new Dictionary<string, string> { ["P"] = "bundle-pass-1234" };
        SecretKit.Ok(kit.Run(["secret://.export", $"file={bundle}", "passphrase=env:P"], null, env));
        var lines = File.ReadAllText(bundle).Split('\n');
        foreach (var (key, value) in new[] { ("memory_kib", "4194304"), ("iterations", "100"), ("parallelism", "64") })
        {
            var header = System.Text.RegularExpressions.Regex.Replace(lines[1], $"\"{key}\":[0-9]+", $"\"{key}\":{value}");
            Assert.NotEqual(lines[1], header);
            File.WriteAllText(bundle, $"{lines[0]}\n{header}\n{lines[2]}\n");
            SecretKit.Fails(kit.Run(["secret://.import", $"file={bundle}", "passphrase=env:P", "overwrite=true"], null, env), "failed");
        }
    }

    [Fact]
    public void A_fifo_in_the_file_backend_directory_is_refused_not_waited_on()
    {
        using var kit = new SecretKit();
        var dir = Path.Combine(kit.Temp, "run-secrets");
        Directory.CreateDirectory(dir);
        Sh.Ok("mkfifo", Path.Combine(dir, "pipe"));
        var run = kit.Run("secret://pipe.get", "backend=file", $"dir={dir}", "reveal=true");
        // Not SecretKit.Fails: this refusal has no hint yet (known gap in the issue 12 report).
        Assert.False(run.Ok, run.ToString());
        Assert.Equal("failed", run.ErrorCode);
        Assert.Contains("not a regular file", run.Envelope["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public void A_symlinked_secrets_directory_is_refused()
    {
        using var kit = new SecretKit();
        var elsewhere = Path.Combine(kit.Temp, "elsewhere");
        Directory.CreateDirectory(elsewhere, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(kit.SecretsDir, elsewhere);
        SecretKit.Fails(kit.Stdin("x-value-1", "secret://db/app.set", "value=@-"), "permission_denied");
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }
}
