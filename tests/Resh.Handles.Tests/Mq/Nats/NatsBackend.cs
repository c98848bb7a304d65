using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mq.Nats;

/// <summary>
/// The real NATS server of the mq:// NATS tests, started once per run by tests/setup/nats.sh on a free loopback port:
/// JetStream on, a user `resh` with a random password (in a 0600 file, given to resh through env:), and an anonymous
/// user for inline targets. Teardown stops it by PID even when tests failed. Tests isolate themselves by queue name.
/// </summary>
public sealed class NatsBackend : IDisposable
{
    public NatsBackend()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"resh-nats-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(Dir);
        Home = Path.Combine(Dir, "home");
        Directory.CreateDirectory(Home);
        var ports = LoopbackPorts.Free(2);
        (Port, MonitorPort) = (ports[0], ports[1]);
        var up = Shell.Run($"{Shell.Q(Script)} up {Shell.Q(Dir)} {Port} {MonitorPort}", wait: TimeSpan.FromSeconds(60));
        if (up.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"tests/setup/nats.sh up failed (a missing backend fails the suite):\n{up}");
        }
        Password = File.ReadAllText(Path.Combine(Dir, "password")).Trim();
        Config = Path.Combine(Dir, "config.toml");
        File.WriteAllText(Config, $"""
            [mq.events]
            url = "nats://127.0.0.1:{Port}"
            user = "resh"
            password = "env:RESH_TEST_NATS_PW"
            tls = "off"

            [mq.wrong]
            url = "nats://127.0.0.1:{Port}"
            user = "resh"
            password = "env:RESH_TEST_NATS_WRONG"
            tls = "off"

            [mq.cleartext]
            url = "nats://127.0.0.1:{Port}"
            user = "resh"
            password = "env:RESH_TEST_NATS_PW"
            """);
    }

    public string Dir { get; }
    public string Home { get; }
    public int Port { get; }
    public int MonitorPort { get; }
    public string Password { get; }
    public string Config { get; }
    public string Inline => $"mq://127.0.0.1:{Port}";

    public Dictionary<string, string> Env => new()
    {
        ["RESH_HOME"] = Home, ["RESH_CONFIG"] = Config, ["RESH_TEST_NATS_PW"] = Password, ["RESH_TEST_NATS_WRONG"] = "not-" + Password,
    };

    /// <summary>resh with the profile config and the password in the environment (never on argv).</summary>
    public ReshRun Resh(params string[] args) => ReshBinary.Run([.. args, "--format", "json"], env: Env, wait: TimeSpan.FromSeconds(60));

    public ReshRun ReshIn(string stdin, params string[] args) => ReshBinary.Run(args, stdin: stdin, env: Env, wait: TimeSpan.FromMinutes(3));

    static string Script => Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "nats.sh");


    public void Dispose()
    {
        Shell.Run($"{Shell.Q(Script)} down {Shell.Q(Dir)}", wait: TimeSpan.FromSeconds(30));
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("nats")]
public sealed class NatsCollection : ICollectionFixture<NatsBackend>;

internal static class NatsAssert
{
    public static JsonNode Ok(ReshRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!;
    }

    public static void Fails(ReshRun run, string code, int exit)
    {
        Assert.True(run.ErrorCode == code && run.ExitCode == exit, $"expected {code} ({exit}): {run}");
        Assert.False(string.IsNullOrWhiteSpace(run.Envelope["error"]!["hint"]?.GetValue<string>()), run.ToString());
    }
}
