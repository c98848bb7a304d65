using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Resh.Core.Audit;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Registry;
using Resh.Core.Transport.Http;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// MCP's Streamable HTTP transport (protocol 2025-11-25) at one endpoint, /mcp, of `resh serve --mcp`: a POST carries one
/// JSON-RPC message; a request is answered with application/json, or with text/event-stream when its handling sends
/// something before the answer (progress, elicitation); a notification or a response is answered 202. initialize opens
/// a session (Mcp-Session-Id), every later POST names it, DELETE ends it; GET (a stream the server opens) is 405.
/// The caller is the REST token's identity and its role the policy, so MCP and REST refuse the same calls; a session
/// belongs to the token that opened it. Browsers' cross-site requests are refused by Origin (and by Host on a loopback
/// listener: DNS rebinding). Sessions are bounded in number (in all and per identity) and expire when idle.
/// </summary>
public sealed class McpHttpTransport
{
    public const string Endpoint = "/mcp";
    public const string SessionHeader = "Mcp-Session-Id";
    /// <summary>What a client sends before it knows (MCP: assume 2025-03-26 when the header is absent).</summary>
    const string AssumedVersion = "2025-03-26";

    /// <summary>Who the caller is (a token, LDAP login or client certificate: serve's authentication step), or why not.</summary>
    public delegate Task<Serve.Identity.AuthOutcome> Authenticator(HttpRequestHead head, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate, CancellationToken ct);

    readonly HandleRegistry _registry;
    readonly ReshRuntime _runtime;
    readonly string _version;
    readonly Authenticator _authenticate;
    readonly Func<string, (McpPolicy? Policy, ReshError? Error)> _policyOf;
    readonly bool _loopback;
    readonly IReadOnlyList<string> _origins;
    readonly ConcurrentDictionary<string, HttpSession> _sessions = new(StringComparer.Ordinal);
    // One tool catalog per role, made again when the role's policy changes (the config re-read).
    readonly ConcurrentDictionary<string, (McpPolicy Policy, McpToolCatalog Catalog)> _catalogs = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, AuditTrail> _trails = new(StringComparer.Ordinal);
    readonly Lock _admit = new();
    long _lastSweep = Environment.TickCount64;

    /// <summary>Where a refused request is audited (serve's coalescing <see cref="Serve.RefusalAudit"/>); null: not audited.</summary>
    public Action<string, IPAddress?, ErrorCode>? RefusedAudit { get; init; }

    /// <summary>Told of every tools/call's end: handle, verb, outcome code (ok or the error code), seconds (serve's /metrics).</summary>
    public Action<string, string, string, double>? ToolCalled { get; init; }

    /// <summary>Sessions open at once; one more initialize first ends the caller's own idlest session, else is 503.</summary>
    public int MaxSessions { get; init; } = 256;
    /// <summary>Sessions one identity may hold; an initialize beyond ends that identity's least recently used one.</summary>
    public int MaxSessionsPerIdentity { get; init; } = 32;
    /// <summary>A session with no request for this long is ended (its id is then 404: the client initializes again).</summary>
    public TimeSpan IdleExpiry { get; init; } = TimeSpan.FromMinutes(30);

    /// <param name="loopback">The server listens on a loopback address: the Host header must name loopback too.</param>
    /// <param name="origins">Origins (scheme://host[:port]) browsers may call from, beyond the loopback ones.</param>
    public McpHttpTransport(HandleRegistry registry, ReshRuntime runtime, string version, Authenticator authenticate,
        Func<string, (McpPolicy? Policy, ReshError? Error)> policyOf, bool loopback, IReadOnlyList<string> origins)
    {
        _registry = registry;
        _runtime = runtime;
        _version = version;
        _authenticate = authenticate;
        _policyOf = policyOf;
        _loopback = loopback;
        _origins = origins.Select(o => o.Trim().TrimEnd('/')).Where(o => o.Length > 0).ToArray();
    }

    /// <summary>Sessions open now (tests, metrics).</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>One session: its MCP state, the identity it belongs to, when it was last used, requests in flight.</summary>
    static long _uses;

    sealed class HttpSession(string id, string identity, string role, McpSession session, McpPolicy policy, ServerStream stream)
    {
        public string Id { get; } = id;
        public string Identity { get; } = identity;
        public string Role { get; } = role;
        /// <summary>What the server sends outside any answer (notifications/tools/list_changed): to the session's GET stream.</summary>
        public ServerStream Stream { get; } = stream;
        /// <summary>The role's policy the session was opened under; when the role changes, the session ends.</summary>
        public McpPolicy Policy { get; } = policy;
        public McpSession Session { get; } = session;
        public long LastUsed = Environment.TickCount64;
        /// <summary>
        /// Which session was used last, strictly ordered (sessions opened or used within one millisecond share a
        /// LastUsed): the least recently used one is the smallest.
        /// </summary>
        public long UseOrder = Interlocked.Increment(ref _uses);
        public int Busy;
        public bool Ended;
    }

    /// <summary>
    /// Messages a session sends outside any answer, delivered on its GET stream (one per session: a new GET replaces the
    /// open one) as events with ids counting from 1. The last <see cref="Replay"/> are kept, so a client that comes back
    /// with Last-Event-ID gets what it missed; with no stream open they wait there.
    /// </summary>
    sealed class ServerStream : IMcpSink
    {
        const int Replay = 64;
        readonly Lock _lock = new();
        readonly Queue<(long Id, byte[] Message)> _recent = new();
        long _next;
        Channel<(long Id, byte[] Message)>? _open;

        public ValueTask SendAsync(ReadOnlyMemory<byte> message)
        {
            lock (_lock)
            {
                var e = (++_next, message.ToArray());
                _recent.Enqueue(e);
                while (_recent.Count > Replay) _recent.Dequeue();
                _open?.Writer.TryWrite(e);
            }
            return ValueTask.CompletedTask;
        }

        /// <summary>Opens the session's stream (ending the one open before): the kept events after <paramref name="lastEventId"/> first.</summary>
        public ChannelReader<(long Id, byte[] Message)> Attach(long? lastEventId)
        {
            lock (_lock)
            {
                _open?.Writer.TryComplete();
                var channel = Channel.CreateBounded<(long, byte[])>(new BoundedChannelOptions(Replay) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
                if (lastEventId is { } last)
                    foreach (var e in _recent)
                        if (e.Id > last) channel.Writer.TryWrite(e);
                _open = channel;
                return channel.Reader;
            }
        }

        public void Detach(ChannelReader<(long Id, byte[] Message)> reader)
        {
            lock (_lock) if (_open is { } open && ReferenceEquals(open.Reader, reader)) _open = null;
        }

        public void Close()
        {
            lock (_lock)
            {
                _open?.Writer.TryComplete();
                _open = null;
            }
        }
    }

    /// <summary>
    /// Makes the registry read the installed plugins again (they were changed by another process: `resh plugin://...install`
    /// bumps only its own process's generation). Set by the CLI's catalog, which knows the plugin store; null: nothing to refresh.
    /// </summary>
    public static Action? RefreshPlugins { get; set; }

    /// <summary>How often the installed plugins are looked at (their fingerprint: a few stat calls) while sessions are open.</summary>
    public TimeSpan PluginPoll { get; init; } = TimeSpan.FromSeconds(2);
    Timer? _pluginWatch;
    string? _pluginFingerprint;
    static readonly byte[] ListChanged = """{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"""u8.ToArray();

    /// <summary>Starts looking at the installed plugins (once, at the first session).</summary>
    void WatchPlugins()
    {
        if (_pluginWatch is not null) return;
        _pluginFingerprint = _registry.ExternalFingerprint;
        _pluginWatch = new Timer(_ => PluginsChanged(), null, PluginPoll, PluginPoll);
    }

    /// <summary>
    /// When a plugin was installed, removed, enabled or disabled: every open session gets its role's tool list made
    /// again and `notifications/tools/list_changed` on its GET stream, so a client lists its tools again (as MCP says).
    /// </summary>
    void PluginsChanged()
    {
        string now;
        try { now = _registry.ExternalFingerprint; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        lock (_admit)
        {
            if (now == _pluginFingerprint) return;
            _pluginFingerprint = now;
            RefreshPlugins?.Invoke();
            _catalogs.Clear();
            foreach (var s in _sessions.Values)
            {
                if (s.Ended) continue;
                s.Session.Server.Tools = Catalog(s.Role, s.Policy);
                _ = s.Stream.SendAsync(ListChanged);
            }
        }
        _runtime.Log($"mcp-http: the installed plugins changed; {_sessions.Count} session(s) told to list their tools again");
    }

    McpToolCatalog Catalog(string role, McpPolicy policy)
    {
        if (!_catalogs.TryGetValue(role, out var known) || !ReferenceEquals(known.Policy, policy))
            _catalogs[role] = known = (policy, new McpToolCatalog(_registry, policy, _runtime.Log));
        return known.Catalog;
    }

    /// <summary>One POSTed request's messages, in order, ending with its answer (or none: cancelled).</summary>
    sealed class Exchange : IMcpExchange
    {
        readonly Channel<byte[]> _messages = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        volatile bool _done;
        public byte[]? Final;
        public ChannelReader<byte[]> Reader => _messages.Reader;

        public ValueTask SendAsync(ReadOnlyMemory<byte> message)
        {
            if (!_done) _messages.Writer.TryWrite(message.ToArray());
            return ValueTask.CompletedTask;
        }

        public void Answer(byte[]? answer)
        {
            if (_done) return;
            Final = answer;
            _done = true;
            if (answer is not null) _messages.Writer.TryWrite(answer);
            _messages.Writer.TryComplete();
        }

        /// <summary>The client is gone (its stream failed): later messages of the call are dropped, not queued.</summary>
        public void Abandon()
        {
            _done = true;
            _messages.Writer.TryComplete();
        }
    }

    /// <summary>
    /// The checks from the head alone (Origin, Host, identity): a refusal to answer, or the caller's identity. `resh serve`
    /// asks before it reads a body (so a client without credentials cannot make it buffer one) and again in HandleAsync.
    /// </summary>
    public async ValueTask<(HttpServerResponse? Refused, Serve.Identity.ServeIdentity? Identity)> AdmitAsync(HttpRequestHead head,
        System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate, CancellationToken ct)
    {
        // DNS rebinding and cross-site calls: a browser always says where the page came from.
        if (ForeignOrigin(head) is { } why) return (Error(403, -32000, why, "permission_denied", "Call the MCP endpoint from a local client, or name the page's origin in --mcp-origin."), null);
        if (_loopback && ForeignHost(head) is { } host)
            return (Error(403, -32000, $"The Host header `{Clip(host)}` is not this loopback server's name.", "permission_denied", "Call it as 127.0.0.1, [::1] or localhost."), null);
        var outcome = await _authenticate(head, clientCertificate, ct).ConfigureAwait(false);
        if (outcome.Refusal is { } refusal)
        {
            var caller = outcome.Caller ?? "anonymous";
            // Coalesced per identity and client like REST's refusals (s38 attacker #2): a flood cannot fill the disk.
            if (head.Method == "POST") RefusedAudit?.Invoke(caller, head.Remote?.Address, refusal.Code);
            var r = Error(outcome.Status, -32001, refusal.Message, refusal.Code.ToWire(), refusal.Hint ?? "Send Authorization: Bearer TOKEN.");
            if (outcome.Status == 401) r.Headers.Add(new("WWW-Authenticate", "Bearer realm=\"resh\""));
            return (r, null);
        }
        return (null, outcome.Identity);
    }

    public async Task<HttpServerResponse> HandleAsync(HttpServerRequest request, CancellationToken ct)
    {
        var head = request.Head;
        var (refused, identity) = await AdmitAsync(head, request.ClientCertificate, ct).ConfigureAwait(false);
        if (refused is not null) return refused;
        var (who, role) = (identity!.Key, identity.Role);
        if (head.Header("MCP-Protocol-Version") is { } pv && Array.IndexOf(McpProtocol.Supported, pv.Trim()) < 0)
            return Error(400, JsonRpcCodes.InvalidRequest, $"MCP-Protocol-Version `{Clip(pv)}` is not one this server speaks.", "usage",
                $"Send one of {string.Join(", ", McpProtocol.Supported)} (the version agreed at initialize).");
        Sweep();
        return head.Method switch
        {
            "POST" => await PostAsync(request, who, role, ct).ConfigureAwait(false),
            "GET" => Listen(head, who, role),
            "DELETE" => Delete(head, who),
            _ => NotAllowed(head),
        };
    }

    const string Surface = "mcp-http";

    static HttpServerResponse NotAllowed(HttpRequestHead head)
    {
        var r = Error(405, -32000, $"{Endpoint} takes POST, GET and DELETE, not {Clip(head.Method)}.", "usage",
            "POST one JSON-RPC message; GET with Mcp-Session-Id opens the session's event stream; DELETE with it ends the session.");
        r.Headers.Add(new("Allow", "POST, GET, DELETE"));
        return r;
    }

    async Task<HttpServerResponse> PostAsync(HttpServerRequest request, string who, string role, CancellationToken ct)
    {
        var head = request.Head;
        if (head.Header("Content-Type") is { } type && !type.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return Error(415, JsonRpcCodes.InvalidRequest, $"The body must be application/json, not {Clip(type)}.", "usage", "Send Content-Type: application/json.");
        var accept = head.Header("Accept");
        var sse = accept is null || Accepts(accept, "text/event-stream");
        if (accept is not null && !sse && !Accepts(accept, "application/json"))
            return Error(406, JsonRpcCodes.InvalidRequest, "The answer is application/json or text/event-stream, and Accept names neither.", "usage", "Send Accept: application/json, text/event-stream.");
        JsonRpcMessage msg;
        try { msg = JsonRpcMessage.Parse(request.Body); }
        catch (JsonRpcException ex) { return Json(400, JsonRpcWriter.Error(ex.Id, ex.Code, ex.Message)); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Json(400, JsonRpcWriter.Error(null, JsonRpcCodes.ParseError, "Parse error: " + ExceptionTranslation.OneLine(ex.Message)));
        }

        HttpSession session;
        var id = head.Header(SessionHeader);
        var opening = msg.Kind == JsonRpcKind.Request && msg.Method == "initialize";
        if (opening)
        {
            if (id is not null)
                return Error(400, JsonRpcCodes.InvalidRequest, "initialize opens a new session; it is not sent with Mcp-Session-Id.", "usage", "Send initialize without the header.", msg.Id);
            var (policy, error) = _policyOf(role);
            if (policy is null)
                return Error(403, -32000, error!.Message, error.Code.ToWire(), error.Hint, msg.Id);
            if (Open(who, role, policy) is not { } opened)
                return Error(503, -32000, $"Too many MCP sessions are open (at most {MaxSessions}); try again later.", "unavailable",
                    "End sessions you no longer use with DELETE /mcp.", msg.Id);
            session = opened;
        }
        else
        {
            if (id is null)
                return Error(400, JsonRpcCodes.InvalidRequest, "Mcp-Session-Id is missing; every message but initialize names its session.", "usage",
                    "Send initialize first and the Mcp-Session-Id it answered with on every later POST.", msg.Id);
            // Another token's session is as unknown as an ended one: its id says nothing to anyone else.
            if (!_sessions.TryGetValue(id, out var found) || found.Identity != who || found.Ended)
                return Error(404, -32001, "The session does not exist or has ended.", "not_found", "Send initialize again (without Mcp-Session-Id) for a new session.", msg.Id);
            // A session holds the grants its role had when it opened: when the role was changed, removed or the
            // config broke since (re-read on change or SIGHUP), the session ends and the client opens a new one under
            // what the role grants now (its tool list included).
            var (now, _) = _policyOf(role);
            if (!ReferenceEquals(now, found.Policy))
            {
                End(found, "its role changed");
                return Error(404, -32001, "The session has ended: its role's grants changed since it opened.", "not_found",
                    "Send initialize again (without Mcp-Session-Id) for a session under the role's current grants.", msg.Id);
            }
            session = found;
        }

        Interlocked.Increment(ref session.Busy);
        Volatile.Write(ref session.LastUsed, Environment.TickCount64);
        Volatile.Write(ref session.UseOrder, Interlocked.Increment(ref _uses));
        try
        {
            if (msg.Kind != JsonRpcKind.Request)
            {
                session.Session.Receive(request.Body, null); // a notification, or the client's answer to elicitation
                return new HttpServerResponse(202, []);
            }
            var exchange = new Exchange();
            session.Session.Receive(request.Body, exchange);
            var reader = exchange.Reader;
            // The client's connection closing (the server cancels ct) cancels the call as notifications/cancelled would,
            // also while its event stream runs: a follow whose client left ends and frees its slot (s38 attacker #10).
            var key = msg.IdKey;
            var cancelOnGone = ct.Register(() => session.Session.CancelRequest(key));
            var streaming = false;
            try
            {
                // Answered at once (most calls): one JSON answer. Anything before the answer: an event stream from there on.
                if (!await reader.WaitToReadAsync(ct).ConfigureAwait(false))
                    return Done(session, new HttpServerResponse(202, [])); // cancelled by the client: no answer
                var first = await reader.ReadAsync(ct).ConfigureAwait(false);
                if (ReferenceEquals(first, exchange.Final) || !sse)
                {
                    if (!ReferenceEquals(first, exchange.Final))
                    {
                        // The client takes only JSON: what comes before the answer cannot be delivered, so it is dropped.
                        var answer = first;
                        while (!ReferenceEquals(answer, exchange.Final) && await reader.WaitToReadAsync(ct).ConfigureAwait(false)) answer = await reader.ReadAsync(ct).ConfigureAwait(false);
                        if (exchange.Final is null) return Done(session, new HttpServerResponse(202, []));
                        first = exchange.Final;
                    }
                    var json = Json(200, first);
                    if (opening) json.Headers.Add(new(SessionHeader, session.Id));
                    return Done(session, json);
                }
                Interlocked.Increment(ref session.Busy); // the stream holds the session busy until it ends
                var streamed = new HttpServerResponse(200, [], "text/event-stream")
                {
                    Streamed = async (body, stop) =>
                    {
                        using var gone = stop.Register(() => session.Session.CancelRequest(key));
                        try
                        {
                            await body.WriteAsync(Event(first)).ConfigureAwait(false);
                            while (await reader.WaitToReadAsync(stop).ConfigureAwait(false))
                                while (reader.TryRead(out var next)) await body.WriteAsync(Event(next)).ConfigureAwait(false);
                        }
                        catch
                        {
                            session.Session.CancelRequest(key); // the stream failed (the client stopped reading): the call ends too
                            throw;
                        }
                        finally
                        {
                            cancelOnGone.Dispose();
                            exchange.Abandon();
                            Release(session);
                        }
                    },
                };
                streamed.Headers.Add(new("Cache-Control", "no-cache"));
                if (opening) streamed.Headers.Add(new(SessionHeader, session.Id));
                streaming = true;
                return Done(session, streamed);
            }
            finally
            {
                if (!streaming) cancelOnGone.Dispose();
            }
        }
        catch
        {
            Release(session);
            throw;
        }
    }

    static HttpServerResponse Done(HttpSession session, HttpServerResponse response)
    {
        Release(session);
        return response;
    }

    static void Release(HttpSession session)
    {
        Volatile.Write(ref session.LastUsed, Environment.TickCount64);
        Volatile.Write(ref session.UseOrder, Interlocked.Increment(ref _uses));
        Interlocked.Decrement(ref session.Busy);
    }

    /// <summary>`event: message` with the JSON-RPC message as its one data line (the JSON has no line breaks).</summary>
    static byte[] Event(byte[] message)
    {
        var prefix = "event: message\ndata: "u8;
        var bytes = new byte[prefix.Length + message.Length + 2];
        prefix.CopyTo(bytes);
        message.CopyTo(bytes, prefix.Length);
        bytes[^2] = (byte)'\n';
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    /// <summary>How long the GET stream may be quiet before a comment line keeps it (and its proxies) open.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// GET /mcp: the session's own event stream, for what the server sends outside any answer
    /// (notifications/tools/list_changed when plugins change). Each event has an id; Last-Event-ID replays the missed
    /// ones. The stream holds its session in use (it does not expire idle) until the client closes it or the session ends.
    /// </summary>
    HttpServerResponse Listen(HttpRequestHead head, string who, string role)
    {
        var accept = head.Header("Accept");
        if (accept is null || !Accepts(accept, "text/event-stream"))
            return Error(406, JsonRpcCodes.InvalidRequest, "GET opens an event stream, and Accept does not name text/event-stream.", "usage", "Send Accept: text/event-stream.");
        var id = head.Header(SessionHeader);
        if (id is null)
            return Error(400, JsonRpcCodes.InvalidRequest, "GET needs the Mcp-Session-Id of the session whose events to stream.", "usage", "Send initialize first, then GET with its Mcp-Session-Id.");
        if (!_sessions.TryGetValue(id, out var found) || found.Identity != who || found.Ended)
            return Error(404, -32001, "The session does not exist or has ended.", "not_found", "Send initialize again (without Mcp-Session-Id) for a new session.");
        var (now, _) = _policyOf(role);
        if (!ReferenceEquals(now, found.Policy))
        {
            End(found, "its role changed");
            return Error(404, -32001, "The session has ended: its role's grants changed since it opened.", "not_found",
                "Send initialize again (without Mcp-Session-Id) for a session under the role's current grants.");
        }
        long? last = head.Header("Last-Event-ID") is { } l && long.TryParse(l.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
        var reader = found.Stream.Attach(last);
        Interlocked.Increment(ref found.Busy);
        var response = new HttpServerResponse(200, [], "text/event-stream")
        {
            Streamed = async (body, stop) =>
            {
                try
                {
                    await body.WriteAsync(": resh mcp event stream\n\n"u8.ToArray()).ConfigureAwait(false);
                    while (!stop.IsCancellationRequested)
                    {
                        bool more;
                        using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(stop))
                        {
                            quiet.CancelAfter(KeepAlive);
                            try { more = await reader.WaitToReadAsync(quiet.Token).ConfigureAwait(false); }
                            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                            {
                                await body.WriteAsync(": keep-alive\n\n"u8.ToArray()).ConfigureAwait(false);
                                continue;
                            }
                            catch (OperationCanceledException) { break; }
                        }
                        if (!more) break;
                        while (reader.TryRead(out var e)) await body.WriteAsync(Event(e.Message, e.Id)).ConfigureAwait(false);
                    }
                }
                finally
                {
                    found.Stream.Detach(reader);
                    Release(found);
                }
            },
        };
        response.Headers.Add(new("Cache-Control", "no-cache"));
        return response;
    }

    /// <summary>`id: N`, `event: message` and the JSON-RPC message as its one data line.</summary>
    static byte[] Event(byte[] message, long id) =>
        [.. Encoding.ASCII.GetBytes($"id: {id.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n"), .. Event(message)];

    HttpServerResponse Delete(HttpRequestHead head, string who)
    {
        var id = head.Header(SessionHeader);
        if (id is null) return Error(400, JsonRpcCodes.InvalidRequest, "DELETE needs the Mcp-Session-Id of the session to end.", "usage", "Send the header initialize answered with.");
        if (!_sessions.TryGetValue(id, out var found) || found.Identity != who || found.Ended)
            return Error(404, -32001, "The session does not exist or has ended.", "not_found", "Nothing to end.");
        End(found, "deleted by the client");
        return new HttpServerResponse(204, []);
    }

    /// <summary>A new session for the caller, making room by ending its own least recently used one; null when every slot is taken.</summary>
    HttpSession? Open(string who, string role, McpPolicy policy)
    {
        lock (_admit)
        {
            var mine = _sessions.Values.Where(s => s.Identity == who && !s.Ended).ToList();
            if (mine.Count >= MaxSessionsPerIdentity)
                End(mine.OrderBy(s => Volatile.Read(ref s.Busy) > 0 ? 1 : 0).ThenBy(s => Volatile.Read(ref s.UseOrder)).First(), "the identity opened more than max sessions");
            if (_sessions.Count >= MaxSessions)
            {
                var idle = mine.Where(s => !s.Ended && Volatile.Read(ref s.Busy) == 0).OrderBy(s => Volatile.Read(ref s.UseOrder)).FirstOrDefault();
                if (idle is null) return null;
                End(idle, "every session slot was taken");
            }
            WatchPlugins();
            var catalog = Catalog(role, policy);
            var runtime = _runtime.ForCall(null, StdinSource.Unavailable("An MCP call has no standard input; @- is not available.", "Pass the value in the tool's arguments."));
            runtime.Audit = Trail(who);
            var server = new McpServerInfo(_registry, runtime, policy, _version, catalog) { OnToolCall = ToolCalled };
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            var stream = new ServerStream();
            var session = new HttpSession(id, who, role, new McpSession(server, stream), policy, stream);
            _sessions[id] = session;
            _runtime.Log($"mcp-http: session {id[..8]}… opened by {who} (role {role}); {_sessions.Count} open");
            return session;
        }
    }

    void End(HttpSession session, string why)
    {
        session.Ended = true;
        session.Stream.Close();
        _sessions.TryRemove(new KeyValuePair<string, HttpSession>(session.Id, session));
        _runtime.Log($"mcp-http: session {session.Id[..8]}… of {session.Identity} ended: {why}");
        // Calls still running are cancelled and given a moment; the answers they still make go to their POSTs.
        _ = Task.Run(() => session.Session.CloseAsync(TimeSpan.Zero, TimeSpan.FromSeconds(5)));
    }

    /// <summary>Ends the sessions idle past <see cref="IdleExpiry"/> (looked at most once every 10 s).</summary>
    void Sweep()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastSweep);
        if (now - last < 10_000 || Interlocked.CompareExchange(ref _lastSweep, now, last) != last) return;
        foreach (var s in _sessions.Values)
            if (Volatile.Read(ref s.Busy) == 0 && now - Volatile.Read(ref s.LastUsed) > IdleExpiry.TotalMilliseconds)
                End(s, $"idle for more than {IdleExpiry.TotalMinutes:0.#} min");
    }

    /// <summary>Ends every session (the server stops).</summary>
    public async Task CloseAllAsync(TimeSpan grace)
    {
        var all = _sessions.Values.ToArray();
        _sessions.Clear();
        _pluginWatch?.Dispose();
        foreach (var s in all) s.Stream.Close();
        await Task.WhenAll(all.Select(s => { s.Ended = true; return s.Session.CloseAsync(TimeSpan.Zero, grace); })).ConfigureAwait(false);
    }

    /// <summary>Why the Origin is refused: present and neither loopback nor one of --mcp-origin. Absent is a non-browser client.</summary>
    string? ForeignOrigin(HttpRequestHead head) => ForeignOrigin(head, _origins);

    /// <summary>
    /// Why a request from a web page may not call this server: its Origin is neither a loopback page nor one of
    /// <paramref name="origins"/> (--mcp-origin). Clients that are not browsers send no Origin. REST uses it too: a client
    /// certificate or a Basic login is sent by a browser on its own, so a foreign page must not be able to use it.
    /// </summary>
    public static string? ForeignOrigin(HttpRequestHead head, IReadOnlyList<string> origins)
    {
        var origin = head.Header("Origin");
        if (origin is null) return null;
        origin = origin.Trim();
        if (origins.Any(o => o.Equals(origin, StringComparison.OrdinalIgnoreCase))) return null;
        if (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && IsLoopbackName(uri.Host)) return null;
        return $"The Origin `{Clip(origin)}` may not call this server (a web page of another site).";
    }

    /// <summary>The Host header when it is not a loopback name (a DNS-rebinding page names its own host).</summary>
    static string? ForeignHost(HttpRequestHead head)
    {
        var host = head.Header("Host");
        if (host is null) return null;
        if (Uri.TryCreate("http://" + host.Trim(), UriKind.Absolute, out var uri) && IsLoopbackName(uri.Host)) return null;
        return host;
    }

    static bool IsLoopbackName(string host)
    {
        var h = host.Trim('[', ']');
        if (h.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip);
    }

    static bool Accepts(string accept, string type) =>
        accept.Split(',').Select(t => t.Split(';')[0].Trim()).Any(t => t.Equals(type, StringComparison.OrdinalIgnoreCase) || t == "*/*"
            || (t.EndsWith("/*", StringComparison.Ordinal) && type.StartsWith(t[..^1], StringComparison.OrdinalIgnoreCase)));

    AuditTrail Trail(string identity) => _trails.GetOrAdd(identity, id => new AuditTrail(_runtime.Paths, Surface, id));

    static HttpServerResponse Json(int status, byte[] message)
    {
        var body = new byte[message.Length + 1];
        message.CopyTo(body, 0);
        body[^1] = (byte)'\n';
        return new HttpServerResponse(status, body);
    }

    /// <summary>429 for an identity over its rate ([serve] rate): a JSON-RPC error with data {code unavailable, hint, retry_after_s} and Retry-After.</summary>
    public static HttpServerResponse RateLimited(string message, string hint, int retryAfter)
    {
        var r = Json(429, JsonRpcWriter.Error(null, -32000, message, new JsonObject { ["code"] = "unavailable", ["hint"] = hint, ["retry_after_s"] = retryAfter }));
        r.Headers.Add(new("Retry-After", retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return r;
    }

    /// <summary>A refusal before any MCP handling: a JSON-RPC error whose data is resh's error (code, hint).</summary>
    static HttpServerResponse Error(int status, int rpcCode, string message, string code, string? hint, JsonNode? id = null) =>
        Json(status, JsonRpcWriter.Error(id?.DeepClone(), rpcCode, message, new JsonObject { ["code"] = code, ["hint"] = hint }));

    static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
