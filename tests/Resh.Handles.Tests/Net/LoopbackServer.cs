using System.Net;
using System.Net.Sockets;

namespace Resh.Handles.Tests.Network;

/// <summary>
/// A hostile server for one test: a TCP listener on 127.0.0.1 at a free port; each connection is handed to
/// <c>serve</c> on its own task. Disposing stops the listener and cancels the connections.
/// </summary>
public sealed class LoopbackServer : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _stop = new();

    public int Port { get; }

    public LoopbackServer(Func<NetworkStream, CancellationToken, Task> serve)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try { await serve(client.GetStream(), _stop.Token); }
                        catch (Exception) { } // the client went away, or the test ended
                    }
                });
            }
        });
    }

    /// <summary>Reads an HTTP request's head (up to the blank line) and returns it, or null when the client closed first.</summary>
    public static async Task<string?> ReadRequestHeadAsync(NetworkStream stream, CancellationToken ct)
    {
        var buf = new byte[4096];
        var seen = new System.Text.StringBuilder();
        while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buf, ct);
            if (n == 0) return null;
            seen.Append(System.Text.Encoding.ASCII.GetString(buf, 0, n));
        }
        return seen.ToString();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
