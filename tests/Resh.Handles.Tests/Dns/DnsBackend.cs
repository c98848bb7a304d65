using Resh.Handles.Tests.Network;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.DnsTests;

/// <summary>
/// The real DNS servers of tests/setup/dns.sh, started once for the dns collection in a network namespace
/// of this run (its name carries a per-run suffix): BIND with the delegated hierarchy root → test. →
/// example.test (ns1 127.0.0.1, ns2 127.53.0.2) on port 5353 (free by construction: the namespace is new),
/// with a TSIG key for updates and transfers, and dnsmasq as the system resolver. resh, dig and getent run
/// inside the namespace.
/// </summary>
public sealed class DnsBackend : IDisposable
{
    public const int Port = 5353;
    public string Dir { get; } = Path.Combine("/tmp", "resh-dns-" + Guid.NewGuid().ToString("N")[..10]);
    public string Netns { get; } = "reshdns" + Guid.NewGuid().ToString("N")[..6];
    public string KeyFile => Path.Combine(Dir, "tsig.key");
    public string Server => $"127.0.0.1:{Port}";
    static string Script => Path.Combine(ReshBinary.RepoRoot, "tests", "setup", "dns.sh");

    public DnsBackend()
    {
        var up = NetTestKit.Run(Script, ["up", Dir, Netns, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], wait: TimeSpan.FromSeconds(120));
        if (up.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"tests/setup/dns.sh up failed: {up}");
        }
    }

    /// <summary>The key file's secret (base64), for the tests that pass it through key=.</summary>
    public string Secret
    {
        get
        {
            var text = File.ReadAllText(KeyFile);
            var i = text.IndexOf("secret \"", StringComparison.Ordinal) + 8;
            return text[i..text.IndexOf('"', i)];
        }
    }

    /// <summary>resh inside the namespace.</summary>
    public ReshRun Resh(params string[] args) => NetTestKit.Run("ip", ["netns", "exec", Netns, ReshBinary.Path, .. args]);

    public ReshRun ReshEnv(IDictionary<string, string> env, params string[] args) => NetTestKit.Run("ip", ["netns", "exec", Netns, ReshBinary.Path, .. args], env);

    /// <summary>resh as nobody (uid 65534, no groups) inside the namespace.</summary>
    public ReshRun AsNobody(params string[] args) =>
        NetTestKit.Run("ip", ["netns", "exec", Netns, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path, .. args]);

    /// <summary>A program inside the namespace with DIR/resolv.conf (dnsmasq) bound over /etc/resolv.conf in a private mount namespace.</summary>
    public ReshRun WithResolver(string program, params string[] args) => WithResolvConf(Path.Combine(Dir, "resolv.conf"), program, args);

    /// <summary>A program inside the namespace with the file <paramref name="resolvConf"/> bound over /etc/resolv.conf in a private mount namespace.</summary>
    public ReshRun WithResolvConf(string resolvConf, string program, params string[] args) =>
        NetTestKit.Run("ip", ["netns", "exec", Netns, "unshare", "-m", "--propagation", "private", "sh", "-c",
            "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"", resolvConf, program, .. args]);

    /// <summary>dig inside the namespace; stdout lines.</summary>
    public string[] Dig(params string[] args)
    {
        var r = NetTestKit.Run("ip", ["netns", "exec", Netns, "dig", "+time=2", "+tries=1", .. args]);
        Assert.True(r.ExitCode == 0, $"dig {string.Join(' ', args)}: {r}");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>dig +short NAME TYPE at ns1, sorted.</summary>
    public string[] Short(string name, string type) => Dig("+short", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "@127.0.0.1", name, type).Order(StringComparer.Ordinal).ToArray();

    public long Serial(string zone) => long.Parse(Short(zone, "SOA")[0].Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        NetTestKit.Run(Script, ["down", Dir, Netns], wait: TimeSpan.FromSeconds(60));
        try { Directory.Delete(Dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("dns")]
public sealed class DnsCollection : ICollectionFixture<DnsBackend>;
