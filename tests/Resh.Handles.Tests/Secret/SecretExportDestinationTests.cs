using Xunit;

namespace Resh.Handles.Tests.Secret;

/// <summary>Issue 12 user review #14: an export destination that takes no new file is told clearly, not as "No such file".</summary>
public sealed class SecretExportDestinationTests
{
    [Fact]
    public void Export_over_a_proc_file_is_a_clear_usage_error_and_a_directory_is_refused()
    {
        using var kit = new SecretKit();
        SecretKit.Ok(kit.Stdin("v-1234", "secret://db/app.set", "value=@-"));
        var env = new Dictionary<string, string> { ["P"] = "bundle-pass-1234" };
        var proc = SecretKit.Fails(kit.Run(["secret://.export", "file=/proc/self/status", "overwrite=true", "passphrase=env:P"], null, env), "usage");
        Assert.Contains("/proc/self/status cannot be written", proc["message"]!.GetValue<string>());
        Assert.DoesNotContain("No such file", proc["message"]!.GetValue<string>());
        var dir = Path.Combine(kit.Temp, "adir");
        Directory.CreateDirectory(dir);
        var asDir = SecretKit.Fails(kit.Run(["secret://.export", $"file={dir}", "overwrite=true", "passphrase=env:P"], null, env), "usage");
        Assert.Contains("is a directory", asDir["message"]!.GetValue<string>());
        // A normal destination still works, and the probe left nothing beside it.
        var bundle = Path.Combine(kit.Temp, "ok.bundle");
        SecretKit.Ok(kit.Run(["secret://.export", $"file={bundle}", "passphrase=env:P"], null, env));
        Assert.Equal(["ok.bundle"], Directory.GetFiles(kit.Temp).Select(f => Path.GetFileName(f)!).ToArray());
    }
}
