using System.Net;
using System.Net.Sockets;

namespace Resh.TestSupport;

/// <summary>Loopback ports free right now, for a test server started once per run (all held open together, so distinct).</summary>
public static class LoopbackPorts
{
    public static int[] Free(int n)
    {
        var listeners = Enumerable.Range(0, n).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
