using System.Net;
using System.Net.Sockets;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Lock;

/// <summary>One real etcd 3.4 (auth on, user root) per test run on loopback ports, started by tests/setup/etcd.sh.</summary>
public sealed class EtcdBackend : IDisposable
{
    public EtcdBackend()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"resh-etcd-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(Dir);
        var ports = LoopbackPorts.Free(2);
        Port = ports[0];
        var up = Shell.Run($"{Shell.Q(Script)} up {Shell.Q(Dir)} {ports[0]} {ports[1]}", wait: TimeSpan.FromSeconds(90));
        if (up.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"tests/setup/etcd.sh up failed (a missing backend fails the suite):\n{up}");
        }
    }

    public string Dir { get; }
    public int Port { get; }
    public const string Password = "etcdtestpw";

    /// <summary>etcdctl as root (the password through its flag file-free form: --password reads argv, so only in tests).</summary>
    public string Ctl(params string[] args)
    {
        var run = Shell.Run($"ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:{Port} --dial-timeout=2s --user=root:{Password} {string.Join(' ', args.Select(Shell.Q))}");
        if (run.ExitCode != 0) throw new InvalidOperationException(run.ToString());
        return run.Stdout.Trim();
    }

    static string Script => Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "etcd.sh");

    public void Dispose()
    {
        Shell.Run($"{Shell.Q(Script)} down {Shell.Q(Dir)}", wait: TimeSpan.FromSeconds(30));
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("etcd")]
public sealed class EtcdCollection : ICollectionFixture<EtcdBackend>;
