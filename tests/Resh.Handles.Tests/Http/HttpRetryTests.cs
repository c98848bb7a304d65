using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Http;

/// <summary>
/// --retry against real loopback TCP servers (issue 19): a server that breaks the first connections and answers a later
/// one, one that always breaks, a POST whose connection is cut after the body arrived (never sent twice: the server
/// counts requests), a port where nothing listens, 404 and 503 with Retry-After, and a memcached that hangs up once.
/// </summary>
public sealed class HttpRetryTests
{
    static ReshRun Resh(params string[] args) => ReshBinary.Run(args);

    /// <summary>
    /// A raw HTTP/1.1 server: every connection's request (head and Content-Length body) is read whole, then
    /// <c>answer(n)</c> (n = 1 for the first request) says what to do: a response to write, or null to reset the
    /// connection (RST) without answering.
    /// </summary>
    sealed class RawHttpServer : IDisposable
    {
        readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        readonly CancellationTokenSource _stop = new();
        int _requests;

        public RawHttpServer(Func<int, string?> answer)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    Socket s;
                    try { s = await _listener.AcceptSocketAsync(_stop.Token); }
                    catch (Exception) { return; }
                    _ = Task.Run(async () =>
                    {
                        using var socket = s;
                        try
                        {
                            using var stream = new NetworkStream(socket, ownsSocket: false);
                            var head = await ReadHeadAsync(stream);
                            if (head is null) return;
                            var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("content-length", StringComparison.OrdinalIgnoreCase))
                                .Select(p => int.Parse(p[1].Trim())).FirstOrDefault();
                            var body = new byte[length];
                            await stream.ReadExactlyAsync(body, _stop.Token);
                            var n = Interlocked.Increment(ref _requests);
                            var reply = answer(n);
                            if (reply is null)
                            {
                                socket.LingerState = new LingerOption(true, 0); // close = RST
                                return;
                            }
                            await stream.WriteAsync(Encoding.ASCII.GetBytes(reply), _stop.Token);
                            socket.Shutdown(SocketShutdown.Send);
                        }
                        catch (Exception) { }
                    });
                }
            });
        }

        public int Port { get; }
        public int Requests => Volatile.Read(ref _requests);
        public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

        async Task<string?> ReadHeadAsync(NetworkStream s)
        {
            var bytes = new List<byte>();
            var one = new byte[1];
            while (true)
            {
                if (await s.ReadAsync(one, _stop.Token) == 0) return null;
                bytes.Add(one[0]);
                if (bytes.Count >= 4 && bytes[^1] == '\n' && bytes[^2] == '\r' && bytes[^3] == '\n' && bytes[^4] == '\r')
                    return Encoding.ASCII.GetString(bytes.ToArray());
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }

    static string Ok(string body) => $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
    static string Status(int code, string reason, string extra = "") => $"HTTP/1.1 {code} {reason}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n";

    [Fact]
    public void A_get_whose_first_two_connections_break_answers_on_the_third()
    {
        using var server = new RawHttpServer(n => n <= 2 ? null : Ok("hello"));
        var r = Resh(server.Url("/flaky.get"), "--retry", "3", "--retry-delay", "20ms", "-v");
        Assert.True(r.Ok, r.ToString());
        Assert.Equal(3, r.Envelope["attempts"]!.GetValue<int>());
        Assert.Equal(3, server.Requests);
        Assert.Equal("hello", r.Result!["body"]!.GetValue<string>());
        var warnings = r.Envelope["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList();
        Assert.StartsWith("Attempt 1 failed", warnings[0]);
        Assert.StartsWith("Attempt 2 failed", warnings[1]);
        Assert.Contains("retry: http.get attempt 2 of 4 failed", r.Stderr);

        // The same server without --retry: one request, the error, no attempts field.
        using var again = new RawHttpServer(n => n <= 2 ? null : Ok("hello"));
        var once = Resh(again.Url("/flaky.get"));
        Assert.False(once.Ok);
        Assert.True(once.Envelope["error"]!["details"]!["transient"]!.GetValue<bool>(), once.ToString());
        Assert.Null(once.Envelope["attempts"]);
        Assert.Equal(1, again.Requests);
    }

    [Fact]
    public void A_server_that_always_breaks_is_tried_retry_plus_one_times()
    {
        using var server = new RawHttpServer(_ => null);
        var r = Resh(server.Url("/down.get"), "--retry", "2", "--retry-delay", "10ms");
        Assert.False(r.Ok);
        Assert.Equal(3, r.Envelope["attempts"]!.GetValue<int>());
        Assert.Equal(3, server.Requests);
        Assert.True(r.Envelope["error"]!["details"]!["transient"]!.GetValue<bool>(), r.ToString());
    }

    [Fact]
    public void A_404_is_not_retried()
    {
        using var server = new RawHttpServer(_ => Status(404, "Not Found"));
        var r = Resh(server.Url("/missing.get"), "--retry", "3", "--retry-delay", "10ms");
        Assert.False(r.Ok);
        Assert.Equal(1, r.Envelope["attempts"]!.GetValue<int>());
        Assert.Equal(1, server.Requests);
        Assert.Null(r.Envelope["error"]!["details"]!["transient"]);
    }

    [Fact]
    public void A_usage_error_at_run_time_is_not_retried_and_sends_nothing()
    {
        using var server = new RawHttpServer(_ => Ok("x"));
        var r = Resh(server.Url("/x.get"), "expect=abc", "--retry", "3");
        Assert.Equal("usage", r.ErrorCode);
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public void A_post_cut_after_its_body_arrived_is_never_sent_twice()
    {
        using var server = new RawHttpServer(n => n == 1 ? null : Ok("second"));
        var r = Resh(server.Url("/orders.post"), "body=one order", "--retry", "3", "--retry-delay", "10ms");
        Assert.False(r.Ok, r.ToString());
        Assert.Equal(1, server.Requests); // no duplicate order
        Assert.Equal(1, r.Envelope["attempts"]!.GetValue<int>());
        Assert.True(r.Envelope["error"]!["details"]!["transient"]!.GetValue<bool>());
        Assert.Null(r.Envelope["error"]!["details"]!["sent"]);

        // PUT is idempotent: the same break is retried.
        using var put = new RawHttpServer(n => n == 1 ? null : Ok("stored"));
        var p = Resh(put.Url("/item.put"), "body=v", "--retry", "3", "--retry-delay", "10ms");
        Assert.True(p.Ok, p.ToString());
        Assert.Equal(2, put.Requests);
    }

    [Fact]
    public void A_post_to_a_port_where_nothing_listens_is_retried_because_nothing_was_sent()
    {
        var port = LoopbackPorts.Free(1)[0];
        var r = Resh($"http://127.0.0.1:{port}/orders.post", "body=x", "--retry", "2", "--retry-delay", "10ms");
        Assert.Equal("unavailable", r.ErrorCode);
        Assert.Equal(3, r.Envelope["attempts"]!.GetValue<int>());
        var details = r.Envelope["error"]!["details"]!;
        Assert.False(details["sent"]!.GetValue<bool>());
        Assert.True(details["transient"]!.GetValue<bool>());
    }

    [Fact]
    public void A_503_with_retry_after_is_retried_after_that_wait_and_a_timeout_shorter_than_it_ends_at_once()
    {
        using var server = new RawHttpServer(n => n == 1 ? Status(503, "Service Unavailable", "Retry-After: 1\r\n") : Ok("up"));
        var clock = Stopwatch.StartNew();
        var r = Resh(server.Url("/busy.get"), "--retry", "2", "--retry-delay", "10ms");
        Assert.True(r.Ok, r.ToString());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1), clock.Elapsed.ToString());
        Assert.Equal(2, r.Envelope["attempts"]!.GetValue<int>());

        using var slow = new RawHttpServer(_ => Status(503, "Service Unavailable", "Retry-After: 30\r\n"));
        clock.Restart();
        // --timeout before the stage: after it, `--timeout` is http's own timeout= (each exchange), not the global.
        var t = Resh("--timeout", "2s", slow.Url("/busy.get"), "--retry", "5", "--retry-max-delay", "20s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        Assert.Equal("timeout", t.ErrorCode);
        Assert.Equal(6, t.ExitCode);
        Assert.Equal(1, slow.Requests);
        Assert.Equal(1, t.Envelope["attempts"]!.GetValue<int>());
    }

    [Fact]
    public void A_memcached_that_hangs_up_once_answers_the_retried_get_but_a_set_is_not_repeated()
    {
        int connections = 0;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient c;
                try { c = await listener.AcceptTcpClientAsync(stop.Token); }
                catch (Exception) { return; }
                var n = Interlocked.Increment(ref connections);
                _ = Task.Run(async () =>
                {
                    using var client = c;
                    try
                    {
                        var s = client.GetStream();
                        var reader = new StreamReader(s, Encoding.ASCII);
                        var line = await reader.ReadLineAsync(stop.Token);
                        if (n == 1 || line is null) return; // the first connection: hang up after the command arrived
                        var reply = line.StartsWith("get ") ? "VALUE k 0 5\r\nhello\r\nEND\r\n" : "ERROR\r\n";
                        await s.WriteAsync(Encoding.ASCII.GetBytes(reply), stop.Token);
                        await Task.Delay(200, stop.Token);
                    }
                    catch (Exception) { }
                });
            }
        });
        try
        {
            var get = Resh($"cache://127.0.0.1:{port}.get", "key=k", "backend=memcached", "--retry", "3", "--retry-delay", "10ms");
            Assert.True(get.Ok, get.ToString());
            Assert.Equal("hello", get.Result!["value"]!.GetValue<string>());
            Assert.Equal(2, get.Envelope["attempts"]!.GetValue<int>());
            Assert.Equal(2, Volatile.Read(ref connections));

            Interlocked.Exchange(ref connections, 0);
            var set = Resh($"cache://127.0.0.1:{port}.set", "key=k", "value=v", "backend=memcached", "--retry", "3", "--retry-delay", "10ms");
            Assert.False(set.Ok, set.ToString());
            Assert.Equal(1, set.Envelope["attempts"]!.GetValue<int>());
            Assert.Equal(1, Volatile.Read(ref connections));
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
        }

        // Nothing listens: the set never reached a server, so it is retried.
        var free = LoopbackPorts.Free(1)[0];
        var refused = Resh($"cache://127.0.0.1:{free}.set", "key=k", "value=v", "backend=memcached", "--retry", "2", "--retry-delay", "10ms");
        Assert.Equal("unavailable", refused.ErrorCode);
        Assert.Equal(3, refused.Envelope["attempts"]!.GetValue<int>());
        Assert.False(refused.Envelope["error"]!["details"]!["sent"]!.GetValue<bool>());
    }

    [Fact]
    public void Config_retry_defaults_apply_to_a_pipeline_stage_as_the_flag_does()
    {
        // s41 (issue 19): [defaults.http.get] retry and [defaults] retry reach every call of a pipeline, as they reach
        // the same call on its own; before, only the --retry flag did.
        var dir = Directory.CreateTempSubdirectory("resh-piperetry-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "one"), "x");
            var config = Path.Combine(dir, "resh.toml");
            foreach (var table in (string[])["[defaults.http.get]\nretry = 3\nretry_delay = \"20ms\"\n", "[defaults]\nretry = 3\nretry_delay = \"20ms\"\n"])
            {
                File.WriteAllText(config, table);
                using var server = new RawHttpServer(n => n <= 2 ? null : Ok("hello"));
                var r = ReshBinary.Run([$"file://{dir}.list | where name == one | {server.Url("/flaky.get")}"], env: new Dictionary<string, string> { ["RESH_CONFIG"] = config });
                Assert.True(r.Ok, table + r);
                Assert.Equal(3, server.Requests);
                var item = r.Result!["items"]![0]!;
                Assert.True(item["ok"]!.GetValue<bool>(), r.ToString());
                Assert.Equal("hello", item["result"]!["body"]!.GetValue<string>());
            }

            // The flag still wins over the config: --retry 0 makes one attempt.
            File.WriteAllText(config, "[defaults.http.get]\nretry = 3\n");
            using var once = new RawHttpServer(n => n <= 2 ? null : Ok("hello"));
            var f = ReshBinary.Run([$"file://{dir}.list | where name == one | {once.Url("/flaky.get")}", "--retry", "0"], env: new Dictionary<string, string> { ["RESH_CONFIG"] = config });
            Assert.Equal("partial", f.ErrorCode);
            Assert.Equal(1, once.Requests);

            // A bad value in the config is `usage` naming the table, for a pipeline as for one call.
            File.WriteAllText(config, "[defaults.http.get]\nretry = \"many\"\n");
            using var none = new RawHttpServer(_ => Ok("x"));
            var bad = ReshBinary.Run([$"file://{dir}.list | where name == one | {none.Url("/x.get")}"], env: new Dictionary<string, string> { ["RESH_CONFIG"] = config });
            Assert.Equal("partial", bad.ErrorCode);
            Assert.Contains("[defaults.http.get]", bad.Result!["items"]![0]!["error"]!["message"]!.GetValue<string>());
            Assert.Equal(0, none.Requests);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
