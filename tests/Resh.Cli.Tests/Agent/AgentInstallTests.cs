using Resh.TestSupport;
using Xunit;

namespace Resh.Cli.Tests.Agent;

/// <summary>
/// `resh agent install` without a running systemd: --dry-run renders the unit (the real install into a systemd is
/// AgentInstallSystemdTests), and what would fail at every start is refused before anything is written.
/// </summary>
public sealed class AgentInstallTests : IDisposable
{
    readonly TempDir _dir = new("agentinstall");

    public void Dispose() => _dir.Dispose();

    Dictionary<string, string> Env => new() { ["RESH_HOME"] = _dir["home"], ["HOME"] = _dir["home"] };

    string Config(string extra = "")
    {
        var path = _dir.File("agent.toml", $"""
            [agent]
            url = "nats://127.0.0.1:4222"
            host = "web01"
            {extra}
            [agent.callers.alice]
            key = "ed25519:{Convert.ToBase64String(new byte[32])}"
            role = "ops"

            [roles.ops]
            allow = ["system.*"]
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    ReshRun Install(params string[] args) => ReshBinary.Run(["agent", "install", .. args, "--format", "json"], env: Env);

    static string Diff(ReshRun run) => run.Result!["diff"]!.GetValue<string>();

    [Fact]
    public void Dry_run_shows_a_sandboxed_unit_running_resh_agent_with_reload_and_restart()
    {
        if (Directory.Exists("/run/systemd/system")) return; // systemd runs here: AgentInstallSystemdTests covers it
        var unit = "resh-agent-t" + Guid.NewGuid().ToString("N")[..6];
        var config = Config();
        var run = Install($"name={unit}", $"config_file={config}", $"writable={_dir.Path}", "--dry-run");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(unit + ".service", run.Result!["unit"]!.GetValue<string>());
        var diff = Diff(run);
        var exec = diff.Split('\n').Single(l => l.StartsWith("+ExecStart=", StringComparison.Ordinal));
        Assert.EndsWith($" agent \"--config\" {config}", exec);
        foreach (var line in new[] { "+ExecReload=/bin/kill -s HUP $MAINPID", "+Restart=on-failure", "+NoNewPrivileges=yes", "+ProtectSystem=strict", "+ProtectHome=read-only",
                     "+PrivateTmp=yes", "+StateDirectory=resh-agent", "+StateDirectoryMode=0700", $"+ReadWritePaths={_dir.Path}", "RESH_HOME=/var/lib/resh-agent", "+After=network-online.target" })
            Assert.True(diff.Contains(line, StringComparison.Ordinal), line + "\n" + diff);
        Assert.False(File.Exists($"/etc/systemd/system/{unit}.service"));
        // The config is under /tmp here: PrivateTmp=yes would hide it from the service (s42 user review #1).
        static bool Hides(ReshRun r, string path) => r.Envelope["warnings"]!.AsArray().Any(w => w!.GetValue<string>().Contains(path) && w.GetValue<string>().Contains("PrivateTmp=yes"));
        if (config.StartsWith("/tmp/", StringComparison.Ordinal)) Assert.True(Hides(run, config), run.ToString());

        // sandbox=false: an agent that manages the host keeps only the file limit.
        var open = Install($"name={unit}", $"config_file={config}", "sandbox=false", "--dry-run");
        Assert.True(open.ExitCode == 0, open.ToString());
        Assert.DoesNotContain("ProtectSystem", Diff(open));
        Assert.DoesNotContain("PrivateTmp", Diff(open));
        Assert.False(Hides(open, config), open.ToString());
        Assert.Contains("+LimitNOFILE=65536", Diff(open));
        Assert.Contains("+ExecReload=/bin/kill -s HUP $MAINPID", Diff(open));
    }

    [Fact]
    public void A_config_the_agent_would_refuse_at_every_start_is_refused_at_install()
    {
        Assert.Equal("usage", Install("--dry-run").ErrorCode); // config_file is required
        Assert.Equal("not_found", Install($"config_file={_dir["missing.toml"]}", "--dry-run").ErrorCode);
        var config = Config();
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);
        var writable = Install($"config_file={config}", "--dry-run");
        Assert.Equal("permission_denied", writable.ErrorCode);
        Assert.Contains("chmod go-w", writable.Envelope["error"]!["hint"]!.GetValue<string>());
        var bad = Config("bogus = 1");
        Assert.Equal("usage", Install($"config_file={bad}", "--dry-run").ErrorCode);
        Assert.Equal("usage", Install($"config_file={Config()}", "name=a/b", "--dry-run").ErrorCode);
        Assert.Equal("not_found", Install($"config_file={Config()}", $"writable={_dir["nope"]}", "--dry-run").ErrorCode);
    }
}
