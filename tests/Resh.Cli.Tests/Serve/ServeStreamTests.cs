using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Resh.TestSupport;
using static Resh.TestSupport.ProcessProbe;
using Xunit;

namespace Resh.Cli.Tests.Serve;

/// <summary>
/// Streaming verbs over REST (issue 18): `POST /v1/call` of a streaming verb with `Accept: application/x-ndjson` is
/// answered as chunked NDJSON, each event a line as it happens and the envelope last; without it the answer stays one
/// envelope (its events counted in a warning). RBAC, rate and audit apply as to any call; a client that leaves cancels
/// the verb; a client that stops reading does not make the server read (or hold) the followed file ahead of it.
/// Each test runs `resh serve` as a process on a free loopback port and talks raw HTTP/1.1 to it.
/// </summary>
public sealed class ServeStreamTests : ServeTestBase
{
    readonly string _log;

    public ServeStreamTests() : base("serve-stream")
    {
        _log = Path.Combine(Data, "app.log");
        File.WriteAllText(_log, "first\nsecond\n");
        File.WriteAllText(Path.Combine(Data, "secret.log"), "x\n");
    }

    string WriteConfig(string extra = "") => Config = Dir.File("config.toml", $$"""
        [roles.ro]
        allow = ["file.*:file://{{Data}}/app.log", "system.*"]
        read_only = true
        {{extra}}
        """);

    (int Port, int Pid) Start(string config)
    {
        Config = config;
        var server = StartServe();
        return (server.Port, server.Pid);
    }

    /// <summary>A raw HTTP/1.1 POST on a new connection, left open; the caller reads the answer (or does not).</summary>
    static async Task<TcpClient> PostAsync(int port, string path, string token, string body, string? accept)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n"
            + (accept is null ? "" : $"Accept: {accept}\r\n") + "\r\n";
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head).Concat(bytes).ToArray());
        return client;
    }

    /// <summary>Reads an answer's head, then its body as lines (chunked or Content-Length) as they arrive.</summary>
    sealed class Answer(NetworkStream stream)
    {
        readonly List<byte> _pending = [];
        readonly byte[] _buf = new byte[64 * 1024];
        int _chunkLeft = -1;
        bool _chunked, _ended;
        long _lengthLeft;
        public int Status { get; private set; }
        public string Head { get; private set; } = "";

        async Task<bool> FillAsync(CancellationToken ct)
        {
            var n = await stream.ReadAsync(_buf, ct);
            if (n == 0) return false;
            _pending.AddRange(_buf.AsSpan(0, n).ToArray());
            return true;
        }

        async Task<string?> RawLineAsync(CancellationToken ct)
        {
            while (true)
            {
                var i = _pending.IndexOf((byte)'\n');
                if (i >= 0)
                {
                    var line = Encoding.UTF8.GetString(_pending.GetRange(0, i).ToArray()).TrimEnd('\r');
                    _pending.RemoveRange(0, i + 1);
                    return line;
                }
                if (!await FillAsync(ct)) return null;
            }
        }

        public async Task ReadHeadAsync(CancellationToken ct)
        {
            var sb = new StringBuilder();
            string? line;
            while ((line = await RawLineAsync(ct)) is { Length: > 0 }) sb.Append(line).Append("\r\n");
            Head = sb.ToString();
            Status = int.Parse(Head.Split(' ')[1]);
            _chunked = Head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase);
            foreach (var h in Head.Split("\r\n"))
                if (h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) _lengthLeft = long.Parse(h[15..].Trim());
        }

        readonly List<byte> _body = [];

        /// <summary>The next line of the body, or null at its end.</summary>
        public async Task<string?> NextLineAsync(CancellationToken ct)
        {
            while (true)
            {
                var i = _body.IndexOf((byte)'\n');
                if (i >= 0)
                {
                    var line = Encoding.UTF8.GetString(_body.GetRange(0, i).ToArray());
                    _body.RemoveRange(0, i + 1);
                    return line;
                }
                if (_ended) return null;
                if (!_chunked)
                {
                    if (_lengthLeft == 0) { _ended = true; continue; }
                    if (_pending.Count == 0 && !await FillAsync(ct)) { _ended = true; continue; }
                    var take = (int)Math.Min(_lengthLeft, _pending.Count);
                    _body.AddRange(_pending.GetRange(0, take));
                    _pending.RemoveRange(0, take);
                    _lengthLeft -= take;
                    continue;
                }
                if (_chunkLeft <= 0)
                {
                    if (_chunkLeft == 0) await RawLineAsync(ct); // the CRLF after a chunk
                    var size = await RawLineAsync(ct);
                    if (size is null) { _ended = true; continue; }
                    _chunkLeft = Convert.ToInt32(size.Split(';')[0].Trim(), 16);
                    if (_chunkLeft == 0) { _ended = true; continue; }
                }
                if (_pending.Count == 0 && !await FillAsync(ct)) { _ended = true; continue; }
                var n = Math.Min(_chunkLeft, _pending.Count);
                _body.AddRange(_pending.GetRange(0, n));
                _pending.RemoveRange(0, n);
                _chunkLeft -= n;
                if (_chunkLeft == 0) _chunkLeft = 0;
            }
        }
    }

    static string Follow(string path, string timeout = "2m", string extra = "") =>
        $$"""{"id":"f1","stage":"file://{{path}}","verb":"tail","args":{"follow":true,"lines":5}{{extra}},"timeout":"{{timeout}}"}""";

    /// <summary>How far the process has read the file (the position of its descriptor on it), or -1.</summary>
    static long ReadPosition(int pid, string file)
    {
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget != file) continue;
                var info = File.ReadAllText($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}");
                return long.Parse(info.Split('\n').First(l => l.StartsWith("pos:"))[4..].Trim());
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return -1;
    }

    static long RssKiB(int pid) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:"))[6..].Trim().Split(' ')[0]);

    static string[] AuditLines(string state) =>
        File.Exists(Path.Combine(state, "audit", "audit.jsonl")) ? File.ReadAllLines(Path.Combine(state, "audit", "audit.jsonl")) : [];

    [Fact]
    public async Task A_follow_streams_each_appended_line_before_its_end_then_the_envelope()
    {
        var config = WriteConfig();
        var (port, server) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var client = await PostAsync(port, "/v1/call", token, Follow(_log, "8s"), "application/x-ndjson");
        var answer = new Answer(client.GetStream());
        await answer.ReadHeadAsync(cts.Token);
        Assert.True(answer.Status == 200, answer.Head);
        Assert.Contains("Content-Type: application/x-ndjson", answer.Head);
        Assert.Contains("Transfer-Encoding: chunked", answer.Head);
        // The lines already there come first, each an event carrying the request's id.
        var first = JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!.AsObject();
        Assert.Equal("f1", first["id"]!.GetValue<string>());
        Assert.Equal("line", first["event"]!.GetValue<string>());
        Assert.Equal("first", first["line"]!.GetValue<string>());
        Assert.Equal("second", JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!["line"]!.GetValue<string>());
        // A line appended while following arrives while the call still runs (its envelope has not come).
        var clock = Stopwatch.StartNew();
        File.AppendAllText(_log, "third\n");
        var third = JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!.AsObject();
        Assert.Equal("third", third["line"]!.GetValue<string>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"the appended line came after {clock.Elapsed}");
        Assert.Equal(1, OpenOn(server, _log)); // still following
        File.AppendAllText(_log, "fourth\n");
        Assert.Equal("fourth", JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!["line"]!.GetValue<string>());
        // The envelope is last: the follow ended at its timeout (a normal end), then the body ends.
        var last = JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!.AsObject();
        Assert.True(last["ok"]!.GetValue<bool>(), last.ToJsonString());
        Assert.Equal("f1", last["id"]!.GetValue<string>());
        Assert.Equal("tail", last["verb"]!.GetValue<string>());
        Assert.Null(await answer.NextLineAsync(cts.Token));
        // One audit record for the call.
        Assert.Single(AuditLines(State), l => l.Contains("\"verb\":\"tail\""));
    }

    [Fact]
    public async Task A_follow_that_starts_with_more_lines_than_the_queue_holds_streams_them_all()
    {
        // s41 user D3: `tail lines=65 follow=true` emitted 65 lines before its first await, the 65th waited for room on the
        // request's own thread, and the call hung with no head at all.
        File.WriteAllText(_log, string.Concat(Enumerable.Range(1, 100).Select(i => $"l{i}\n")));
        var config = WriteConfig();
        var (port, _) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var client = await PostAsync(port, "/v1/call", token, $$"""{"id":"f1","stage":"file://{{_log}}","verb":"tail","args":{"follow":true,"lines":90},"timeout":"3s"}""", "application/x-ndjson");
        var answer = new Answer(client.GetStream());
        await answer.ReadHeadAsync(cts.Token);
        Assert.True(answer.Status == 200, answer.Head);
        var lines = new List<JsonObject>();
        while (await answer.NextLineAsync(cts.Token) is { } line) lines.Add(JsonNode.Parse(line)!.AsObject());
        Assert.Equal(91, lines.Count); // 90 lines, then the envelope
        Assert.Equal("l11", lines[0]["line"]!.GetValue<string>());
        Assert.Equal("l100", lines[89]["line"]!.GetValue<string>());
        Assert.True(lines[90]["ok"]!.GetValue<bool>(), lines[90].ToJsonString());
    }

    [Fact]
    public async Task Without_ndjson_a_follow_answers_one_envelope_and_says_its_events_were_not_sent()
    {
        var config = WriteConfig();
        var (port, _) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var client = await PostAsync(port, "/v1/call", token, Follow(_log, "2s"), "application/json");
        var answer = new Answer(client.GetStream());
        await answer.ReadHeadAsync(cts.Token);
        Assert.True(answer.Status == 200, answer.Head);
        Assert.Contains("Content-Type: application/json", answer.Head);
        var env = JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!.AsObject();
        Assert.True(env["ok"]!.GetValue<bool>(), env.ToJsonString());
        Assert.Contains(env["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("2 stream events were not sent") && w.GetValue<string>().Contains("application/x-ndjson"));
        Assert.Null(await answer.NextLineAsync(cts.Token));
    }

    [Fact]
    public async Task Refusals_keep_their_status_and_non_streaming_verbs_stay_json()
    {
        var config = WriteConfig();
        var (port, _) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // RBAC: a file the role does not grant is refused (403) before anything runs, as one envelope, and audited.
        var denied = Path.Combine(Data, "secret.log");
        using (var client = await PostAsync(port, "/v1/call", token, Follow(denied), "application/x-ndjson"))
        {
            var answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            Assert.True(answer.Status == 403, answer.Head);
            var env = JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!.AsObject();
            Assert.Equal("permission_denied", env["error"]!["code"]!.GetValue<string>());
            Assert.Null(await answer.NextLineAsync(cts.Token));
        }
        Assert.Contains(AuditLines(State), l => l.Contains("secret.log") && l.Contains("permission_denied"));
        // A missing file fails at once: its status is its error code's (404), the body one envelope line.
        using (var client = await PostAsync(port, "/v1/call", token, Follow(Path.Combine(Data, "app.log.missing")), "application/x-ndjson"))
        {
            var answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            Assert.True(answer.Status is 403 or 404, answer.Head); // the role grants app.log only: refused or not found, never run
        }
        // A non-streaming verb asked for with NDJSON is answered as before: application/json, one envelope.
        using (var client = await PostAsync(port, "/v1/call", token, """{"stage":"system://","verb":"uptime"}""", "application/x-ndjson"))
        {
            var answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            Assert.True(answer.Status == 200, answer.Head);
            Assert.Contains("Content-Type: application/json", answer.Head);
            Assert.DoesNotContain("chunked", answer.Head);
            Assert.True(JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!["ok"]!.GetValue<bool>());
        }
        // /v1/call/{handle}.{verb} streams the same way.
        using (var client = await PostAsync(port, "/v1/call/file.tail", token, $$"""{"target":"{{_log}}","args":{"follow":true},"timeout":"2s"}""", "application/json, application/x-ndjson"))
        {
            var answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            Assert.True(answer.Status == 200, answer.Head);
            Assert.Contains("application/x-ndjson", answer.Head);
            Assert.Equal("line", JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!["event"]!.GetValue<string>());
        }
        // `q=0` refuses NDJSON: one envelope.
        using (var client = await PostAsync(port, "/v1/call", token, Follow(_log, "1s"), "application/x-ndjson;q=0, application/json"))
        {
            var answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            Assert.Contains("Content-Type: application/json", answer.Head);
        }
    }

    [Fact]
    public async Task A_stream_over_the_rate_is_refused_before_it_runs()
    {
        var config = WriteConfig("[serve]\nrate = \"2/m\"\n");
        var (port, server) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using (var ok = await PostAsync(port, "/v1/call", token, Follow(_log, "1s"), "application/x-ndjson"))
        {
            var a = new Answer(ok.GetStream());
            await a.ReadHeadAsync(cts.Token);
            Assert.True(a.Status == 200, a.Head);
        }
        // The next streams within the minute are over the rate: refused from the head, never run.
        Answer answer;
        TcpClient client;
        var tries = 0;
        while (true)
        {
            Assert.True(await EventuallyAsync(() => OpenOn(server, _log) == 0, TimeSpan.FromSeconds(10)), "an earlier follow runs on");
            client = await PostAsync(port, "/v1/call", token, Follow(_log, "30s"), "application/x-ndjson");
            answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            if (answer.Status != 200 || ++tries >= 3) break;
            client.Dispose(); // within the rate's burst: leave, which ends the follow
        }
        using var last = client;
        Assert.True(answer.Status == 429, answer.Head);
        Assert.Contains("Retry-After:", answer.Head);
        Assert.Equal("unavailable", JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!["error"]!["code"]!.GetValue<string>());
        await Task.Delay(500);
        Assert.Equal(0, OpenOn(server, _log));
    }

    [Fact]
    public async Task A_client_that_leaves_cancels_the_stream_and_the_call_is_audited_once()
    {
        var config = WriteConfig();
        var (port, server) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using (var client = await PostAsync(port, "/v1/call", token, Follow(_log, "30m"), "application/x-ndjson"))
        {
            var answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            Assert.Equal("first", JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!["line"]!.GetValue<string>());
            Assert.Equal(1, OpenOn(server, _log));
        }
        Assert.True(await EventuallyAsync(() => OpenOn(server, _log) == 0, TimeSpan.FromSeconds(10)), "the follow runs on after its client left");
        Assert.True(await EventuallyAsync(() => AuditLines(State).Any(l => l.Contains("\"verb\":\"tail\"")), TimeSpan.FromSeconds(10)));
        var tails = AuditLines(State).Where(l => l.Contains("\"verb\":\"tail\"")).ToArray();
        Assert.Single(tails);
        Assert.Contains("interrupted", tails[0]);
    }

    [Fact]
    public async Task A_client_that_sends_junk_after_its_body_then_leaves_still_cancels_the_stream()
    {
        // s41 attacker #2: more than the read-ahead buffer (32 KiB) after the body ended the disconnect watch, so the
        // follow ran to its own end (here 30 min) after its client left.
        var config = WriteConfig();
        var (port, server) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using (var client = await PostAsync(port, "/v1/call", token, Follow(_log, "30m"), "application/x-ndjson"))
        {
            var answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            Assert.Equal("first", JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!["line"]!.GetValue<string>());
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(new string('j', 96 * 1024)), cts.Token);
            await Task.Delay(500);
            Assert.Equal(1, OpenOn(server, _log));
        }
        Assert.True(await EventuallyAsync(() => OpenOn(server, _log) == 0, TimeSpan.FromSeconds(15)), "the follow runs on after its client sent junk and left");
        Assert.True(await EventuallyAsync(() => AuditLines(State).Any(l => l.Contains("\"verb\":\"tail\"")), TimeSpan.FromSeconds(10)));
        Assert.Contains("interrupted", AuditLines(State).Single(l => l.Contains("\"verb\":\"tail\"")));
    }

    [Fact]
    public async Task A_client_that_keeps_sending_while_it_streams_is_cut_off_at_the_discard_cap()
    {
        var config = WriteConfig();
        var (port, server) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var client = await PostAsync(port, "/v1/call", token, Follow(_log, "30m"), "application/x-ndjson");
        var answer = new Answer(client.GetStream());
        await answer.ReadHeadAsync(cts.Token);
        Assert.Equal("first", JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!["line"]!.GetValue<string>());
        // 4 MiB of junk, more than the 1 MiB the server drops while it watches: the call ends although the client stays.
        var junk = Task.Run(async () =>
        {
            try { await client.GetStream().WriteAsync(new byte[4 << 20], cts.Token); }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
        });
        Assert.True(await EventuallyAsync(() => OpenOn(server, _log) == 0, TimeSpan.FromSeconds(15)), "the follow runs on for a client that floods its connection");
        await junk;
        // The server still answers others.
        using var other = await PostAsync(port, "/v1/call", token, $$"""{"stage":"system://","verb":"uptime"}""", null);
        var ok = new Answer(other.GetStream());
        await ok.ReadHeadAsync(cts.Token);
        Assert.Equal(200, ok.Status);
    }

    [Fact]
    public async Task A_client_that_stops_reading_holds_back_the_verb_not_the_server_memory()
    {
        var config = WriteConfig();
        var (port, server) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var client = await PostAsync(port, "/v1/call", token, Follow(_log, "30m"), "application/x-ndjson");
        client.ReceiveBufferSize = 4096;
        var answer = new Answer(client.GetStream());
        await answer.ReadHeadAsync(cts.Token);
        Assert.Equal("first", JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!["line"]!.GetValue<string>());
        // 32 MiB of lines appended while the client reads nothing more, then 32 MiB again: the server reads only as far
        // as the queue and the socket's buffers take, and its memory does not grow with what is appended.
        var line = new string('x', 1023) + "\n";
        var block = string.Concat(Enumerable.Repeat(line, 1024));
        async Task AppendAsync()
        {
            await using var w = new StreamWriter(_log, append: true);
            for (var i = 0; i < 32; i++) await w.WriteAsync(block);
        }
        await AppendAsync();
        await Task.Delay(2000);
        var size = new FileInfo(_log).Length;
        var position = ReadPosition(server, _log);
        var rss = RssKiB(server);
        Assert.True(position >= 0 && position < size / 2, $"the server read {position} of {size} bytes for a client that reads nothing");
        await AppendAsync();
        await Task.Delay(2000);
        var position2 = ReadPosition(server, _log);
        var grown = RssKiB(server) - rss;
        Assert.True(position2 - position < 2 * 1024 * 1024, $"the server read on from {position} to {position2} for a client that reads nothing");
        Assert.True(grown < 16 * 1024, $"the server's memory grew by {grown} KiB while 32 MiB more were appended (read {position} then {position2})");
        // It stays there: a reader that never reads ends the call at the server's write timeout (10 s).
        Assert.True(await EventuallyAsync(() => OpenOn(server, _log) == 0, TimeSpan.FromSeconds(40)), "the follow runs on for a client that stopped reading");
        Assert.True(await EventuallyAsync(() => AuditLines(State).Count(l => l.Contains("\"verb\":\"tail\"")) == 1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Twenty_streams_that_read_nothing_hold_no_thread_and_a_plain_call_still_answers()
    {
        // s41 review: a follow whose queue was full parked its pool thread in Monitor.Wait, so clients that stop reading
        // held a thread each and starved the pool for every other call. The server runs with at most 6 pool threads
        // (DOTNET_ThreadPool_ForceMaxWorkerThreads, honoured under Native AOT too): before, 20 stalled streams took them
        // all and a plain call was never answered; now a follow awaits room and holds no thread.
        Config = WriteConfig("[serve]\nrate = \"1000/s\"\nburst = 100\n");
        using var serve = ServeProcess.Start(State, Config, env: new Dictionary<string, string> { ["DOTNET_ThreadPool_ForceMaxWorkerThreads"] = "6" });
        var (port, server) = (serve.Port, serve.Pid);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var c = await PostAsync(port, "/v1/call", token, Follow(_log, "60s"), "application/x-ndjson");
                c.ReceiveBufferSize = 4096;
                idle.Add(c);
            }
            Assert.True(await EventuallyAsync(() => OpenOn(server, _log) == 20, TimeSpan.FromSeconds(20)), "twenty follows should run");
            // 16 MiB of lines: far more than each stream's queue and socket buffers take, so every follow waits for room.
            var line = new string('z', 1023) + "\n";
            var block = string.Concat(Enumerable.Repeat(line, 1024));
            await using (var w = new StreamWriter(_log, append: true))
                for (var i = 0; i < 16; i++) await w.WriteAsync(block);
            await Task.Delay(3000);
            using var plain = await PostAsync(port, "/v1/call", token, $$"""{"stage":"system://","verb":"uptime"}""", null);
            var answer = new Answer(plain.GetStream());
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            bound.CancelAfter(TimeSpan.FromSeconds(20));
            try { await answer.ReadHeadAsync(bound.Token); }
            catch (OperationCanceledException) { Assert.Fail("a plain call was not answered within 20 s beside 20 stalled streams"); }
            Assert.Equal(200, answer.Status);
        }
        finally
        {
            foreach (var c in idle) c.Dispose();
        }
        Assert.True(await EventuallyAsync(() => OpenOn(server, _log) == 0, TimeSpan.FromSeconds(30)), "the stalled follows end when their clients leave");
    }

    [Fact]
    public async Task A_request_id_longer_than_1024_characters_is_refused_before_it_runs_and_not_echoed()
    {
        var config = WriteConfig();
        var (port, server) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var big = new string('I', 200_000);
        var body = $$"""{"id":"{{big}}","stage":"file://{{_log}}","verb":"tail","args":{"follow":true,"lines":5},"timeout":"30s"}""";
        using (var client = await PostAsync(port, "/v1/call", token, body, "application/x-ndjson"))
        {
            var answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            Assert.True(answer.Status == 400, answer.Head);
            var line = (await answer.NextLineAsync(cts.Token))!;
            Assert.True(line.Length < 4096, $"the refusal is {line.Length} characters long");
            var env = JsonNode.Parse(line)!.AsObject();
            Assert.Equal("usage", env["error"]!["code"]!.GetValue<string>());
            Assert.Contains("id", env["error"]!["message"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(env["error"]!["hint"]?.GetValue<string>()));
            Assert.Null(await answer.NextLineAsync(cts.Token));
        }
        Assert.Equal(0, OpenOn(server, _log));
        // An id of 1024 characters is still carried on every line.
        var ok = new string('k', 1024);
        using (var client = await PostAsync(port, "/v1/call", token, $$"""{"id":"{{ok}}","stage":"file://{{_log}}","verb":"tail","args":{"follow":true,"lines":5},"timeout":"1s"}""", "application/x-ndjson"))
        {
            var answer = new Answer(client.GetStream());
            await answer.ReadHeadAsync(cts.Token);
            Assert.True(answer.Status == 200, answer.Head);
            var first = JsonNode.Parse((await answer.NextLineAsync(cts.Token))!)!;
            Assert.Equal(ok, first["id"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Long_lines_are_cut_at_1_MiB_and_non_reading_streams_hold_no_more_than_their_byte_bound()
    {
        var config = WriteConfig("[serve]\nrate = \"1000/m\"\n");
        var (port, server) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var id = new string('i', 1000);
        var body = $$"""{"id":"{{id}}","stage":"file://{{_log}}","verb":"tail","args":{"follow":true,"lines":5},"timeout":"60s"}""";
        // One reading client, four that read nothing after the head.
        using var reader = await PostAsync(port, "/v1/call", token, body, "application/x-ndjson");
        var answer = new Answer(reader.GetStream());
        await answer.ReadHeadAsync(cts.Token);
        var idle = new List<TcpClient>();
        for (var i = 0; i < 4; i++)
        {
            var c = await PostAsync(port, "/v1/call", token, body, "application/x-ndjson");
            c.ReceiveBufferSize = 4096;
            idle.Add(c);
        }
        Assert.True(await EventuallyAsync(() => OpenOn(server, _log) == 5, TimeSpan.FromSeconds(20)), "five follows should run");
        await Task.Delay(1000);
        var rss = RssKiB(server);
        // 12 lines of 3 MiB: before the byte bound each idle stream queued up to 64 of them (or 64 copies of a big id).
        await using (var w = new StreamWriter(_log, append: true))
        {
            var longLine = new string('y', 3 << 20) + "\n";
            for (var i = 0; i < 12; i++) await w.WriteAsync(longLine);
            await w.WriteAsync("after\n");
        }
        string? got;
        JsonNode? cut = null;
        while ((got = await answer.NextLineAsync(cts.Token)) is not null)
        {
            var ev = JsonNode.Parse(got)!;
            // file.tail cuts it at 1 MiB; over REST the event's whole line (its id and names too) must fit the 1 MiB bound as written (s43 F3).
            if (ev["line"]?.GetValue<string>() is { } l && l.StartsWith('y')) { cut ??= ev; Assert.InRange(l.Length, (1 << 20) - 8192, 1 << 20); Assert.True(Encoding.UTF8.GetByteCount(got) < 1 << 20); }
            if (ev["line"]?.GetValue<string>() == "after") break;
        }
        Assert.NotNull(cut);
        Assert.True(cut!["cut"]!.GetValue<bool>());
        await Task.Delay(2000);
        var grown = RssKiB(server) - rss;
        Assert.True(grown < 96 * 1024, $"the server's memory grew by {grown} KiB for 4 streams that read nothing");
        foreach (var c in idle) c.Dispose();
    }

    [Fact]
    public async Task A_followed_line_of_control_bytes_is_bounded_as_written_not_as_read()
    {
        // s43 attacker F3: a line of 1 MiB of control bytes is 6 MiB as JSON (\u0001 each); the queue's bound must hold in
        // the bytes written, so the event is cut to fit and no stream ever holds more than the bound.
        var config = WriteConfig("[serve]\nrate = \"1000/m\"\n");
        var (port, server) = Start(config);
        var token = Token("ro", "ro");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var reader = await PostAsync(port, "/v1/call", token, Follow(_log, "60s"), "application/x-ndjson");
        var answer = new Answer(reader.GetStream());
        await answer.ReadHeadAsync(cts.Token);
        var idle = new List<TcpClient>();
        for (var i = 0; i < 3; i++)
        {
            var c = await PostAsync(port, "/v1/call", token, Follow(_log, "60s"), "application/x-ndjson");
            c.ReceiveBufferSize = 4096;
            idle.Add(c);
        }
        Assert.True(await EventuallyAsync(() => OpenOn(server, _log) == 4, TimeSpan.FromSeconds(20)), "four follows should run");
        await using (var w = new FileStream(_log, FileMode.Append))
        {
            var control = new byte[(1 << 20) + 1];
            Array.Fill(control, (byte)1);
            control[^1] = (byte)'\n';
            for (var i = 0; i < 4; i++) await w.WriteAsync(control);
            await w.WriteAsync("after\n"u8.ToArray());
        }
        string? got;
        var cuts = 0;
        while ((got = await answer.NextLineAsync(cts.Token)) is not null)
        {
            var ev = JsonNode.Parse(got)!;
            if (ev["line"]?.GetValue<string>() is { } l && l.StartsWith('\u0001'))
            {
                cuts++;
                Assert.True(Encoding.UTF8.GetByteCount(got) + 1 <= 1 << 20, $"a line of {Encoding.UTF8.GetByteCount(got)} bytes as written");
                Assert.True(ev["cut"]!.GetValue<bool>());
                Assert.True(l.Length > 100_000, $"cut to {l.Length} characters: far more than needed");
            }
            if (ev["line"]?.GetValue<string>() == "after") break;
        }
        Assert.Equal(4, cuts);
        // What the server says it held: never more than the bound in one stream, the idle ones included.
        using var http = new HttpClient();
        using var req = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics");
        req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var metrics = await (await http.SendAsync(req, cts.Token)).Content.ReadAsStringAsync(cts.Token);
        var peak = long.Parse(metrics.Split('\n').Single(m => m.StartsWith("resh_rest_stream_queue_peak_bytes ", StringComparison.Ordinal)).Split(' ')[1]);
        Assert.InRange(peak, 1, 1 << 20);
        foreach (var c in idle) c.Dispose();
    }
}
