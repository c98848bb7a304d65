using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Resh.TestSupport;

namespace Resh.Handles.Tests.Cache;

/// <summary>
/// A hostile or broken cache server for one test: a loopback listener whose every connection runs <c>handle</c>
/// (on its own task). Dispose stops accepting, cancels the handlers and closes their sockets (bounded waits).
/// </summary>
internal sealed class FakeCacheServer : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _stop = new();
    readonly List<TcpClient> _clients = [];
    readonly List<Task> _handlers = [];
    readonly Task _accept;

    public FakeCacheServer(Func<NetworkStream, CancellationToken, Task> handle)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception) { return; }
                client.NoDelay = true;
                lock (_clients) _clients.Add(client);
                var stream = client.GetStream();
                var task = Task.Run(async () =>
                {
                    try { await handle(stream, _stop.Token); }
                    catch (Exception) { } // the client went away, or the test ended
                });
                lock (_handlers) _handlers.Add(task);
            }
        });
    }

    public int Port { get; }

    /// <summary>Bytes up to and including LF, or null at end of stream.</summary>
    public static async Task<string?> ReadLineAsync(Stream s, CancellationToken ct)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await s.ReadAsync(one, ct) == 0) return null;
            if (one[0] == '\n') return Encoding.Latin1.GetString(line.ToArray()).TrimEnd('\r');
            line.Add(one[0]);
            if (line.Count > 1 << 20) throw new IOException("line too long");
        }
    }

    /// <summary>One RESP command from a client (an array of bulk strings), or null at end of stream.</summary>
    public static async Task<List<string>?> ReadRedisCommandAsync(Stream s, CancellationToken ct)
    {
        var head = await ReadLineAsync(s, ct);
        if (head is null) return null;
        if (!head.StartsWith('*')) return [.. head.Split(' ')];
        var n = int.Parse(head[1..]);
        var args = new List<string>(n);
        for (var i = 0; i < n; i++)
        {
            var len = int.Parse((await ReadLineAsync(s, ct))![1..]);
            var buf = new byte[len + 2];
            await s.ReadExactlyAsync(buf, ct);
            args.Add(Encoding.Latin1.GetString(buf, 0, len));
        }
        return args;
    }

    /// <summary>
    /// A Redis that completes StackExchange.Redis's handshake (RESP2: HELLO is refused) and answers the other
    /// commands with <paramref name="answer"/> (null: an error reply).
    /// </summary>
    public static FakeCacheServer Redis(Func<List<string>, NetworkStream, CancellationToken, Task<bool>> answer) => new(async (s, ct) =>
    {
        while (await ReadRedisCommandAsync(s, ct) is { } cmd)
        {
            var name = cmd[0].ToUpperInvariant();
            string? reply = name switch
            {
                "PING" => "+PONG\r\n",
                "ECHO" => $"${cmd[1].Length}\r\n{cmd[1]}\r\n",
                "INFO" => Bulk("# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n# Replication\r\nrole:master\r\n"),
                "AUTH" or "SELECT" or "CLIENT" or "READONLY" => "+OK\r\n",
                "SUBSCRIBE" => $"*3\r\n$9\r\nsubscribe\r\n{Bulk(cmd[1])}:1\r\n",
                "CONFIG" => "*0\r\n",
                _ => null,
            };
            if (reply is not null) { await s.WriteAsync(Encoding.Latin1.GetBytes(reply), ct); continue; }
            if (!await answer(cmd, s, ct)) await s.WriteAsync("-ERR unknown command\r\n"u8.ToArray(), ct);
        }
    });

    static string Bulk(string s) => $"${s.Length}\r\n{s}\r\n";

    /// <summary>Writes <paramref name="chunk"/> until <paramref name="total"/> bytes went out (or the client left), then waits.</summary>
    public static async Task FloodAsync(Stream s, byte[] chunk, long total, CancellationToken ct)
    {
        for (long sent = 0; sent < total; sent += chunk.Length) await s.WriteAsync(chunk, ct);
        await Task.Delay(TimeSpan.FromSeconds(60), ct);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients) foreach (var c in _clients) c.Dispose();
        try { _accept.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        Task[] handlers;
        lock (_handlers) handlers = [.. _handlers];
        try { Task.WaitAll(handlers, TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}

/// <summary>A resh run under GNU time: its answer, its peak resident set and how long it took.</summary>
internal static class MeasuredResh
{
    public static (ReshRun Run, long PeakKiB, TimeSpan Elapsed) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/time")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-f", "peak %M", ReshBinary.Path, .. args]) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("RESH_CONFIG");
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            p.Kill(true);
            throw new TimeoutException($"resh {string.Join(' ', args)} did not finish.");
        }
        p.WaitForExit();
        var elapsed = clock.Elapsed;
        var lines = errTask.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var peak = long.Parse(lines.Last(l => l.StartsWith("peak ", StringComparison.Ordinal))[5..]);
        var stderr = string.Join('\n', lines.Where(l => !l.StartsWith("peak ", StringComparison.Ordinal)));
        return (new ReshRun(p.ExitCode, outTask.Result, stderr, Encoding.UTF8.GetBytes(outTask.Result)), peak, elapsed);
    }
}
