using System.Diagnostics;
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

    /// <summary>resh run from another copy of its binary (a JIT build's files are linked beside it; the program itself is copied, so its owner can change).</summary>
    ReshRun RunCopy(string binary, params string[] args) => ReshBinary.Run([.. args, "--format", "json"], env: Env, binary: binary);

    /// <summary>A copy of the resh binary in <paramref name="dir"/> (made with <paramref name="mode"/>).</summary>
    static string CopyBinary(string dir, UnixFileMode mode)
    {
        Directory.CreateDirectory(dir);
        var from = Path.GetDirectoryName(ReshBinary.Path)!;
        if (File.Exists(Path.ChangeExtension(ReshBinary.Path, ".dll")))
            Assert.Equal(0, Shell.Run($"cp -al {Shell.Q(from)}/. {Shell.Q(dir)}/").ExitCode); // a JIT build: its assemblies beside it
        var binary = Path.Combine(dir, Path.GetFileName(ReshBinary.Path));
        File.Delete(binary);
        File.Copy(ReshBinary.Path, binary);
        File.SetUnixFileMode(binary, (UnixFileMode)0x1ed); // 0755
        File.SetUnixFileMode(dir, mode);
        return binary;
    }

    static void Sh(string command)
    {
        var r = Shell.Run(command);
        Assert.True(r.ExitCode == 0, command + "\n" + r);
    }

    [Fact]
    public void A_binary_another_user_could_replace_is_refused_at_install_for_agent_and_serve()
    {
        if (Environment.UserName != "root") return; // chown and useradd need root (the suite runs as root)
        var config = Config();
        var state = _dir["state"];
        Directory.CreateDirectory(state);
        string[] agent = ["agent", "install", $"config_file={config}", $"state_dir={state}", "--dry-run"];
        string[] serve = ["serve", "install", "listen=127.0.0.1:18999", $"state_dir={state}", "--dry-run"];

        // The control: a copy in a directory only root can change is accepted, so what fails below is the binary's path.
        var safe = CopyBinary(_dir["safe"], (UnixFileMode)0x1ed);
        var ok = RunCopy(safe, agent);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains($"+ExecStart={safe} agent", ok.Result!["diff"]!.GetValue<string>());

        // In a directory anyone may write (0777, not sticky): anyone could put their program in its place.
        var open = CopyBinary(_dir["open"], (UnixFileMode)0x1ff);
        foreach (var args in new[] { agent, serve })
        {
            var run = RunCopy(open, args);
            Assert.True(run.ErrorCode == "permission_denied", run.ToString());
            Assert.Contains("writable by others", run.Envelope["error"]!["message"]!.GetValue<string>());
            Assert.Contains("/usr/local/bin", run.Envelope["error"]!["hint"]!.GetValue<string>());
        }

        // Owned by another user (a throwaway account, removed after).
        var user = "reshf4" + Guid.NewGuid().ToString("N")[..6];
        Sh($"useradd --system --no-create-home --shell /usr/sbin/nologin {user}");
        try
        {
            var theirs = CopyBinary(_dir["theirs"], (UnixFileMode)0x1ed);
            Sh($"chown {user} {Shell.Q(theirs)}");
            foreach (var args in new[] { agent, serve })
            {
                var run = RunCopy(theirs, args);
                Assert.True(run.ErrorCode == "permission_denied", run.ToString());
                Assert.Contains("belongs to user", run.Envelope["error"]!["message"]!.GetValue<string>());
            }
            // Their directory, with root's binary in it: they could rename it away and put theirs there.
            var dir = _dir["theirdir"];
            var inTheirs = CopyBinary(dir, (UnixFileMode)0x1ed);
            Sh($"chown {user} {Shell.Q(dir)}");
            Assert.Equal("permission_denied", RunCopy(inTheirs, agent).ErrorCode);
        }
        finally
        {
            Shell.Run($"userdel {user}");
        }
    }

    [Fact]
    public void A_state_dir_of_another_user_is_refused_at_install()
    {
        if (Environment.UserName != "root") return;
        var config = Config();
        ReshRun With(string state) => Install($"config_file={config}", $"state_dir={state}", "--dry-run");

        // Outside /var/lib it must already be the service's (root's here), writable by no one else, and its audit dir too.
        var mine = _dir["mine"];
        Directory.CreateDirectory(mine);
        File.SetUnixFileMode(mine, (UnixFileMode)0x1c0); // 0700
        var run = With(mine);
        Assert.True(run.ExitCode == 0, run.ToString());

        var theirs = _dir["theirs"];
        Directory.CreateDirectory(theirs);
        Sh($"chown 65534 {Shell.Q(theirs)}");
        run = With(theirs);
        Assert.True(run.ErrorCode == "permission_denied", run.ToString());
        Assert.Contains("belongs to user 65534", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("audit trail", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains("chown root", run.Envelope["error"]!["hint"]!.GetValue<string>());

        var open = _dir["open"];
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0x1ff);
        Assert.Equal("permission_denied", With(open).ErrorCode);

        // The audit dir inside planted by another user.
        var planted = _dir["planted"];
        Directory.CreateDirectory(Path.Combine(planted, "audit"));
        File.SetUnixFileMode(planted, (UnixFileMode)0x1c0);
        Sh($"chown 65534 {Shell.Q(Path.Combine(planted, "audit"))}");
        Assert.Equal("permission_denied", With(planted).ErrorCode);

        // Under /var/lib systemd gives it to User= at start; a directory another user made there is still refused.
        var varLib = "/var/lib/resh-f5-" + Guid.NewGuid().ToString("N")[..6];
        Directory.CreateDirectory(varLib);
        try
        {
            Assert.True(With(varLib).ExitCode == 0, With(varLib).ToString()); // root's: systemd makes it 0700
            Sh($"chown 65534 {varLib}");
            Assert.Equal("permission_denied", With(varLib).ErrorCode);
            var asNobody = Install($"config_file={config}", $"state_dir={varLib}", "user=nobody", "--dry-run");
            Assert.True(asNobody.ExitCode == 0, asNobody.ToString()); // the service's own user
        }
        finally
        {
            Directory.Delete(varLib, recursive: true);
        }
    }

    [Fact]
    public void An_agent_whose_state_dir_is_another_users_does_not_start_without_its_audit_trail()
    {
        if (Environment.UserName != "root") return;
        var config = Config();
        var home = _dir["agent-home"];
        Directory.CreateDirectory(home);
        Sh($"chown 65534 {Shell.Q(home)}");
        var run = ReshBinary.Run(["agent", "--config", config], env: new Dictionary<string, string> { ["RESH_HOME"] = home, ["HOME"] = home }, wait: TimeSpan.FromSeconds(30));
        Assert.True(run.ErrorCode == "permission_denied", run.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("audit trail", run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.Contains(home, run.Envelope["error"]!["message"]!.GetValue<string>());
        Assert.False(Directory.Exists(Path.Combine(home, "audit")), "the agent made its audit dir in another user's directory");
    }

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
