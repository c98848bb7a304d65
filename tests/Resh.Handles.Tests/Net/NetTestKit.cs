using System.Net;
using System.Net.Sockets;
using System.Text;
using Resh.TestSupport;

namespace Resh.Handles.Tests.Network;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>Helpers the network handles' tests share: free ports, resh as root or as nobody, other tools.</summary>
internal static class NetTestKit
{
    /// <summary>A TCP (and UDP) port free on the given loopback address right now.</summary>
    public static int FreePort(string address = "127.0.0.1")
    {
        for (int i = 0; i < 50; i++)
        {
            var l = new TcpListener(IPAddress.Parse(address), 0);
            l.Start();
            var port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            try
            {
                using var u = new UdpClient(new IPEndPoint(IPAddress.Parse(address), port));
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no free port");
    }

    public static ReshRun Resh(params string[] args) => ReshBinary.Run(args);

    /// <summary>resh run as nobody (uid 65534) with no groups.</summary>
    public static ReshRun AsNobody(params string[] args) => Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", ReshBinary.Path, .. args]);

    public static ReshRun Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? wait = null)
    {
        var r = Sys.Tools.Run(file, args, env, wait: wait);
        return new ReshRun(r.Exit, r.Stdout, r.Stderr, Encoding.UTF8.GetBytes(r.Stdout));
    }

    /// <summary>Runs a program and returns its stdout bytes exactly (curl -s, dig +short).</summary>
    public static (int Exit, byte[] Stdout, string Stderr) RunBytes(string file, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("http_proxy");
        psi.Environment.Remove("https_proxy");
        using var p = System.Diagnostics.Process.Start(psi)!;
        var ms = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(ms);
        var err = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException(file); }
        copy.Wait();
        return (p.ExitCode, ms.ToArray(), err.Result);
    }

    public static string ReadAllText(string path) => File.ReadAllText(path);
}
