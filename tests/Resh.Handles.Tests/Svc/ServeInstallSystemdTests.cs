using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Svc;

/// <summary>
/// Issue 18, `resh serve install`: the unit is written through svc://NAME.create into a real systemd (PID 1 of a
/// container, resh inside it), started, and the sandboxed service answers /healthz and a token's calls; its state dir
/// is writable and the rest of the file system is not (ProtectSystem=strict), beside the paths named `writable`.
/// </summary>
[Collection(SystemdCollection.Name)]
public sealed class ServeInstallSystemdTests(SystemdContainer box)
{
    const string Unit = "reshtest-serve.service";

    /// <summary>An HTTP request from inside the container (its network is private): status and body.</summary>
    (int Status, string Body) Http(string method, string url, string? token = null, string? body = null)
    {
        var script = """
            import sys, urllib.request, urllib.error
            method, url, token, body = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
            req = urllib.request.Request(url, method=method, data=body.encode() if body else None)
            if token: req.add_header("Authorization", "Bearer " + token)
            if body: req.add_header("Content-Type", "application/json")
            try:
                r = urllib.request.urlopen(req, timeout=10); print(r.status); print(r.read().decode())
            except urllib.error.HTTPError as e:
                print(e.code); print(e.read().decode())
            except Exception as e:
                print(0); print(repr(e))
            """;
        var (code, stdout, stderr) = box.Exec("/usr/bin/python3", "-c", script, method, url, token ?? "", body ?? "");
        Assert.True(code == 0, stderr);
        var nl = stdout.IndexOf('\n');
        return (int.Parse(stdout[..nl], System.Globalization.CultureInfo.InvariantCulture), stdout[(nl + 1)..]);
    }

    [Fact]
    public void Serve_install_writes_a_sandboxed_unit_through_svc_and_the_started_service_answers()
    {
        File.WriteAllText(box.HostPath("/etc/resh-serve-test.toml"), """
            [roles.ops]
            allow = ["system.*", "file.write:file:///etc/**", "file.write:file:///srv/out/**"]
            """);
        Directory.CreateDirectory(box.HostPath("/srv/out"));
        string[] install = ["serve", "install", "name=reshtest-serve", "listen=127.0.0.1:18480", "--mcp", "config_file=/etc/resh-serve-test.toml", "writable=/srv/out", "start=true"];

        // --dry-run shows the whole unit and writes nothing.
        var dry = box.Resh([.. install.Where(a => a != "start=true"), "--dry-run"]);
        Assert.True(dry.Ok, dry.ToString());
        var diff = dry.Result!["diff"]!.GetValue<string>();
        Assert.True(diff.Contains("+ExecStart=/opt/resh/resh serve \"--listen\" 127.0.0.1:18480 \"--mcp\"\n", StringComparison.Ordinal), diff);
        foreach (var line in new[] { "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=read-only", "PrivateTmp=yes", "PrivateDevices=yes", "ProtectKernelTunables=yes", "ProtectClock=yes", "StateDirectory=resh", "StateDirectoryMode=0700",
                     "ReadWritePaths=/srv/out", "RESH_HOME=/var/lib/resh", "RESH_CONFIG=/etc/resh-serve-test.toml", "Restart=on-failure", "After=network-online.target" })
            Assert.True(diff.Contains(line, StringComparison.Ordinal), line + "\n" + diff);
        Assert.False(File.Exists(box.HostPath("/etc/systemd/system/" + Unit)), "a dry run wrote the unit");

        var run = box.Resh(install);
        Assert.True(run.Ok && run.Changed, run.ToString());
        Assert.True(run.Result!["started"]!.GetValue<bool>());
        Assert.Equal(Unit, run.Result["unit"]!.GetValue<string>());
        var unitText = File.ReadAllText(box.HostPath("/etc/systemd/system/" + Unit));
        Assert.Contains("ProtectSystem=strict\n", unitText);

        // The service listens: /healthz from inside the container (retried while it starts).
        (int Status, string Body) health = (0, "");
        for (var i = 0; i < 100 && health.Status != 200; i++)
        {
            health = Http("GET", "http://127.0.0.1:18480/healthz");
            if (health.Status != 200) Thread.Sleep(100);
        }
        Assert.True(health.Status == 200, $"{health}\n{box.Exec("systemctl", "status", Unit).Stdout}\n{box.Exec("journalctl", "-u", Unit, "--no-pager").Stdout}");
        Assert.Contains("\"status\":\"serving\"", health.Body);
        Assert.Equal("active", box.Exec("systemctl", "is-active", Unit).Stdout.Trim());
        Assert.Equal("enabled", box.Exec("systemctl", "is-enabled", Unit).Stdout.Trim());

        // A token made in the service's state dir works: the state dir is the service's own and writable to it
        // (the audit trail is written there), /srv/out is writable (writable=), /etc is not (ProtectSystem=strict).
        var (code, token, err) = box.Exec("/usr/bin/env", "RESH_HOME=/var/lib/resh", "RESH_CONFIG=/etc/resh-serve-test.toml", SystemdContainer.ReshInside,
            "token", "create", "name=ci", "role=ops", "--format", "raw");
        Assert.True(code == 0, err);
        token = token.Trim();
        var uptime = Http("POST", "http://127.0.0.1:18480/v1/call", token, """{"stage":"system://","verb":"uptime"}""");
        Assert.True(uptime.Status == 200, uptime.Body);
        var written = Http("POST", "http://127.0.0.1:18480/v1/call", token, """{"stage":"file:///srv/out/hello.txt","verb":"write","args":{"content":"from the service\n"}}""");
        Assert.True(written.Status == 200, written.Body);
        Assert.Equal("from the service\n", File.ReadAllText(box.HostPath("/srv/out/hello.txt")));
        var refused = Http("POST", "http://127.0.0.1:18480/v1/call", token, """{"stage":"file:///etc/resh-sandbox-probe","verb":"write","args":{"content":"x"}}""");
        Assert.True(refused.Status is >= 400 and < 600, refused.Body);
        Assert.False(File.Exists(box.HostPath("/etc/resh-sandbox-probe")), "the sandboxed service wrote under /etc");
        var audit = Directory.GetFiles(box.HostPath("/var/lib/resh"), "*", SearchOption.AllDirectories);
        Assert.Contains(audit, f => f.Contains("audit", StringComparison.Ordinal));
        var mode = File.GetUnixFileMode(box.HostPath("/var/lib/resh"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, mode);

        // The same install again changes nothing; stop drains and ends it.
        var again = box.Resh(install);
        Assert.True(again.Ok && !again.Changed, again.ToString());
        Assert.Equal(0, box.Resh("svc://reshtest-serve.stop").ExitCode);
        Assert.Equal(0, box.Resh("svc://reshtest-serve.disable").ExitCode);
        Assert.True(box.Resh("svc://reshtest-serve.remove").Ok);
    }

    [Fact]
    public void Serve_install_refuses_what_would_fail_at_every_start()
    {
        Assert.Equal("usage", box.Resh("serve", "install", "listen=0.0.0.0:18481").ErrorCode); // plaintext off loopback
        Assert.Equal("not_found", box.Resh("serve", "install", "listen=127.0.0.1:18481", "tls_cert=/nonexistent.pem").ErrorCode);
        Assert.Equal("not_found", box.Resh("serve", "install", "writable=/nonexistent/dir").ErrorCode);
        Assert.Equal("usage", box.Resh("serve", "install", "listen=nonsense").ErrorCode);
        Assert.Equal("usage", box.Resh("serve", "install", "name=a/b").ErrorCode);
        // svc.create's directives may not smuggle commands or override its own keys.
        Assert.Equal("usage", box.Resh("svc://reshtest-dir.create", "directives=ExecStartPre=/bin/sh -c id", "--", "/bin/sleep", "1").ErrorCode);
        Assert.Equal("usage", box.Resh("svc://reshtest-dir.create", "directives=User=root", "--", "/bin/sleep", "1").ErrorCode);
        Assert.Equal("usage", box.Resh("svc://reshtest-dir.create", "directives=nokey", "--", "/bin/sleep", "1").ErrorCode);
        Assert.False(File.Exists(box.HostPath("/etc/systemd/system/reshtest-dir.service")));
    }
}
