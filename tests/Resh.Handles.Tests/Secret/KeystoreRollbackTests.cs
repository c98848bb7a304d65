using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>An older copy of the keystore put back is detected (issue 12 attacker review #11).</summary>
public sealed class KeystoreRollbackTests
{
    [Fact]
    public void An_older_keystore_put_back_is_failed_until_the_owner_accepts_it()
    {
        using var kit = new SecretKit();
        SecretKit.Ok(kit.Stdin("first-value-1", "secret://db/app.set", "value=@-"));
        var old = Path.Combine(kit.Temp, "old.keystore");
        File.Copy(kit.Keystore, old);
        SecretKit.Ok(kit.Stdin("second-value-2", "secret://db/app.set", "value=@-"));
        Assert.Equal("second-value-2", kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);

        File.Copy(old, kit.Keystore, overwrite: true);
        File.SetUnixFileMode(kit.Keystore, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        foreach (var call in new[] { new[] { "secret://db/app.get", "reveal=true" }, ["secret://.list"], ["secret://other.set", "value=@-"] })
        {
            var run = kit.Run(call, "other-value-3");
            var error = SecretKit.Fails(run, "failed");
            Assert.Equal("rolled back", error["details"]!["reason"]!.GetValue<string>());
            Assert.Equal(1, error["details"]!["generation"]!.GetValue<long>());
            Assert.Equal(2, error["details"]!["recorded_generation"]!.GetValue<long>());
            Assert.Contains("local.generation", error["hint"]!.GetValue<string>());
        }
        Assert.DoesNotContain("first-value-1", kit.Runs.Last().Stdout);

        // The owner restored it on purpose: removing the record accepts it, and the next save records again.
        File.Delete(Path.Combine(kit.SecretsDir, "local.generation"));
        Assert.Equal("first-value-1", kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
        SecretKit.Ok(kit.Stdin("third-value-3", "secret://db/app.set", "value=@-"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, SecretKit.Mode(Path.Combine(kit.SecretsDir, "local.generation")));
        Assert.Equal("third-value-3", kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
    }

    [Fact]
    public void A_new_keystore_after_a_delete_is_not_mistaken_for_a_rollback()
    {
        using var kit = new SecretKit();
        for (int i = 0; i < 3; i++) SecretKit.Ok(kit.Stdin($"value-number-{i}", "secret://db/app.set", "value=@-"));
        File.Delete(kit.Keystore); // the same key file makes the new one: only its header differs
        SecretKit.Ok(kit.Stdin("fresh-value-1", "secret://db/app.set", "value=@-"));
        Assert.Equal("fresh-value-1", kit.Run("secret://db/app.get", "reveal=true", "--format", "raw").Stdout);
    }
}
