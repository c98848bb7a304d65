using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Resh.Handles.Net.Network;

/// <summary>One TCP connect attempt: accepted, refused, or no answer in time.</summary>
internal readonly record struct ConnectAttempt(bool Open, string Outcome, double Ms);

internal static class TcpConnect
{
    public static async Task<ConnectAttempt> TryAsync(IPAddress address, int port, TimeSpan timeout, CancellationToken ct)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        var sw = Stopwatch.StartNew();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), timer.Token).ConfigureAwait(false);
            var ms = sw.Elapsed.TotalMilliseconds;
            // Close with RST-free FIN: the peer sees an ordinary connect and close (nc -z does the same).
            return new ConnectAttempt(true, "open", ms);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return new ConnectAttempt(false, "timeout", sw.Elapsed.TotalMilliseconds); }
        catch (SocketException e)
        {
            var outcome = e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "refused",
                SocketError.TimedOut => "timeout",
                SocketError.HostUnreachable or SocketError.NetworkUnreachable => "unreachable",
                _ => e.SocketErrorCode.ToString().ToLowerInvariant(),
            };
            return new ConnectAttempt(false, outcome, sw.Elapsed.TotalMilliseconds);
        }
    }
}
