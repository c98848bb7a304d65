using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Resh.Core.Errors;

namespace Resh.Handles.Plugin;

/// <summary>
/// Long-lived plugins (manifest <c>"mode": "ndjson"</c>): the executable is started once per resh process (a single call,
/// or a whole batch, serve or mcp run) and answers one request per line. resh writes the protocol-1 request plus an
/// integer <c>id</c> (random, below 2^53: a plugin cannot answer a request it has not read) as one line on its stdin and
/// reads lines from its stdout until one carries that id: the envelope. Requests to one plugin go one at a time. A crash (stdout ends) fails the request in flight with <c>unavailable</c>
/// and the next call starts the plugin again, at most <see cref="MaxRestarts"/> times in a row (a request answered by
/// a process that lives on resets the count); a request that
/// outlives --timeout (default 60 s), garbage, a wrong id, a line written while no request was in flight, or more
/// than 16 MiB or <see cref="PluginSession.MaxLines"/> lines on stdout for one request (blank lines count toward the
/// bytes) kills the process (its whole group) and the next call starts a new one: what resh holds of a plugin's stdout
/// is bounded whether or not a request is in flight. stderr is read all along; its last 8 KiB go into the details of a failure.
/// The process group is killed when resh ends (<see cref="PluginReaper"/>).
/// </summary>
public static class PluginSessions
{
    public const int MaxRestarts = 3;

    sealed class Slot
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public PluginSession? Current;
        public int Starts;
        public string Key = "";
    }

    static readonly Dictionary<string, Slot> Slots = new(StringComparer.Ordinal);
    static readonly System.Threading.Lock SlotsGate = new();

    public static async Task<PluginAnswer> RunAsync(LoadedPlugin plugin, JsonObject request, TimeSpan? timeout, Func<bool> timedOut, CancellationToken ct)
    {
        var m = plugin.Manifest;
        Slot slot;
        lock (SlotsGate)
        {
            if (!Slots.TryGetValue(plugin.Dir, out slot!)) Slots[plugin.Dir] = slot = new Slot();
        }
        // Another version or executable in the same directory (an update during a serve run) is a new process.
        var key = m.Version + " " + m.Checksums.GetValueOrDefault(m.Executable);
        var clock = Stopwatch.StartNew();
        var limitSpan = timeout ?? PluginRunner.DefaultTimeout;
        using var limit = new CancellationTokenSource(limitSpan);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        try { await slot.Gate.WaitAsync(linked.Token).ConfigureAwait(false); }
        catch (OperationCanceledException)
        {
            if (ct.IsCancellationRequested && !timedOut()) throw;
            return TimedOut(plugin, limitSpan, null, "", clock, "waiting for its previous request");
        }
        try
        {
            if (slot.Key != key)
            {
                slot.Current?.Stop();
                slot.Current = null;
                slot.Starts = 0;
                slot.Key = key;
            }
            if (slot.Current is { Alive: false } gone)
            {
                gone.Stop();
                slot.Current = null;
            }
            if (slot.Current is null)
            {
                if (slot.Starts > MaxRestarts)
                    return PluginRunner.Fail(ReshError.Unavailable(
                        $"The plugin {m.Name} stopped {slot.Starts} times in a row in this resh process; it is not started again.",
                        $"Look at its stderr (resh plugin://{m.Name}.test shows it), fix the plugin, and run resh again.",
                        new JsonObject { ["starts"] = slot.Starts, ["max_restarts"] = MaxRestarts }) with { Transient = false }, null, "", clock);
                var (session, error) = PluginSession.Start(plugin);
                if (error is not null) return PluginRunner.Fail(error, null, "", clock);
                slot.Starts++;
                slot.Current = session;
            }
            var current = slot.Current!;
            var answer = await current.AskAsync(plugin, request, limitSpan, linked.Token, ct, timedOut, clock, slot.Starts - 1,
                lastChance: slot.Starts > MaxRestarts).ConfigureAwait(false);
            // A process that is still alive after a request answered it: the plugin is healthy, and only failures in a row
            // (crash, garbage) count toward the limit, so a long `resh mcp` run does not lose the plugin to a
            // few slow requests spread over hours (s36 user).
            if (slot.Current is { Alive: true }) slot.Starts = 1;
            // A request that outlived --timeout was killed by resh, not a crash of the plugin: its restart is not counted
            // (s37 user #13: four slow requests disabled the plugin for the rest of a serve or mcp run). Each costs the
            // caller the full timeout, so a plugin that always hangs is bounded by that.
            else if (current.KilledForTimeout) slot.Starts = Math.Max(0, slot.Starts - 1);
            return answer;
        }
        finally { slot.Gate.Release(); }
    }

    internal static PluginAnswer TimedOut(LoadedPlugin plugin, TimeSpan limit, int? pid, string tail, Stopwatch clock, string? waiting = null)
    {
        var text = Resh.Core.Values.DurationValue.Format(limit);
        return PluginRunner.Fail(ReshError.Timeout(
            waiting is null ? $"The plugin {plugin.Manifest.Name} did not answer within {text}; it was killed (a next call in this resh process starts it again)."
                : $"The plugin {plugin.Manifest.Name} did not answer within {text} ({waiting}).",
            "Raise --timeout if the work takes longer, or fix the plugin (resh plugin://NAME.test runs its examples).",
            new JsonObject { ["pid"] = pid, ["killed"] = pid is not null, ["stderr_tail"] = tail }), null, tail, clock);
    }
}

/// <summary>One running ndjson plugin: its stdin, the lines of its stdout, the tail of its stderr.</summary>
sealed class PluginSession
{
    /// <summary>Lines (not blank) a plugin may write for one request, counted from the request until the next one: one is the answer.</summary>
    public const int MaxLines = 64;

    /// <summary>A line of stdout, or (<see cref="Over"/> set) the bound it broke, after which nothing more is read.</summary>
    sealed record Line(byte[]? Bytes, string? Over);

    readonly Process _process;
    readonly Stream _stdin;
    // Unbounded as a channel, bounded by what the reader lets in: at most MaxStdoutBytes and MaxLines per request.
    readonly Channel<Line> _lines = Channel.CreateUnbounded<Line>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    readonly StderrTail _stderr = new(PluginRunner.StderrTailBytes);
    readonly int _pid;
    // What stdout brought since the last request was written (blank lines included in the bytes).
    long _windowBytes;
    int _windowLines;
    volatile bool _stopped;
    // Completes when the process exits. Its stdout may stay open after that (a child it started holds it: s37 user #7),
    // so an ended process is noticed here, not only by the end of its stdout.
    readonly Task _exited;

    /// <summary>True once a request outlived its timeout and resh killed the process for it.</summary>
    public bool KilledForTimeout { get; private set; }

    PluginSession(Process process)
    {
        _process = process;
        _pid = process.Id;
        _exited = process.WaitForExitAsync();
        _stdin = process.StandardInput.BaseStream;
        _ = Task.Run(() => ReadLines(process.StandardOutput.BaseStream));
        _ = Task.Run(() => _stderr.ReadAsync(process.StandardError.BaseStream));
    }

    public bool Alive
    {
        get
        {
            if (_stopped) return false;
            try { return !_process.HasExited; }
            catch (InvalidOperationException) { return false; }
        }
    }

    public static (PluginSession?, ReshError?) Start(LoadedPlugin plugin)
    {
        var psi = PluginRunner.StartInfo(plugin, out var exe);
        var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (Win32Exception ex)
        {
            process.Dispose();
            return (null, PluginRunner.NotStarted(plugin, ex.Message, exe));
        }
        if (PluginRunner.Setsid is not null) PluginReaper.Watch(process.Id);
        return (new PluginSession(process), null);
    }

    /// <summary>Closes its stdin and kills its process group (idempotent).</summary>
    public void Stop()
    {
        if (_stopped) return;
        _stopped = true;
        try { _stdin.Dispose(); } catch (IOException) { }
        PluginRunner.Kill(_process);
        try { _process.WaitForExit(2000); } catch (InvalidOperationException) { }
        if (PluginRunner.Setsid is not null) PluginReaper.Forget(_pid);
        _process.Dispose();
    }

    public async Task<PluginAnswer> AskAsync(LoadedPlugin plugin, JsonObject request, TimeSpan limit, CancellationToken token, CancellationToken ct,
        Func<bool> timedOut, Stopwatch clock, int restarts, bool lastChance = false)
    {
        var name = plugin.Manifest.Name;
        var id = NewId();
        var line = (JsonObject)request.DeepClone();
        line["id"] = id;
        var bytes = Encoding.UTF8.GetBytes(line.ToJsonString() + "\n");
        JsonObject Details(JsonObject? extra = null)
        {
            var d = new JsonObject { ["pid"] = _pid, ["request_id"] = id, ["restarts"] = restarts, ["stderr_tail"] = _stderr.Snapshot() };
            if (extra is not null) foreach (var (k, v) in extra) d[k] = v?.DeepClone();
            return d;
        }
        PluginAnswer Broken(string why, string hint, JsonObject? extra = null)
        {
            Stop();
            return PluginRunner.Fail(ReshError.Failed($"The plugin {name} broke the ndjson protocol: {why}; it was stopped ({Again(lastChance)}).", hint, Details(extra)),
                null, _stderr.Snapshot(), clock);
        }
        try
        {
            // Whatever the plugin wrote after its last answer was read is no answer to this request (it has not read it
            // yet): a line there, or a bound broken, stops it (s36 attacker #6, #12).
            if (_lines.Reader.TryRead(out var early))
                return early.Over is { } over ? Broken(over, OverHint)
                    : Broken($"it wrote a line before request {id} was sent", "Answer each request once, after reading it; write nothing between requests.",
                        new JsonObject { ["stdout_line"] = PluginRunner.Clip(Encoding.UTF8.GetString(early.Bytes!.AsSpan(0, Math.Min(early.Bytes!.Length, 600))), 300) });
            Interlocked.Exchange(ref _windowBytes, 0);
            Interlocked.Exchange(ref _windowLines, 0);
            try
            {
                await _stdin.WriteAsync(bytes, token).ConfigureAwait(false);
                await _stdin.FlushAsync(token).ConfigureAwait(false);
            }
            catch (IOException) { } // it is gone: its stdout ends too
            while (true)
            {
                Line read;
                try
                {
                    var next = _lines.Reader.ReadAsync(token).AsTask();
                    if (!next.IsCompleted && await Task.WhenAny(next, _exited).ConfigureAwait(false) != next)
                    {
                        // The process ended while its stdout is still open: what it wrote before exiting is read for a
                        // moment; no line then is a crash, reported now rather than as a timeout later.
                        if (await Task.WhenAny(next, Task.Delay(300, token)).ConfigureAwait(false) != next)
                            return Crashed(plugin, clock, Details, lastChance);
                    }
                    read = await next.ConfigureAwait(false);
                }
                catch (ChannelClosedException) { return Crashed(plugin, clock, Details, lastChance); }
                if (read.Over is { } over) return Broken(over, OverHint);
                var text = read.Bytes.AsSpan().Trim("\r\t "u8);
                if (text.Length == 0) continue;
                JsonObject? envelope;
                try { envelope = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 256 }) as JsonObject; }
                catch (JsonException) { envelope = null; }
                if (envelope is null)
                    return Broken("a line of its stdout is not a JSON object",
                        "Write exactly one JSON object per line on stdout (flush after each); diagnostics go to stderr.",
                        new JsonObject { ["stdout_line"] = PluginRunner.Clip(Encoding.UTF8.GetString(text), 300) });
                var got = envelope["id"] is JsonValue iv && iv.TryGetValue<long>(out var n) ? n : (long?)null;
                if (got != id)
                    return Broken(got is null ? $"its answer to request {id} carries no id" : $"it answered id {got} to request {id}",
                        "Copy the request's \"id\" into the answer line, one answer per request, in order.");
                envelope.Remove("id");
                return PluginRunner.FromEnvelope(plugin, envelope, null, _stderr.Snapshot(), clock, Details());
            }
        }
        catch (OperationCanceledException)
        {
            Stop();
            if (ct.IsCancellationRequested && !timedOut()) throw;
            KilledForTimeout = true;
            return PluginSessions.TimedOut(plugin, limit, _pid, _stderr.Snapshot(), clock);
        }
    }

    const string OverHint = "An ndjson plugin answers each request with one JSON line and writes nothing else on stdout; stream large data to a file and return its path, diagnostics go to stderr.";

    /// <summary>A request id a plugin cannot guess (1 to 2^53-1: exact in any JSON reader).</summary>
    static long NewId()
    {
        Span<byte> b = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(b);
        var id = (long)(BitConverter.ToUInt64(b) >> 11);
        return id == 0 ? 1 : id;
    }

    /// <summary>What happens next, said truthfully: after the last allowed restart there is none (s37 user #13).</summary>
    static string Again(bool lastChance) => lastChance
        ? $"it is not started again in this resh process: {PluginSessions.MaxRestarts} restarts in a row are used up"
        : "a next call in this resh process starts it again";

    PluginAnswer Crashed(LoadedPlugin plugin, Stopwatch clock, Func<JsonObject?, JsonObject> details, bool lastChance)
    {
        int? exit = null;
        try { if (_process.WaitForExit(2000)) exit = _process.ExitCode; } catch (InvalidOperationException) { }
        Thread.Sleep(50); // the last of stderr
        var tail = _stderr.Snapshot();
        Stop();
        if (exit is { } e && PluginRunner.SetsidFailed(e, tail))
            return PluginRunner.Fail(PluginRunner.NotStarted(plugin, tail.Trim(), Path.Combine(plugin.Dir, plugin.Manifest.Executable)), e, tail, clock);
        var d = details(new JsonObject { ["exit_code"] = exit, ["signal"] = exit > 128 && exit < 128 + 65 ? exit - 128 : null });
        d["stderr_tail"] = tail;
        var how = exit is null ? "closed its stdout" : exit > 128 ? $"died (signal {exit - 128})" : $"exited with {exit}";
        // After the last restart a retry cannot succeed in this process: not transient.
        return PluginRunner.Fail(ReshError.Unavailable($"The plugin {plugin.Manifest.Name} {how} before answering; {Again(lastChance)}.",
            "Look at details.stderr_tail; an ndjson plugin keeps reading requests until its stdin ends.", d) with { Transient = !lastChance }, exit, tail, clock);
    }

    /// <summary>
    /// Splits stdout into lines for the asker. Blank lines are dropped here (their bytes still count); past
    /// <see cref="PluginRunner.MaxStdoutBytes"/> bytes or <see cref="MaxLines"/> lines since the last request the bound is
    /// queued and reading stops (the plugin then blocks on a full pipe until it is stopped), so a plugin that floods
    /// stdout between requests costs bounded memory and time.
    /// </summary>
    async Task ReadLines(Stream s)
    {
        var pending = new MemoryStream();
        var buffer = new byte[65536];
        const int Max = PluginRunner.MaxStdoutBytes;
        try
        {
            while (true)
            {
                int n;
                try { n = await s.ReadAsync(buffer).ConfigureAwait(false); }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException) { break; }
                if (n == 0) break;
                var start = 0;
                for (int i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)'\n') continue;
                    var size = pending.Length + (i - start) + 1;
                    if (Interlocked.Add(ref _windowBytes, size) > Max)
                    {
                        _lines.Writer.TryWrite(new Line(null, $"it wrote more than {Max >> 20} MiB to stdout for one request (blank lines included)"));
                        return;
                    }
                    var blank = true;
                    for (int k = start; k < i && blank; k++) blank = buffer[k] is (byte)' ' or (byte)'\t' or (byte)'\r';
                    if (blank && pending.Length > 0) blank = pending.ToArray().All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r');
                    if (!blank)
                    {
                        if (Interlocked.Increment(ref _windowLines) > MaxLines)
                        {
                            _lines.Writer.TryWrite(new Line(null, $"it wrote more than {MaxLines} lines to stdout for one request"));
                            return;
                        }
                        pending.Write(buffer, start, i - start);
                        _lines.Writer.TryWrite(new Line(pending.ToArray(), null));
                    }
                    pending.SetLength(0);
                    start = i + 1;
                }
                pending.Write(buffer, start, n - start);
                if (Interlocked.Read(ref _windowBytes) + pending.Length > Max)
                {
                    _lines.Writer.TryWrite(new Line(null, $"a line of its stdout is longer than {Max >> 20} MiB"));
                    return;
                }
            }
        }
        finally { _lines.Writer.TryComplete(); }
    }
}

/// <summary>
/// The last bytes a process wrote to a stream, readable while it runs. Secrets are masked before the text is cut to its
/// last <c>size</c> bytes: the ring keeps <see cref="Slack"/> bytes more, so a secret that starts before the tail is
/// still whole when it is masked, and a fragment left at either edge is masked too (s36 attacker #9).
/// </summary>
sealed class StderrTail(int size)
{
    /// <summary>Bytes kept before the tail, so a secret cut by the tail's start is masked whole (a secret longer than this: its fragment).</summary>
    public const int Slack = 64 << 10;
    readonly byte[] _ring = new byte[size + Slack];
    long _total;
    readonly System.Threading.Lock _gate = new();

    public async Task ReadAsync(Stream s)
    {
        var buffer = new byte[16384];
        while (true)
        {
            int n;
            try { n = await s.ReadAsync(buffer).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException) { return; }
            if (n == 0) return;
            lock (_gate)
            {
                for (int i = 0; i < n; i++) _ring[(_total + i) % _ring.Length] = buffer[i];
                _total += n;
            }
        }
    }

    public string Snapshot()
    {
        byte[] kept;
        long total;
        lock (_gate)
        {
            total = _total;
            var cap = _ring.Length;
            if (total <= cap) kept = _ring.AsSpan(0, (int)total).ToArray();
            else
            {
                var start = (int)(total % cap);
                kept = new byte[cap];
                Array.Copy(_ring, start, kept, 0, cap - start);
                Array.Copy(_ring, 0, kept, cap - start, start);
            }
        }
        var text = Encoding.UTF8.GetString(kept);
        if (Resh.Core.Secrets.SecretRedactor.Active)
            text = Resh.Core.Secrets.SecretRedactor.ScrubEdges(Resh.Core.Secrets.SecretRedactor.Scrub(text), start: total > kept.Length, end: true);
        if (total <= size && text.Length <= size) return text;
        return "…" + (text.Length > size ? text[^size..] : text);
    }
}
