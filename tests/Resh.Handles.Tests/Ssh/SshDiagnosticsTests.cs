using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Ssh;

[Collection("ssh")]
public sealed class SshDiagnosticsTests(SshBackend ssh)
{
    [Fact]
    public void Test_passes_every_phase_on_a_healthy_host()
    {
        var run = ssh.Run("ssh://box.test");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal(["config", "connect", "hostkey", "auth", "sftp"], run.Result!["phases"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.StartsWith("SSH-2.0-", run.Result!["banner"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("ghost", "unavailable", "connect")]
    [InlineData("baduser", "permission_denied", "auth")]
    [InlineData("changed", "permission_denied", "hostkey")]
    public void Test_names_the_failing_phase(string host, string code, string phase)
    {
        var run = ssh.Run($"ssh://{host}.test");
        Assert.Equal(code, run.ErrorCode);
        Assert.Equal(phase, run.Envelope["error"]!["details"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void Config_get_shows_what_ssh_will_use()
    {
        var run = ssh.Run("ssh://box.config.get");
        Assert.True(run.Ok, run.ToString());
        Assert.Equal("127.0.0.1", run.Result!["hostname"]!.GetValue<string>());
        Assert.Equal(ssh.Port, run.Result!["port"]!.GetValue<int>());
        Assert.Equal(Path.Combine(ssh.Dir, "client_ed25519"), run.Result!["identity_files"]![0]!.GetValue<string>());
        Assert.Equal("reshf2", ssh.Run("ssh://inner.config.get").Result!["proxy_jump"]!.GetValue<string>());
    }

    [Fact]
    public void A_tunnel_on_a_local_port_in_use_is_a_conflict_before_any_open_event()
    {
        var busy = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        busy.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)busy.LocalEndpoint).Port;
            var run = ssh.Run($"ssh://box.tunnel(remote=127.0.0.1:22,local_port={port},duration=5s)", "--format", "ndjson");
            Assert.Equal("conflict", run.ErrorCode);
            Assert.DoesNotContain("tunnel.open", run.Stdout);
            Assert.Contains("in use", run.Envelope["error"]!["message"]!.GetValue<string>());
        }
        finally { busy.Stop(); }
    }

    [Fact]
    public void A_tunnel_forwards_a_local_port_to_a_server_only_the_host_can_reach()
    {
        // An echo server on reshf3's own loopback: unreachable from here except through the tunnel.
        using var server = StartEchoServer(24390);
        try
        {
            var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "ssh://reshf3.tunnel(remote=127.0.0.1:24390,duration=4s)", "--format", "ndjson" }) psi.ArgumentList.Add(a);
            foreach (var (k, v) in ssh.Env()) psi.Environment[k] = v;
            using var tunnel = Process.Start(psi)!;
            try
            {
                var open = JsonNode.Parse(tunnel.StandardOutput.ReadLine() ?? "{}")!;
                Assert.Equal("tunnel.open", open["event"]?.GetValue<string>());
                var port = open["local_port"]!.GetValue<int>();
                using (var tcp = new TcpClient("127.0.0.1", port))
                {
                    var stream = tcp.GetStream();
                    stream.Write("ping\n"u8);
                    var buf = new byte[64];
                    var n = stream.Read(buf);
                    Assert.Equal("echo:ping\n", Encoding.ASCII.GetString(buf, 0, n));
                }
                var rest = tunnel.StandardOutput.ReadToEnd();
                Assert.True(tunnel.WaitForExit(30_000));
                var env = JsonNode.Parse(rest.Trim().Split('\n').Last())!;
                Assert.True(env["ok"]!.GetValue<bool>(), rest);
                Assert.Equal("duration", env["result"]!["closed_by"]!.GetValue<string>());
            }
            finally
            {
                if (!tunnel.HasExited) tunnel.Kill(true);
            }
        }
        finally
        {
            if (!server.HasExited) server.Kill(true);
        }
    }

    [Fact]
    public void A_streaming_remote_verb_delivers_its_events_as_they_come_and_ends_at_the_timeout()
    {
        // box runs resh, whose own ssh:// tunnel (a streaming verb) reaches reshf3: its tunnel.open event
        // must arrive here while the remote verb is still running, and --timeout must end it normally.
        using var server = StartEchoServer(24391);
        var psi = new ProcessStartInfo(ReshBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "ssh://box/ssh://reshf3.tunnel(remote=127.0.0.1:24391,duration=60s)", "--timeout", "10s", "--format", "ndjson" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in ssh.Env()) psi.Environment[k] = v;
        using var run = Process.Start(psi)!;
        try
        {
            var open = JsonNode.Parse(run.StandardOutput.ReadLine() ?? "{}")!;
            Assert.Equal("tunnel.open", open["event"]?.GetValue<string>());
            Assert.False(run.HasExited);
            using (var tcp = new TcpClient("127.0.0.1", open["local_port"]!.GetValue<int>()))
            {
                tcp.GetStream().Write("live\n"u8);
                var buf = new byte[64];
                Assert.Equal("echo:live\n", Encoding.ASCII.GetString(buf, 0, tcp.GetStream().Read(buf)));
            }
            var rest = run.StandardOutput.ReadToEnd();
            Assert.True(run.WaitForExit(30_000));
            var env = JsonNode.Parse(rest.Trim().Split('\n').Last())!;
            Assert.True(env["ok"]!.GetValue<bool>(), rest + run.StandardError.ReadToEnd());
            Assert.Equal("box", env["host"]!.GetValue<string>());
            Assert.Equal("tunnel", env["verb"]!.GetValue<string>());
            Assert.Equal("timeout", env["result"]!["closed_by"]!.GetValue<string>());
        }
        finally
        {
            if (!run.HasExited) run.Kill(true);
            if (!server.HasExited) server.Kill(true);
        }
    }

    static Process StartEchoServer(int port)
    {
        var server = Process.Start(new ProcessStartInfo("ip")
        {
            ArgumentList = { "netns", "exec", "reshf3", "/usr/bin/python3", "-c", EchoServer.Replace("PORT", port.ToString()) },
            RedirectStandardOutput = true, UseShellExecute = false,
        })!;
        Assert.Equal("ready", server.StandardOutput.ReadLine());
        return server;
    }

    const string EchoServer = """
        import socket, sys
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", PORT)); s.listen(1); print("ready", flush=True)
        s.settimeout(60)
        c, _ = s.accept(); data = c.recv(64); c.sendall(b"echo:" + data); c.close()
        """;
}
