using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Svc;

/// <summary>
/// Issue 21, `resh agent install`: the unit is written through svc://NAME.create into a real systemd (PID 1 of a
/// container, resh and a nats-server inside it), started; the sandboxed agent answers a signed call that writes under a
/// `writable` path, cannot write elsewhere (ProtectSystem=strict), and `systemctl reload` (ExecReload=, SIGHUP) makes
/// it read its config again.
/// </summary>
[Collection(SystemdCollection.Name)]
public sealed class AgentInstallSystemdTests(SystemdContainer box)
{
    const string Unit = "reshtest-agent.service";

    string Journal() => box.Exec("journalctl", "-u", Unit, "--no-pager", "-o", "cat").Stdout;

    bool WaitForJournal(string text, int tries = 200)
    {
        for (var i = 0; i < tries; i++)
        {
            if (Journal().Contains(text, StringComparison.Ordinal)) return true;
            Thread.Sleep(100);
        }
        return false;
    }

    [Fact]
    public void Agent_install_writes_a_sandboxed_unit_through_svc_and_the_started_agent_answers_and_reloads()
    {
        // A NATS server inside the container (its network is private), as a transient unit.
        var nats = box.Exec("systemd-run", "--unit=reshtest-nats", "/usr/sbin/nats-server", "-a", "127.0.0.1", "-p", "14222");
        Assert.True(nats.ExitCode == 0, nats.Stderr);
        try
        {
            // The caller's key, made inside the container.
            var (code, keyOut, keyErr) = box.Exec("/usr/bin/env", "RESH_HOME=/root/caller", "HOME=/root", SystemdContainer.ReshInside,
                "agent", "key", "create", "name=alice", "role=ops", "--format", "json");
            Assert.True(code == 0, keyErr + keyOut);
            var pub = JsonNode.Parse(keyOut)!["result"]!["public_key"]!.GetValue<string>();
            File.WriteAllText(box.HostPath("/etc/resh-agent-test.toml"), $"""
                [agent]
                url = "nats://127.0.0.1:14222"
                tls = "off"
                host = "boxagent"

                [agent.callers.alice]
                key = "{pub}"
                role = "ops"

                [roles.ops]
                allow = ["system.*", "file.write:file:///srv/agentout/**", "file.write:file:///etc/**"]
                """);
            File.SetUnixFileMode(box.HostPath("/etc/resh-agent-test.toml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(box.HostPath("/root/caller.toml"), """
                [agent]
                url = "nats://127.0.0.1:14222"
                tls = "off"
                key = "alice"
                timeout = "20s"
                """);
            Directory.CreateDirectory(box.HostPath("/srv/agentout"));
            string[] install = ["agent", "install", "name=reshtest-agent", "config_file=/etc/resh-agent-test.toml", "writable=/srv/agentout", "start=true"];

            var dry = box.Resh([.. install.Where(a => a != "start=true"), "--dry-run"]);
            Assert.True(dry.Ok, dry.ToString());
            var diff = dry.Result!["diff"]!.GetValue<string>();
            foreach (var line in new[] { "+ExecStart=/opt/resh/resh agent \"--config\" /etc/resh-agent-test.toml\n", "+ExecReload=/bin/kill -s HUP $MAINPID\n",
                         "+Restart=on-failure\n", "+ProtectSystem=strict\n", "+PrivateDevices=yes\n", "+ProtectKernelTunables=yes\n", "+StateDirectory=resh-agent\n", "+ReadWritePaths=/srv/agentout\n" })
                Assert.True(diff.Contains(line, StringComparison.Ordinal), line + "\n" + diff);
            Assert.False(File.Exists(box.HostPath("/etc/systemd/system/" + Unit)), "a dry run wrote the unit");

            var run = box.Resh(install);
            Assert.True(run.Ok && run.Changed && run.Result!["started"]!.GetValue<bool>(), run.ToString());
            Assert.True(WaitForJournal("boxagent ready on"), Journal() + box.Exec("systemctl", "status", Unit).Stdout);
            Assert.Equal("active", box.Exec("systemctl", "is-active", Unit).Stdout.Trim());

            ReshRun Call(params string[] args)
            {
                var (c, o, e) = box.Exec(["/usr/bin/env", "RESH_HOME=/root/caller", "HOME=/root", SystemdContainer.ReshInside, .. args, "--config", "/root/caller.toml", "--format", "json"]);
                return new ReshRun(c, o, e, System.Text.Encoding.UTF8.GetBytes(o));
            }
            var written = Call("agent://boxagent/file:///srv/agentout/hello.txt.write", "content=from the agent");
            Assert.True(written.Ok && written.Changed, written + Journal());
            Assert.Equal("from the agent", File.ReadAllText(box.HostPath("/srv/agentout/hello.txt")));
            // The role grants /etc, the sandbox does not: read-only to the service.
            var refused = Call("agent://boxagent/file:///etc/resh-agent-probe.write", "content=x");
            Assert.False(refused.Ok, refused.ToString());
            Assert.False(File.Exists(box.HostPath("/etc/resh-agent-probe")), "the sandboxed agent wrote under /etc");
            Assert.Contains(Directory.GetFiles(box.HostPath("/var/lib/resh-agent"), "*", SearchOption.AllDirectories), f => f.Contains("audit", StringComparison.Ordinal));

            // systemctl reload sends SIGHUP: the agent reads its config again and keeps running.
            Assert.Equal(0, box.Exec("systemctl", "reload", Unit).ExitCode);
            Assert.True(WaitForJournal("config re-read from /etc/resh-agent-test.toml"), Journal());
            Assert.Equal("active", box.Exec("systemctl", "is-active", Unit).Stdout.Trim());

            // The same install again changes nothing; stop drains and ends it.
            var again = box.Resh(install);
            Assert.True(again.Ok && !again.Changed, again.ToString());
        }
        finally
        {
            box.Resh("svc://reshtest-agent.stop");
            box.Resh("svc://reshtest-agent.disable");
            box.Resh("svc://reshtest-agent.remove");
            box.Exec("systemctl", "stop", "reshtest-nats");
        }
    }
}
