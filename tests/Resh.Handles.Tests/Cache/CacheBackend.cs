using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Cache;

/// <summary>
/// The real cache servers of the cache:// tests, started once per run by tests/setup/cache.sh on free loopback ports:
/// Redis 7 with requirepass (plain and TLS ports, a test CA) and memcached. Teardown stops both by PID even when tests failed.
/// Tests isolate themselves by key prefix (and flush tests by their own Redis database).
/// </summary>
public sealed class CacheBackend : IDisposable
{
    public CacheBackend()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"resh-cache-{Guid.NewGuid():N}"[..21]);
        Directory.CreateDirectory(Dir);
        var ports = LoopbackPorts.Free(3);
        (RedisPort, TlsPort, MemcachedPort) = (ports[0], ports[1], ports[2]);
        var up = Shell.Run($"{Shell.Q(Script)} up {Shell.Q(Dir)} {RedisPort} {TlsPort} {MemcachedPort}", wait: TimeSpan.FromSeconds(60));
        if (up.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"tests/setup/cache.sh up failed (a missing backend fails the suite):\n{up}");
        }
    }

    public string Dir { get; }
    public int RedisPort { get; }
    public int TlsPort { get; }
    public int MemcachedPort { get; }
    public const string Password = "testpw";
    public string PasswordFile => Path.Combine(Dir, "password");
    public string Ca => Path.Combine(Dir, "ca.pem");
    public string Redis => $"cache://127.0.0.1:{RedisPort}";
    public string Memcached => $"cache://127.0.0.1:{MemcachedPort}";
    /// <summary>The password from a 0600 file: never on argv.</summary>
    public string Auth => $"password=file:{PasswordFile}";

    /// <summary>Runs resh against Redis with the password file.</summary>
    public ReshRun R(string verb, params string[] args) => ReshBinary.Run([$"{Redis}.{verb}", Auth, .. args]);

    public ReshRun M(string verb, params string[] args) => ReshBinary.Run([$"{Memcached}.{verb}", "backend=memcached", .. args]);

    /// <summary>redis-cli for setting up data resh reads (the password through REDISCLI_AUTH, not argv).</summary>
    public string Cli(params string[] args)
    {
        var run = Shell.Run($"redis-cli -p {RedisPort} {string.Join(' ', args.Select(Shell.Q))}", env: new Dictionary<string, string> { ["REDISCLI_AUTH"] = Password });
        if (run.ExitCode != 0) throw new InvalidOperationException(run.ToString());
        return run.Stdout.Trim();
    }

    static string Script => Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "cache.sh");


    public void Dispose()
    {
        Shell.Run($"{Shell.Q(Script)} down {Shell.Q(Dir)}", wait: TimeSpan.FromSeconds(30));
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("cache")]
public sealed class CacheCollection : ICollectionFixture<CacheBackend>;

internal static class CacheAssert
{
    public static JsonNode Ok(ReshRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Result!;
    }

    public static void Fails(ReshRun run, string code)
    {
        Assert.True(run.ErrorCode == code, $"expected {code}: {run}");
    }

    /// <summary>Polls <paramref name="check"/> until it holds (bounded: 10 s), for TTL expiry.</summary>
    public static void Eventually(Func<bool> check, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (check()) return;
            Thread.Sleep(200);
        }
        Assert.Fail($"{what} did not happen within 10 s");
    }
}
