using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Resh.Handles.Tests.CertScheme;

/// <summary>`openssl s_server` on 127.0.0.1 serving a certificate and its intermediates; stopped (by PID) on dispose.</summary>
public sealed class TlsServer : IDisposable
{
    readonly Process _process;
    public int Port { get; }

    public TlsServer(string cert, string key, string? chain, int? port = null)
    {
        Port = port ?? FreePort();
        // A fixed port held by another program: refuse before starting, or the readiness probe below would connect to
        // that program (a TLS server of someone else's answered a test's expiry call with its own certificate).
        if (port is not null && !IsFree(Port)) throw new InvalidOperationException($"port {Port} is taken");
        var psi = new ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "s_server", "-accept", $"127.0.0.1:{Port}", "-cert", cert, "-key", key, "-www", "-quiet" }) psi.ArgumentList.Add(a);
        if (chain is not null) { psi.ArgumentList.Add("-cert_chain"); psi.ArgumentList.Add(chain); }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (int i = 0; i < 100; i++)
        {
            if (_process.HasExited) throw new InvalidOperationException($"openssl s_server exited {_process.ExitCode} (port {Port} taken?)");
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, Port);
                if (_process.HasExited) throw new InvalidOperationException($"openssl s_server exited {_process.ExitCode} (port {Port} taken?)");
                return;
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        Dispose();
        throw new TimeoutException($"openssl s_server did not listen on 127.0.0.1:{Port}");
    }

    static bool IsFree(int port)
    {
        try
        {
            var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException) { return false; }
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(); _process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

/// <summary>The corpus plus one TLS server (good chain) shared by the endpoint tests.</summary>
public sealed class CertEndpointFixture : IDisposable
{
    public CertCorpus Corpus { get; } = new();
    public TlsServer Server { get; }

    public CertEndpointFixture() => Server = new TlsServer(Corpus["leaf.pem"], Corpus["leaf.key"], Corpus["inter.pem"]);

    public void Dispose()
    {
        Server.Dispose();
        Corpus.Dispose();
    }
}
