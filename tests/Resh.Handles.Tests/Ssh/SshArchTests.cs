using System.Diagnostics;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

/// <summary>
/// ssh:// copies the build that matches the architecture a host reports. The fleet is all x86_64, so armbox (the
/// loopback sshd's 127.0.0.7) plays an aarch64 host through a real sshd session whose PATH has a uname that says
/// aarch64 to -m (tests/setup/ssh.sh); ssh itself is real. The "arm64 build" next to resh is a stand-in: this x86_64
/// build with bytes appended, a different build (its own hash, its own remote cache dir) that still runs here, so the
/// test sees which build was chosen, uploaded and run.
/// </summary>
[Collection("ssh")]
public sealed class SshArchTests(SshBackend ssh)
{
    /// <summary>A resh installed alone in a fresh dir (no builds next to it but those the test puts there).</summary>
    static string Install(TempDir dir, string name = "resh", string? tail = null)
    {
        var path = dir[name];
        var bytes = File.ReadAllBytes(ReshBinary.Path);
        File.WriteAllBytes(path, tail is null ? bytes : [.. bytes, .. Encoding.ASCII.GetBytes(tail)]);
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
        return path;
    }

    static string BuildId(string path) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant()[..16];

    ReshRun RunAs(string binary, string state, string? config, params string[] args)
    {
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in ssh.Env(state)) psi.Environment[k] = v;
        if (config is not null) psi.Environment["RESH_CONFIG"] = config;
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120))) { p.Kill(true); throw new TimeoutException(string.Join(' ', args)); }
        return new ReshRun(p.ExitCode, stdout.Result, stderr.Result, Encoding.UTF8.GetBytes(stdout.Result));
    }

    [Fact]
    public void An_aarch64_host_gets_the_arm64_build_next_to_resh_and_an_x86_64_host_this_one()
    {
        using var dir = new TempDir("arch");
        var resh = Install(dir);
        var arm = Install(dir, "resh-linux-arm64", "\n# arm64 stand-in " + Guid.NewGuid().ToString("N") + "\n");
        var state = ssh.NewStateDir();

        var onArm = RunAs(resh, state, null, "ssh://armbox/system://.hostname", "--format", "json");
        Assert.True(onArm.Ok, onArm.ToString());
        Assert.Equal(File.ReadAllBytes(arm), File.ReadAllBytes(Path.Combine(ssh.ArmCache, "resh", BuildId(arm), "resh")));
        Assert.False(Directory.Exists(Path.Combine(ssh.ArmCache, "resh", BuildId(resh))), "the x86_64 build's dir, made before the host said aarch64, is removed");

        // The same host again: the architecture learnt is remembered, the arm64 build answers at once.
        var again = RunAs(resh, state, null, "ssh://armbox/system://.hostname", "--format", "json", "--verbose");
        Assert.True(again.Ok, again.ToString());
        Assert.DoesNotContain("is aarch64; sending", again.Stderr);
        Assert.Single(Directory.GetFiles(Path.Combine(state, "ssh", "arch")));

        // An x86_64 host still gets this build.
        var onBox = RunAs(resh, state, null, "ssh://box/system://.hostname", "--format", "json");
        Assert.True(onBox.Ok, onBox.ToString());
        Assert.True(File.Exists(Path.Combine(ssh.RemoteCache, "resh", BuildId(resh), "resh")));
        Assert.False(Directory.Exists(Path.Combine(ssh.RemoteCache, "resh", BuildId(arm))));
    }

    [Fact]
    public void An_aarch64_host_without_an_arm64_build_is_unsupported_with_the_build_hint()
    {
        using var dir = new TempDir("arch");
        var resh = Install(dir);

        var run = RunAs(resh, ssh.NewStateDir(), null, "ssh://armbox/system://.hostname", "--format", "json");

        Assert.Equal(8, run.ExitCode);
        Assert.Equal("unsupported", run.ErrorCode);
        var error = run.Envelope["error"]!;
        Assert.StartsWith("armbox is Linux aarch64; there is no resh build for aarch64 here", error["message"]!.GetValue<string>());
        Assert.Contains("scripts/build-native.sh linux-arm64", error["hint"]!.GetValue<string>());
        Assert.Contains("[ssh.binaries] aarch64", error["hint"]!.GetValue<string>());
        var looked = error["details"]!["looked_for"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal([dir["resh-linux-arm64"], Path.GetFullPath(Path.Combine(dir.Path, "..", "resh-linux-arm64", "resh"))], looked);
        // Nothing is left on the host: no temporary file, no dir for the build it cannot run.
        Assert.False(Directory.Exists(Path.Combine(ssh.ArmCache, "resh", BuildId(resh))));
    }

    [Fact]
    public void A_configured_build_for_aarch64_is_sent_and_a_bad_binaries_table_is_a_usage_error()
    {
        using var dir = new TempDir("arch");
        var resh = Install(dir);
        var arm = Install(dir, "elsewhere-arm64", "\n# configured arm64 stand-in " + Guid.NewGuid().ToString("N") + "\n");
        var config = dir.File("resh.toml", File.ReadAllText(ssh.ConfigFile) + $"\n[ssh.binaries]\narm64 = \"{arm}\"\n");

        var run = RunAs(resh, ssh.NewStateDir(), config, "ssh://armbox/system://.hostname", "--format", "json");

        Assert.True(run.Ok, run.ToString());
        Assert.Equal(File.ReadAllBytes(arm), File.ReadAllBytes(Path.Combine(ssh.ArmCache, "resh", BuildId(arm), "resh")));

        var bad = dir.File("bad.toml", File.ReadAllText(ssh.ConfigFile) + "\n[ssh.binaries]\nriscv64 = \"/opt/resh-riscv64\"\n");
        var refused = RunAs(resh, ssh.NewStateDir(), bad, "ssh://armbox/system://.hostname", "--format", "json");
        Assert.Equal("usage", refused.ErrorCode);
        Assert.Contains("riscv64", refused.Envelope["error"]!["message"]!.GetValue<string>());
    }
}
