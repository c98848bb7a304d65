using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Mq.Mqtt;

/// <summary>
/// The real MQTT broker of the mq:// MQTT tests, started once per run by tests/setup/mosquitto.sh on a free loopback port:
/// mosquitto 2 with persistence, a user `resh` with a random password (in a 0600 file, given to resh through env:), and
/// anonymous clients for inline targets. Teardown stops it by PID even when tests failed. Tests isolate themselves by queue name.
/// </summary>
public sealed class MosquittoBackend : IDisposable
{
    public MosquittoBackend()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"resh-mqtt-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(Dir);
        Home = Path.Combine(Dir, "home");
        Directory.CreateDirectory(Home);
        Port = LoopbackPorts.Free(1)[0];
        var up = Shell.Run($"{Shell.Q(Script)} up {Shell.Q(Dir)} {Port}", wait: TimeSpan.FromSeconds(60));
        if (up.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"tests/setup/mosquitto.sh up failed (a missing backend fails the suite):\n{up}");
        }
        Password = File.ReadAllText(Path.Combine(Dir, "password")).Trim();
        Config = Path.Combine(Dir, "config.toml");
        File.WriteAllText(Config, $"""
            [mq.broker]
            url = "mqtt://127.0.0.1:{Port}"
            user = "resh"
            password = "env:RESH_TEST_MQTT_PW"

            [mq.wrong]
            url = "mqtt://127.0.0.1:{Port}"
            user = "resh"
            password = "env:RESH_TEST_MQTT_WRONG"

            [mq.other]
            url = "mqtt://127.0.0.1:{Port}"
            user = "resh"
            password = "env:RESH_TEST_MQTT_PW"
            consumer = "second"
            """);
    }

    public string Dir { get; }
    public string Home { get; }
    public int Port { get; }
    public string Password { get; }
    public string Config { get; }
    public string Inline => $"mq://127.0.0.1:{Port}";

    public Dictionary<string, string> Env => new()
    {
        ["RESH_HOME"] = Home, ["RESH_CONFIG"] = Config, ["RESH_TEST_MQTT_PW"] = Password, ["RESH_TEST_MQTT_WRONG"] = "not-" + Password,
    };

    /// <summary>resh with the profile config and the password in the environment (never on argv).</summary>
    public ReshRun Resh(params string[] args) => ReshBinary.Run([.. args, "--format", "json"], env: Env, wait: TimeSpan.FromSeconds(60));

    public ReshRun ReshIn(string stdin, params string[] args) => ReshBinary.Run(args, stdin: stdin, env: Env, wait: TimeSpan.FromMinutes(3));

    /// <summary>mosquitto's own client (a second implementation to cross-check resh with), as user resh.</summary>
    public ShellRun Client(string tool, string args) =>
        Shell.Run($"timeout 20 {tool} -V mqttv5 -h 127.0.0.1 -p {Port} -u resh -P \"$RESH_TEST_MQTT_PW\" {args}", env: Env, wait: TimeSpan.FromSeconds(30));

    static string Script => Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "mosquitto.sh");

    public void Dispose()
    {
        Shell.Run($"{Shell.Q(Script)} down {Shell.Q(Dir)}", wait: TimeSpan.FromSeconds(30));
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("mqtt")]
public sealed class MqttCollection : ICollectionFixture<MosquittoBackend>;
