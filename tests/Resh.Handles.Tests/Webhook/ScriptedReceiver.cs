using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Resh.Handles.Tests.Webhook;

/// <summary>A loopback HTTP/1.1 receiver for send's tests: answers the scripted statuses in turn and records each request's head and body.</summary>
public sealed class ScriptedReceiver : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _cts = new();
    readonly Task _loop;
    readonly Queue<(int Status, string? RetryAfter)> _script;

    public ConcurrentQueue<(Dictionary<string, string> Headers, string Body)> Requests { get; } = new();
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ScriptedReceiver(params (int Status, string? RetryAfter)[] script)
    {
        _script = new(script);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    async Task LoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_cts.Token); }
            catch (Exception) { return; }
            using (client)
            {
                try
                {
                    var s = client.GetStream();
                    var head = new StringBuilder();
                    var one = new byte[1];
                    while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await s.ReadAsync(one) == 1) head.Append((char)one[0]);
                    var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var line in head.ToString().Split("\r\n").Skip(1).Where(l => l.Contains(':')))
                        headers[line[..line.IndexOf(':')].Trim()] = line[(line.IndexOf(':') + 1)..].Trim();
                    var length = headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl) : 0;
                    var body = new byte[length];
                    int got = 0;
                    while (got < length) got += await s.ReadAsync(body.AsMemory(got));
                    Requests.Enqueue((headers, Encoding.UTF8.GetString(body)));
                    var (status, retryAfter) = _script.Count > 1 ? _script.Dequeue() : _script.Peek();
                    var answer = $"{{\"status\":{status}}}";
                    var reply = $"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {answer.Length}\r\n" +
                                (retryAfter is null ? "" : $"Retry-After: {retryAfter}\r\n") + "Connection: close\r\n\r\n" + answer;
                    await s.WriteAsync(Encoding.ASCII.GetBytes(reply));
                }
                catch (IOException) { }
            }
        }
    }

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Stop();
        try { _loop.Wait(5000); } catch (AggregateException) { }
    }
}
