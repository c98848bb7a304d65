namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>
/// Two network namespaces joined by a veth pair, made for the network tests and deleted on dispose (deleting a
/// namespace deletes its end of the pair). The "near" end has a known MAC, MTU, IPv4 and IPv6 address, a
/// default route and its own resolv.conf (ip netns exec binds /etc/netns/NAME/resolv.conf over /etc/resolv.conf).
/// </summary>
public sealed class NetnsPair : IDisposable
{
    public const string Near = "rsnear0", Far = "rsfar0";
    public const string Mac = "02:5e:57:00:00:01";
    public const int Mtu = 1420;
    public const string Ipv4 = "10.213.7.1", PeerIpv4 = "10.213.7.2", Gateway = "10.213.7.254", Ipv6 = "fd5e:57::1";
    public const string Nameserver = "10.213.7.53", SearchDomain = "resh.test";

    public string Name { get; } = "reshsys" + Guid.NewGuid().ToString("N")[..8];
    public string PeerName { get; }
    readonly string _etcDir;

    public NetnsPair()
    {
        PeerName = Name + "p";
        _etcDir = "/etc/netns/" + Name;
        try
        {
            Ip("netns", "add", Name);
            Ip("netns", "add", PeerName);
            Ip("-n", Name, "link", "add", Near, "type", "veth", "peer", "name", Far, "netns", PeerName);
            Ip("-n", Name, "link", "set", Near, "address", Mac, "mtu", Mtu.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Ip("-n", Name, "addr", "add", Ipv4 + "/24", "brd", "+", "dev", Near);
            Ip("-n", Name, "addr", "add", Ipv6 + "/64", "dev", Near, "nodad");
            Ip("-n", Name, "link", "set", Near, "up");
            Ip("-n", Name, "link", "set", "lo", "up");
            Ip("-n", Name, "route", "add", "default", "via", Gateway, "dev", Near, "onlink");
            Ip("-n", PeerName, "addr", "add", PeerIpv4 + "/24", "dev", Far);
            Ip("-n", PeerName, "link", "set", Far, "up");
            Directory.CreateDirectory(_etcDir);
            File.WriteAllText(Path.Combine(_etcDir, "resolv.conf"), $"# made by resh tests\nnameserver {Nameserver}\nsearch {SearchDomain}\n");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Runs a command inside the near namespace.</summary>
    public string[] Exec => ["ip", "netns", "exec", Name];

    public static string Ip(params string[] args) => Tools.Ok("ip", args);

    public void Dispose()
    {
        foreach (var ns in new[] { Name, PeerName }) Tools.Run("ip", ["netns", "del", ns]);
        try { if (Directory.Exists(_etcDir)) Directory.Delete(_etcDir, recursive: true); }
        catch (IOException) { }
    }
}
