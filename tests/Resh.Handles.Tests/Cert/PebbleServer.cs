using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Resh.TestSupport;

namespace Resh.Handles.Tests.CertScheme;

/// <summary>
/// Let's Encrypt's test ACME server, pebble, on 127.0.0.1 with free ports, once per test class: its HTTPS
/// certificate comes from a throwaway CA made here (resh trusts it with ca=), names resolve through
/// pebble-challtestsrv's DNS (every A query answers 127.0.0.1, no AAAA), and http-01 validation connects to
/// 127.0.0.1:HttpPort, where the test lets resh listen (or serves a webroot). Both processes are stopped by PID.
/// </summary>
public sealed class PebbleServer : IDisposable
{
    readonly TempDir _dir = new("pebble");
    readonly List<Process> _processes = [];
    public int Port { get; }
    public int ManagementPort { get; }
    public int HttpPort { get; }
    public string Directory => $"https://127.0.0.1:{Port}/dir";
    public string CaFile => _dir["tls-ca.pem"];
    public string Dir => _dir.Path;

    /// <summary>Set when pebble runs inside a network namespace (<see cref="InNetns"/>).</summary>
    readonly string? _netns;

    public PebbleServer() : this(null, null) { }

    /// <summary>
    /// pebble alone inside the network namespace NETNS, resolving through DNSSERVER there (a real BIND that takes
    /// dynamic updates, for dns-01): no challenge test server. Reach it from resh run inside the same namespace.
    /// </summary>
    public static PebbleServer InNetns(string netns, string dnsServer) => new(netns, dnsServer);

    PebbleServer(string? netns, string? dnsServer)
    {
        _netns = netns;
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0x1ed);
        Port = TlsServer.FreePort();
        ManagementPort = TlsServer.FreePort();
        HttpPort = TlsServer.FreePort();
        var tlsPort = TlsServer.FreePort();
        var dnsPort = FreeUdpPort();
        var dnsMgmt = TlsServer.FreePort();
        MakeTlsCertificate();
        File.WriteAllText(_dir["pebble.json"], $$$"""
            {"pebble": {"listenAddress": "127.0.0.1:{{{Port}}}", "managementListenAddress": "127.0.0.1:{{{ManagementPort}}}",
              "certificate": "{{{_dir["tls.pem"]}}}", "privateKey": "{{{_dir["tls.key"]}}}",
              "httpPort": {{{HttpPort}}}, "tlsPort": {{{tlsPort}}}, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
            """);
        if (netns is not null)
        {
            // A fresh namespace has every port free; the ones picked on the host are as good as any.
            Start("ip", new() { ["PEBBLE_VA_NOSLEEP"] = "1", ["PEBBLE_AUTHZREUSE"] = "0" }, "netns", "exec", netns, "pebble", "-config", _dir["pebble.json"], "-dnsserver", dnsServer!);
            WaitListening(Port);
            return;
        }
        Start("pebble-challtestsrv", [], "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", $"127.0.0.1:{dnsPort}",
            "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", $"127.0.0.1:{dnsMgmt}");
        Start("pebble", new() { ["PEBBLE_VA_NOSLEEP"] = "1", ["PEBBLE_AUTHZREUSE"] = "0" }, "-config", _dir["pebble.json"], "-dnsserver", $"127.0.0.1:{dnsPort}");
        WaitListening(Port);
        WaitListening(dnsMgmt);
    }

    void MakeTlsCertificate()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=Pebble TLS Test CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caReq.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = req.Create(ca, now.AddDays(-1), now.AddDays(29), [1, 2, 3, 4]);
        File.WriteAllText(CaFile, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(_dir["tls.pem"], leaf.ExportCertificatePem() + "\n");
        File.WriteAllText(_dir["tls.key"], key.ExportPkcs8PrivateKeyPem() + "\n");
        File.SetUnixFileMode(CaFile, (UnixFileMode)0x1a4);
    }

    void Start(string file, Dictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        var log = new StringBuilder();
        p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        Logs[file == "ip" ? args[3] : file] = log;
    }

    public Dictionary<string, StringBuilder> Logs { get; } = [];

    void WaitListening(int port)
    {
        for (int i = 0; i < 200; i++)
        {
            foreach (var p in _processes)
                if (p.HasExited) { var logs = string.Join("\n", Logs.Values); Dispose(); throw new InvalidOperationException($"pebble exited: {logs}"); }
            if (_netns is not null)
            {
                // The namespace's loopback is not the host's: probe from inside it.
                using var probe = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", _netns, "bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{port}"]) { RedirectStandardError = true })!;
                probe.WaitForExit(5000);
                if (probe.HasExited && probe.ExitCode == 0) return;
                Thread.Sleep(50);
                continue;
            }
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        Dispose();
        throw new TimeoutException($"pebble did not listen on 127.0.0.1:{port}");
    }

    static int FreeUdpPort()
    {
        for (int i = 0; i < 20; i++)
        {
            using var u = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)u.Client.LocalEndPoint!).Port;
            try
            {
                var t = new TcpListener(IPAddress.Loopback, port);
                t.Start();
                t.Stop();
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no free port for the test DNS server");
    }

    /// <summary>Pebble's issuing root and intermediate (from its management interface), for openssl verify.</summary>
    public (string Root, string Intermediate) IssuerFiles()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler);
        var root = _dir["pebble-root.pem"];
        var inter = _dir["pebble-inter.pem"];
        File.WriteAllText(root, http.GetStringAsync($"https://127.0.0.1:{ManagementPort}/roots/0").Result);
        File.WriteAllText(inter, http.GetStringAsync($"https://127.0.0.1:{ManagementPort}/intermediates/0").Result);
        return (root, inter);
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) { p.Kill(); p.WaitForExit(5000); } }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        _processes.Clear();
        _dir.Dispose();
    }
}
