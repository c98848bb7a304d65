using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Handles.Tests.Sys;
using Resh.TestSupport;

namespace Resh.Handles.Tests.Network;

/// <summary>
/// Three network namespaces made for the net:// tests, with per-run names (reshnet-XXXXXX-c/r/s), deleted on dispose:
/// client (c0 10.231.1.2/24, a spare veth pair dum0/dum1) — router (r0 10.231.1.1, r1 10.231.2.1, forwarding) — server
/// (s0 10.231.2.2/24, nc listeners). Nothing of the host's own network is touched. The client allows ping sockets
/// for every group (net.ipv4.ping_group_range); the router keeps the kernel's default (none), for the refusal test.
/// </summary>
public sealed class NetLab : IDisposable
{
    public const string ClientIp = "10.231.1.2", RouterNear = "10.231.1.1", RouterFar = "10.231.2.1", ServerIp = "10.231.2.2";
    public const string ClientV6 = "fd31:1::2", RouterNearV6 = "fd31:1::1";

    readonly string _id = "reshnet-" + Guid.NewGuid().ToString("N")[..6];
    public string Client => _id + "-c";
    public string Router => _id + "-r";
    public string Server => _id + "-s";
    public int[] ServerPorts { get; }
    readonly List<Process> _listeners = [];

    public NetLab()
    {
        try
        {
            foreach (var ns in new[] { Client, Router, Server }) { Ip("netns", "add", ns); Ip("-n", ns, "link", "set", "lo", "up"); }
            Ip("-n", Client, "link", "add", "c0", "type", "veth", "peer", "name", "r0", "netns", Router);
            Ip("-n", Router, "link", "add", "r1", "type", "veth", "peer", "name", "s0", "netns", Server);
            Ip("-n", Client, "addr", "add", ClientIp + "/24", "dev", "c0");
            Ip("-n", Client, "addr", "add", ClientV6 + "/64", "dev", "c0", "nodad");
            Ip("-n", Router, "addr", "add", RouterNear + "/24", "dev", "r0");
            Ip("-n", Router, "addr", "add", RouterNearV6 + "/64", "dev", "r0", "nodad");
            Ip("-n", Router, "addr", "add", RouterFar + "/24", "dev", "r1");
            Ip("-n", Server, "addr", "add", ServerIp + "/24", "dev", "s0");
            foreach (var (ns, dev) in new[] { (Client, "c0"), (Router, "r0"), (Router, "r1"), (Server, "s0") }) Ip("-n", ns, "link", "set", dev, "up");
            Ip("-n", Client, "route", "add", "default", "via", RouterNear);
            Ip("-n", Server, "route", "add", "default", "via", RouterFar);
            // A veth pair with both ends here stands in for a spare link (the dummy driver may not be available).
            Ip("-n", Client, "link", "add", "dum0", "type", "veth", "peer", "name", "dum1");
            InNs(Router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            InNs(Client, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647");
            // Listeners on the server: two TCP ports on every address and one on loopback only (5432, the README's call).
            ServerPorts = [FreePortIn(Server), FreePortIn(Server)];
            foreach (var p in ServerPorts) Listen(Server, "0.0.0.0", p);
            Listen(Server, "127.0.0.1", 5432);
            foreach (var p in ServerPorts) WaitListening(Server, p);
            WaitListening(Server, 5432);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string[] In(string ns) => ["ip", "netns", "exec", ns];
    public string[] AsNobodyIn(string ns) => ["ip", "netns", "exec", ns, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];

    public static string Ip(params string[] args) => Tools.Ok("ip", args);
    public static JsonArray IpJson(string ns, params string[] args) => JsonNode.Parse(Tools.Ok("ip", ["-n", ns, "-j", .. args]) is { Length: > 0 } s ? s : "[]")!.AsArray();
    internal static Tools.ToolRun InNs(string ns, string file, params string[] args) => Tools.Run("ip", ["netns", "exec", ns, file, .. args]);

    /// <summary>Starts `nc -lk` in a namespace; it is killed on dispose.</summary>
    public Process Listen(string ns, string address, int port)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var a in new[] { "netns", "exec", ns, "nc", "-lk", address, port.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _listeners.Add(p);
        return p;
    }

    public static void WaitListening(string ns, int port)
    {
        for (int i = 0; i < 100; i++)
        {
            if (InNs(ns, "ss", "-H", "-ltn", "sport = :" + port.ToString(CultureInfo.InvariantCulture)).Stdout.Trim().Length > 0) return;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"nothing listens on {port} in {ns}");
    }

    /// <summary>A TCP port nothing in the namespace uses (the namespace is ours, so a fixed range is free unless we used it).</summary>
    static int _next = 20000;
    public static int FreePortIn(string ns) => Interlocked.Increment(ref _next);

    public void Dispose()
    {
        foreach (var p in _listeners)
        {
            try { if (!p.HasExited) { p.Kill(true); p.WaitForExit(5000); } }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        foreach (var ns in new[] { Client, Router, Server }) Tools.Run("ip", ["netns", "del", ns]);
    }
}
