using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Audit;
using Resh.Core.Cli;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Registry;
using Resh.Core.Text;
using Resh.Core.Transport.Http;
using Resh.Surfaces.Mcp;

namespace Resh.Surfaces.Serve;

/// <summary>
/// The routes of `resh serve` on <see cref="BoundedHttpServer"/>. Every /v1 route needs a bearer token; a call is checked
/// against the token's role (an <see cref="McpPolicy"/> built from [roles.NAME], the checks `resh mcp` makes), run by the
/// same <see cref="Executor"/> as the CLI, audited with the token's identity and surface `rest`, and answered with the
/// envelope, whose error code sets the HTTP status (<see cref="StatusOf"/>).
/// </summary>
public sealed class RestHandler : IHttpRequestHandler
{
    readonly HandleRegistry _registry;
    readonly ReshRuntime _runtime;
    readonly TokenCache _tokens;
    readonly string _version;
    readonly bool _forceDryRun;
    readonly TimeSpan? _timeout;
    readonly ConcurrentDictionary<string, AuditTrail> _trails = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, (McpPolicy? Policy, ReshError? Error)> _roles = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<(string, string), McpTool> _tools = new();
    readonly RefusalAudit _refusals;
    byte[]? _openApi, _openApiWithPlugins;
    // Roles are re-read when the config file changes (size or mtime) or on SIGHUP (ReloadRoles): the next request uses them.
    readonly Lock _rolesLock = new();
    ReshConfig? _rolesConfig;
    ReshError? _rolesError;
    (DateTime Mtime, long Size) _rolesStamp;
    volatile bool _reloadRoles;

    public ServeMetrics Metrics { get; }

    /// <summary>The MCP endpoint (`resh serve --mcp`), or null.</summary>
    public McpHttpTransport? Mcp { get; private set; }

    /// <summary>The authentication step of the config now in force (re-read first when the file changed or after SIGHUP).</summary>
    Identity.ServeAuthenticator Auth
    {
        get
        {
            RolesConfig(out _);
            return _auth;
        }
    }

    /// <summary>Mounts MCP's Streamable HTTP transport at /mcp: the same tokens, and each token's role as its policy.</summary>
    public McpHttpTransport MountMcp(bool loopback, IReadOnlyList<string> origins)
    {
        _origins = origins;
        Mcp = new McpHttpTransport(_registry, _runtime, _version, (head, cert, ct) => Auth.AuthenticateAsync(head, cert, Authenticate, ct), PolicyOf, loopback, origins)
        {
            RefusedAudit = (caller, address, code) => _refusals.Refused(caller, address, McpHttpTransport.Endpoint, 0, code),
            ToolCalled = Metrics.McpCall, // tools/call counted as REST calls are (s38 user #10)
        };
        var mcp = Mcp;
        Metrics.McpSessions = () => mcp.SessionCount;
        return mcp;
    }

    /// <summary>Web origins whose pages may call (--mcp-origin); any other Origin but a loopback page is refused (403).</summary>
    IReadOnlyList<string> _origins = [];

    /// <summary>The timeout of a streaming verb when neither the request nor --timeout gives one.</summary>
    public static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest a call runs (s38 attacker #10): a request's "timeout" may not be longer, and a call without one ends
    /// then. --timeout longer than this raises it (and, as always, bounds every call to itself).
    /// </summary>
    public static readonly TimeSpan MaxCallTimeout = TimeSpan.FromHours(1);

    TimeSpan CallCap => _timeout is { } t && t > MaxCallTimeout ? t : MaxCallTimeout;

    static string Describe(TimeSpan t) => t.TotalSeconds % 3600 == 0 ? $"{t.TotalHours:0} h" : t.TotalSeconds % 60 == 0 ? $"{t.TotalMinutes:0} min" : $"{t.TotalSeconds:0.###} s";

    public const long MaxCallBody = 1024 * 1024, MaxBatchBody = 8 * 1024 * 1024, MaxBatchLines = 1000;

    volatile Identity.ServeAuthenticator _auth;
    readonly Func<ReshConfig, Identity.ServeAuthenticator>? _authFrom;
    readonly Identity.RateLimiter? _limiter;

    /// <param name="authFrom">Builds the authentication step from a config ([serve.clients], [serve.ldap]): called again
    /// when the config is re-read, so a removed certificate or group mapping stops working without a restart.</param>
    public RestHandler(HandleRegistry registry, ReshRuntime runtime, string version, bool forceDryRun, TimeSpan? timeout,
        Identity.ServeAuthenticator? auth = null, Identity.RateLimiter? limiter = null, Func<ReshConfig, Identity.ServeAuthenticator>? authFrom = null)
    {
        _auth = auth ?? new Identity.ServeAuthenticator(null, null, false);
        _authFrom = authFrom;
        _limiter = limiter;
        // The config as read at start, and the file's stamp now: an edit made after start, before the first request, is seen by it.
        _rolesConfig = runtime.Config;
        _rolesStamp = Stamp(runtime.Config.Path);
        _registry = registry;
        _runtime = runtime;
        _tokens = new TokenCache(TokenStore.PathOf(runtime.Paths));
        _version = version;
        Metrics = new ServeMetrics(version, ServeMetrics.Commit());
        _forceDryRun = forceDryRun;
        _timeout = timeout;
        _refusals = new RefusalAudit(record => Trail(record.Identity).Append(record));
    }

    /// <summary>Re-read the roles before the next request (SIGHUP).</summary>
    public void ReloadRoles() => _reloadRoles = true;

    /// <summary>Writes the summaries of coalesced refusals still pending (at shutdown and from a timer).</summary>
    public void FlushRefusals(bool all) => _refusals.Flush(all);

    static StdinSource NoStdin => StdinSource.Unavailable("A REST call has no standard input; @- is not available.", "Pass the value in \"args\".");

    /// <summary>The HTTP status of an envelope: 200 when ok, else by its error code (docs/serve.md).</summary>
    public static int StatusOf(Envelope env) => env.Ok ? 200 : (env.Error?.Code ?? ErrorCode.Failed) switch
    {
        ErrorCode.Usage => 400,
        ErrorCode.PermissionDenied => 403,
        ErrorCode.NotFound => 404,
        ErrorCode.Conflict => 409,
        ErrorCode.Unsupported => 422,
        ErrorCode.Unavailable or ErrorCode.Interrupted => 503,
        ErrorCode.Timeout => 504,
        _ => 500, // failed, partial
    };

    public long MaxBody(HttpRequestHead head) => head.Method == "POST"
        ? head.Path == "/v1/batch" ? MaxBatchBody : MaxCallBody
        : 0;

    public HttpServerResponse Rejected(HttpRequestHead? head, IPEndPoint? remote, int status, string reason)
    {
        Metrics.Response(status);
        if (reason == BoundedHttpServer.Draining)
        {
            // A drain (SIGTERM): a kept-alive connection's next request is refused and the connection closed; a health check learns why.
            if (head?.Path == "/healthz")
                return new HttpServerResponse(503, Encoding.UTF8.GetBytes($"{{\"ok\":false,\"status\":\"draining\",\"version\":{JsonSerializer.Serialize(_version, ServeJson.Default.String)}}}\n"));
            return Json(503, Envelope.Failure(ReshError.Unavailable(reason + " Nothing was run.", "Retry on a new connection once the server (or another instance) is up again."), "resh", "serve", head?.Path ?? ""));
        }
        var error = status switch
        {
            408 => ReshError.Timeout(reason, "Send the whole request at once."),
            413 => ReshError.Usage(reason, $"A /v1/call body is at most {MaxCallBody / 1024} KiB and a /v1/batch body {MaxBatchBody / 1024 / 1024} MiB; GET requests have none."),
            414 or 431 => ReshError.Usage(reason, "Send a shorter request line and fewer, smaller headers."),
            501 or 505 => ReshError.Unsupported(reason, "Send HTTP/1.1 with Content-Length or Transfer-Encoding: chunked."),
            503 => ReshError.Unavailable(reason, "Retry in a moment (the server limits connections at once, in all and per client address)."),
            403 => ReshError.PermissionDenied(reason, "Present a client certificate issued by a CA of the server's --client-ca, valid now and for clientAuth, or none and another identity (a token)."),
            _ => ReshError.Usage(reason, "Send a well-formed HTTP/1.1 request."),
        };
        return Json(status, Envelope.Failure(error, "resh", "serve", head?.Path ?? ""));
    }

    /// <summary>Where one-line notices go (resh serve: its stderr); null: nowhere.</summary>
    public Action<string>? Notice { get; init; }

    long _lastTlsNotice, _tlsSuppressed;

    /// <summary>
    /// A client certificate refused at the handshake (s38 user #9): counted by reason, and a stderr line (at most one a
    /// second, with how many were left out since, so a flood of bad certificates cannot flood the log).
    /// </summary>
    public void ClientCertificateRefused(IPEndPoint? remote, string reason, string detail)
    {
        Metrics.TlsRefused(reason);
        if (Notice is not { } notice) return;
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastTlsNotice);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastTlsNotice, now, last) != last) { Interlocked.Increment(ref _tlsSuppressed); return; }
        var more = Interlocked.Exchange(ref _tlsSuppressed, 0);
        notice($"resh serve: refused a client certificate from {remote?.Address}: {reason}: {detail}{(more > 0 ? $" ({more} more refused since the last line)" : "")}");
    }

    /// <summary>The method a route takes, or null for no such route.</summary>
    static string? RouteMethod(string path) => path switch
    {
        "/healthz" or "/openapi.json" or "/metrics" or "/v1/handles" => "GET",
        "/v1/call" or "/v1/batch" => "POST",
        _ when path.StartsWith("/v1/call/", StringComparison.Ordinal) => "POST",
        _ when path.StartsWith("/v1/schema/", StringComparison.Ordinal) => "GET",
        _ => null,
    };

    /// <summary>
    /// From the head alone: an unknown route (404), a request without a valid identity (401/403/503), one over its
    /// identity's rate (429) and a wrong method (405) are answered before the body is read, so a client without
    /// credentials cannot make the server buffer a body (s37 attacker #5). The rate is taken here only, once per request.
    /// </summary>
    public async ValueTask<HttpServerResponse?> ScreenAsync(HttpRequestHead head, X509Certificate2? clientCertificate, CancellationToken ct)
    {
        HttpServerResponse? response;
        try
        {
            var path = head.Path;
            if (path == McpHttpTransport.Endpoint && Mcp is { } mcp)
            {
                var clock = Stopwatch.StartNew();
                var (refused, identity) = await mcp.AdmitAsync(head, clientCertificate, ct).ConfigureAwait(false);
                // Over its rate: a JSON-RPC error (an MCP client reads nothing else), with Retry-After (s38 user #11).
                response = refused ?? (_limiter?.Take(identity!.Key) is { } limited
                    ? McpHttpTransport.RateLimited($"`{Clip(identity!.Key)}` sent more requests than its rate ({_limiter!.Describe}).", $"Retry after {limited.RetryAfter} s (Retry-After), and send fewer requests.", limited.RetryAfter)
                    : null);
            }
            else if (RouteMethod(path) is not { } method) response = NoRoute(path);
            else if (path is "/healthz" or "/openapi.json") response = Method(head, method);
            else if (McpHttpTransport.ForeignOrigin(head, _origins) is { } foreign)
            {
                // A browser sends a client certificate or a Basic login by itself: a page of another site must not use them.
                response = Json(403, Envelope.Failure(ReshError.PermissionDenied(foreign + " Nothing was run.",
                    "Call the API from a program (no Origin header), or name the page's origin with --mcp-origin."), "resh", "serve", Clip(path)));
            }
            else
            {
                var clock = Stopwatch.StartNew();
                var outcome = await Auth.AuthenticateAsync(head, clientCertificate, Authenticate, ct).ConfigureAwait(false);
                if (outcome.Refusal is not null) response = Unauthorized(head, outcome, clock);
                else if (_limiter?.Take(outcome.Identity!.Key) is { } limited) response = Limited(head, outcome.Identity!.Key, limited, clock);
                else response = Method(head, method);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _runtime.Log($"serve: {head.Method} {head.Path}: {ex.GetType().Name}: {ex.Message}");
            return null; // HandleAsync answers it
        }
        if (response is not null) Metrics.Response(response.Status);
        return response;
    }

    static HttpServerResponse NoRoute(string path) =>
        Json(404, Envelope.Failure(ReshError.NotFound($"No route {Clip(path)}.", "Routes: POST /v1/call, POST /v1/call/{handle}.{verb}, POST /v1/batch, GET /v1/handles, GET /v1/schema/{handle}.{verb}, GET /openapi.json, GET /healthz, GET /metrics."), "resh", "serve", Clip(path)));

    static bool IsCall(string path) => path == "/v1/call" || path == "/v1/batch" || path.StartsWith("/v1/call/", StringComparison.Ordinal);

    /// <summary>
    /// A request without a valid identity: 401 (403 for a certificate or login without a role, 503 when LDAP is down);
    /// audited on call routes, floods coalesced per client (<see cref="RefusalAudit"/>).
    /// </summary>
    HttpServerResponse Unauthorized(HttpRequestHead head, Identity.AuthOutcome outcome, Stopwatch clock)
    {
        Metrics.Unauthorized();
        var path = head.Path;
        var refusal = outcome.Refusal!;
        var env = Envelope.Failure(refusal, "resh", "serve", Clip(path), false, clock.Elapsed.TotalMilliseconds);
        if (IsCall(path))
            _refusals.Refused(outcome.Caller ?? "anonymous", head.Remote?.Address, Clip(path), Math.Round(clock.Elapsed.TotalMilliseconds, 3), refusal.Code);
        var r = Json(outcome.Status, env);
        if (outcome.Status == 401) foreach (var c in _auth.Challenges()) r.Headers.Add(new("WWW-Authenticate", c));
        if (outcome.RetryAfter is { } wait) r.Headers.Add(new("Retry-After", wait.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return r;
    }

    /// <summary>429 for an identity over its rate ([serve] rate), with Retry-After; the first refusal of each wait is audited.</summary>
    HttpServerResponse Limited(HttpRequestHead head, string who, (int RetryAfter, bool Audit) limited, Stopwatch clock)
    {
        var path = head.Path;
        var env = Envelope.Failure(ReshError.Unavailable($"`{Clip(who)}` sent more requests than its rate ({_limiter!.Describe}).",
            $"Retry after {limited.RetryAfter} s (Retry-After), and send fewer requests.", new JsonObject { ["retry_after_s"] = limited.RetryAfter }),
            "resh", "serve", Clip(path), false, clock.Elapsed.TotalMilliseconds);
        if (IsCall(path) && limited.Audit) Trail(who).Append(new AuditRecord(0, "", who, "rest", "", "", Clip(path), "", [], false,
            ErrorCode.Unavailable.ToWire(), false, false, Math.Round(clock.Elapsed.TotalMilliseconds, 3), ""));
        var r = Json(429, env);
        r.Headers.Add(new("Retry-After", limited.RetryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return r;
    }

    public async Task<HttpServerResponse> HandleAsync(HttpServerRequest request, CancellationToken ct)
    {
        HttpServerResponse response;
        try { response = await RouteAsync(request, ct).ConfigureAwait(false); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug must still answer (and be counted), never drop the connection silently.
            _runtime.Log($"serve: {request.Head.Method} {request.Head.Path}: {ex.GetType().Name}: {ex.Message}");
            response = Json(500, Envelope.Failure(ReshError.Failed("Internal error while handling the request; nothing more is known.",
                "Run `resh serve --verbose` to see the cause in its log, and report it."), "resh", "serve", request.Head.Path));
        }
        Metrics.Response(response.Status);
        return response;
    }

    /// <summary>
    /// The request with every member read now: a JsonObject reads its members lazily, so a duplicate key (or a lone
    /// surrogate, found when it is written) would otherwise throw in the middle of a call instead of at the parse.
    /// </summary>
    static JsonObject? Whole(JsonObject? request)
    {
        if (request is not null) Walk(request, 0);
        return request;
    }

    static void Walk(JsonNode? node, int depth)
    {
        if (depth > 256) throw ReshError.Usage("The request is nested deeper than 256 levels.", "Send a flatter JSON object.").ToException();
        switch (node)
        {
            case JsonObject o:
                try { _ = o.Count; } // reads every member: a duplicate key throws here
                catch (ArgumentException) { throw ReshError.Usage("A key appears twice in one JSON object of the request; nothing was run.", "Give each key once.").ToException(); }
                foreach (var (key, value) in o) { CheckText(key); Walk(value, depth + 1); }
                break;
            case JsonArray a:
                foreach (var item in a) Walk(item, depth + 1);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                CheckText(v.GetValue<string>());
                break;
        }
    }

    /// <summary>A lone surrogate (`"\ud800"` in JSON) is not text: nothing resh writes (envelope, audit) could carry it.</summary>
    static void CheckText(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (!char.IsSurrogate(s[i])) continue;
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            throw ReshError.Usage("A string of the request holds a lone UTF-16 surrogate (such as \\ud800), which is not text; nothing was run.", "Escape characters outside the BMP as a surrogate pair, or send them as UTF-8.").ToException();
        }
    }

    async Task<HttpServerResponse> RouteAsync(HttpServerRequest request, CancellationToken ct)
    {
        var head = request.Head;
        var path = head.Path;
        switch (path)
        {
            case "/healthz":
                return Method(head, "GET") ?? new HttpServerResponse(200, Encoding.UTF8.GetBytes($"{{\"ok\":true,\"status\":\"serving\",\"version\":{JsonSerializer.Serialize(_version, ServeJson.Default.String)}}}\n"));
            case "/openapi.json":
                return Method(head, "GET") ?? new HttpServerResponse(200, OpenApi(Authenticate(head).Item2 is null));
        }
        if (path == McpHttpTransport.Endpoint && Mcp is { } mcp) return await mcp.HandleAsync(request, ct).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        if (RouteMethod(path) is null) return NoRoute(path);
        // Screened already (identity and rate); asked again for the identity, which a revocation may have changed since the head.
        var outcome = await Auth.AuthenticateAsync(head, request.ClientCertificate, Authenticate, ct).ConfigureAwait(false);
        if (outcome.Refusal is not null) return Unauthorized(head, outcome, clock);
        var (who, role) = (outcome.Identity!.Key, outcome.Identity.Role);
        switch (path)
        {
            case "/metrics":
                return Method(head, "GET") ?? new HttpServerResponse(200, Encoding.UTF8.GetBytes(Metrics.Render()), "text/plain; version=0.0.4; charset=utf-8");
            case "/v1/handles":
                return Method(head, "GET") ?? Json(await MetaAsync(["handles"], ct).ConfigureAwait(false));
            case "/v1/call":
                return Method(head, "POST") ?? await CallRouteAsync(head, who, role, request.Body, null, clock, ct).ConfigureAwait(false);
            case "/v1/batch":
                return Method(head, "POST") ?? Batch(who, role, request.Body);
        }
        if (path.StartsWith("/v1/schema/", StringComparison.Ordinal))
        {
            if (Method(head, "GET") is { } wrong) return wrong;
            var topic = Uri.UnescapeDataString(path["/v1/schema/".Length..]);
            // The topic goes to the schema verb as a word of argv: only names, never a flag.
            if (topic.Length is 0 or > 200 || topic.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789_.-+") >= 0 || topic[0] == '-')
                return Json(404, Envelope.Failure(ReshError.NotFound($"No schema `{Clip(topic)}`.", "Ask for a verb (/v1/schema/file.read) or a handle (/v1/schema/file)."), "resh", "schema", ""));
            return Json(await MetaAsync(["schema", topic], ct).ConfigureAwait(false));
        }
        if (path.StartsWith("/v1/call/", StringComparison.Ordinal))
        {
            if (Method(head, "POST") is { } wrong) return wrong;
            var full = Uri.UnescapeDataString(path["/v1/call/".Length..]);
            var dot = full.IndexOf('.');
            return await CallRouteAsync(head, who, role, request.Body, dot > 0 ? (full[..dot], full[(dot + 1)..]) : (full, ""), clock, ct).ConfigureAwait(false);
        }
        return NoRoute(path);
    }

    static HttpServerResponse? Method(HttpRequestHead head, string method)
    {
        if (head.Method == method || (method == "GET" && head.Method == "HEAD")) return null; // HEAD: the server sends the head without the body
        var r = Json(405, Envelope.Failure(ReshError.Usage($"{head.Path} takes {method}, not {Clip(head.Method)}.", $"Send {method} {head.Path}."), "resh", "serve", head.Path));
        r.Headers.Add(new("Allow", method));
        return r;
    }

    /// <summary>The token's name and role, or why the request is refused (401): no token, an unknown one, a revoked or expired one.</summary>
    ((string Name, string Role)?, ReshError?) Authenticate(HttpRequestHead head)
    {
        var auth = head.Header("Authorization");
        if (auth is null || !auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return (null, ReshError.PermissionDenied("This route needs an API token (Authorization: Bearer TOKEN).", "Create one with `resh token create name=NAME role=ROLE` on the server."));
        var secret = auth[7..].Trim();
        StoredToken? token;
        try { token = secret.Length is > 0 and <= 256 ? _tokens.Find(secret) : null; }
        catch (ReshException ex) { return (null, ex.Error); }
        if (token is null)
            return (null, ReshError.PermissionDenied("The API token is not known to this server.", "Check the token; `resh token list` on the server shows the valid ones."));
        if (token.Revoked is not null)
            return ((token.Name, token.Role), ReshError.PermissionDenied($"The API token `{token.Name}` was revoked at {token.Revoked}.", "Ask the operator for a new token (resh token create)."));
        if (TokenStore.ParseTime(token.Expires) is { } x && x <= DateTime.UtcNow)
            return ((token.Name, token.Role), ReshError.PermissionDenied($"The API token `{token.Name}` expired at {token.Expires}.", "Ask the operator for a new token (resh token create ... expires=30d)."));
        return ((token.Name, token.Role), null);
    }

    /// <summary>/openapi.json: built-in handles for everyone; plugins' verbs only for a valid token (s37 attacker #9).</summary>
    byte[] OpenApi(bool withPlugins) => withPlugins
        ? _openApiWithPlugins ??= Encoding.UTF8.GetBytes(ServeOpenApi.Build(_registry, _version, true).ToJsonString())
        : _openApi ??= Encoding.UTF8.GetBytes(ServeOpenApi.Build(_registry, _version, false).ToJsonString());

    AuditTrail Trail(string identity) => _trails.GetOrAdd(identity, id => new AuditTrail(_runtime.Paths, "rest", id));

    (McpPolicy? Policy, ReshError? Error) PolicyOf(string role)
    {
        var config = RolesConfig(out var configError);
        if (configError is not null) return (null, configError);
        return _roles.GetOrAdd(role, r =>
        {
            try { return (ServeRoles.Policy(config, r, _timeout, _forceDryRun, _registry.IsPlugin), null); }
            catch (ReshException ex) { return (null, ex.Error); }
        });
    }

    /// <summary>
    /// The config the roles come from: read again when the file's size or mtime changed, or after SIGHUP. A file that
    /// no longer parses refuses every call (fail closed: an operator narrowing a role must not keep the old grants by a typo).
    /// </summary>
    ReshConfig RolesConfig(out ReshError? error)
    {
        lock (_rolesLock)
        {
            var path = _runtime.Config.Path;
            if (path is not null && (_reloadRoles || Stamp(path) != _rolesStamp))
            {
                _reloadRoles = false;
                _rolesStamp = Stamp(path);
                _roles.Clear();
                try
                {
                    // The same owner/mode rule as at start: a file another user can change fails closed, like one that no longer parses.
                    Resh.Core.Config.OwnedStateDir.CheckTrustedFile(path, "serve config file");
                    var config = ReshConfig.Parse(path);
                    if (_authFrom is not null)
                    {
                        try { _auth = _authFrom(config); }
                        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or System.Text.Json.JsonException)
                        {
                            throw ReshError.Usage($"The [serve] tables cannot be read: {ExceptionTranslation.OneLine(e.Message)}", "See docs/serve.md for [serve.clients] and [serve.ldap].").ToException();
                        }
                    }
                    _rolesConfig = config;
                    _rolesError = null;
                    _runtime.Log($"serve: roles re-read from {path}");
                }
                catch (ReshException ex)
                {
                    _rolesError = ReshError.Unavailable($"The config file could not be read again, so no role grants anything until it is fixed: {ex.Error.Message}",
                        ex.Error.Hint ?? "Fix the config file; the server re-reads it on the next request.");
                    _runtime.Log("serve: " + _rolesError.Message);
                }
            }
            _reloadRoles = false;
            error = _rolesError;
            return _rolesConfig ?? _runtime.Config;
        }
    }

    static (DateTime, long) Stamp(string? path)
    {
        if (path is null) return default;
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    async Task<Envelope> MetaAsync(string[] argv, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var inv = new Invocation();
        try { new CommandLineParser(_registry, NoStdin).Parse(argv, inv); }
        catch (ReshException ex) { return Envelope.Failure(ex.Error, inv.HandleName, inv.VerbName, "", false, clock.Elapsed.TotalMilliseconds); }
        var runtime = _runtime.ForCall(null, NoStdin);
        return await Executor.RunAsync(inv, runtime, OutputFormat.Json, NullEvents.Instance, ct, CancellationToken.None, CancellationToken.None, false, clock).ConfigureAwait(false);
    }

    /// <summary>A /v1/call body ({stage, verb, args, dry_run, timeout, id}), or with <paramref name="route"/> a /v1/call/{handle}.{verb} body ({target, args, dry_run, timeout}).</summary>
    async Task<(Envelope, JsonNode?)> CallBodyAsync(string who, string role, byte[] body, (string Scheme, string Verb)? route, Stopwatch clock, CancellationToken ct, NdjsonCallStream? stream = null)
    {
        JsonObject request;
        var asked = route is { } r0 ? (r0.Scheme + "://", r0.Verb) : ((string, string)?)null;
        try
        {
            request = (body.Length == 0 ? null : Whole(JsonNode.Parse(body) as JsonObject))
                ?? throw ReshError.Usage("The body must be a JSON object.", route is null ? "Example: {\"stage\":\"system://\",\"verb\":\"uptime\"}" : "Example: {\"target\":\"/etc/hosts\",\"args\":{}}").ToException();
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            return (Refused(who, ReshError.Usage(ex is JsonException je ? $"The body is not valid JSON (at byte {(je.BytePositionInLine ?? 0) + 1}): {ExceptionTranslation.OneLine(je.Message).Split(" LineNumber", 2)[0]}" : "The body is not valid JSON.", "Send one JSON object in UTF-8."), clock, null, asked), null);
        }
        catch (ReshException ex) { return (Refused(who, ex.Error, clock, null, asked), null); }
        var id = EchoId(request["id"]);
        return (await CallAsync(who, role, request, route, clock, ct, stream).ConfigureAwait(false), id);
    }

    /// <summary>The client takes NDJSON: `Accept` names application/x-ndjson (without q=0).</summary>
    public static bool AcceptsNdjson(HttpRequestHead head)
    {
        if (head.Header("Accept") is not { } accept) return false;
        foreach (var range in accept.Split(','))
        {
            var parts = range.Split(';');
            if (!parts[0].Trim().Equals(NdjsonType, StringComparison.OrdinalIgnoreCase)) continue;
            var refused = parts.Skip(1).Select(p => p.Trim().Replace(" ", "")).Any(p => p.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                && double.TryParse(p[2..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var q) && q <= 0);
            if (!refused) return true;
        }
        return false;
    }

    public const string NdjsonType = "application/x-ndjson";

    /// <summary>How long a streamed call's head waits for its first line (or its end, which then sets the status).</summary>
    public static readonly TimeSpan HeadGrace = TimeSpan.FromSeconds(1);

    /// <summary>A streamed call whose body writer has not started by then (its head was never written) is cancelled.</summary>
    static readonly TimeSpan StreamStartLimit = TimeSpan.FromMinutes(1);

    /// <summary>
    /// POST /v1/call (and /v1/call/{handle}.{verb}). A streaming verb asked for with `Accept: application/x-ndjson` is
    /// answered as NDJSON: each event a line as it happens (flushed per line), the envelope last. The head waits for the
    /// first line: a call that ends (or is refused) before any event is one envelope line with the status of its error
    /// code; once lines flow the status is 200 and the last line's `ok` and `error` tell how the call ended. The client
    /// closing the connection, or not reading for the server's write timeout, cancels the verb. One call, one audit record.
    /// </summary>
    async Task<HttpServerResponse> CallRouteAsync(HttpRequestHead head, string who, string role, byte[] body, (string Scheme, string Verb)? route, Stopwatch clock, CancellationToken ct)
    {
        if (!AcceptsNdjson(head)) return Json(await CallBodyAsync(who, role, body, route, clock, ct).ConfigureAwait(false));
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stream = new NdjsonCallStream(stop.Token);
        // Off the request thread: a verb that emits more than the queue holds before its first await (tail lines=65) waits for
        // room, which only the writer below makes (s41 user D3: the call hung with no head).
        var running = Task.Run(RunStreamAsync);
        async Task<(Envelope, JsonNode?)> RunStreamAsync()
        {
            try { return await CallBodyAsync(who, role, body, route, clock, stop.Token, stream).ConfigureAwait(false); }
            finally { stream.Complete(); }
        }
        // The head is sent with the first line, or with the envelope when the call ends first, or after HeadGrace of silence.
        var first = stream.Reader.WaitToReadAsync(CancellationToken.None).AsTask();
        await Task.WhenAny(first, running, Task.Delay(HeadGrace, ct)).ConfigureAwait(false);
        // The queue completed with no line: the call is ending (Complete runs in its finally), so its envelope is the answer.
        if (first.IsCompleted && !stream.Reader.TryPeek(out _)) await Task.WhenAny(running).ConfigureAwait(false);
        if (running.IsCompleted && !stream.Reader.TryPeek(out _))
        {
            var (env, id) = await running.ConfigureAwait(false);
            stop.Dispose();
            var plain = new HttpServerResponse(StatusOf(env), Line(env, id, false), stream.Attached ? NdjsonType : "application/json");
            return plain;
        }
        var started = 0;
        var answer = new HttpServerResponse(200, [], NdjsonType)
        {
            Streamed = async (writer, _) =>
            {
                Volatile.Write(ref started, 1);
                try
                {
                    await foreach (var line in stream.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                    {
                        await writer.WriteAsync(line).ConfigureAwait(false);
                        stream.Sent(line);
                    }
                    var (env, id) = await running.ConfigureAwait(false);
                    await writer.WriteAsync(Line(env, id, false)).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                    // The client left or stopped reading (the write timeout): the verb is cancelled, and its end audited.
                    _runtime.Log("serve: a streaming call's client went away or stopped reading; the call is cancelled.");
                    stop.Cancel();
                    await running.ConfigureAwait(false);
                    throw new IOException("The client stopped reading.", e);
                }
                finally
                {
                    if (!running.IsCompleted) { stop.Cancel(); await running.ConfigureAwait(false); }
                    stop.Dispose();
                }
            },
        };
        answer.Headers.Add(new("Cache-Control", "no-store"));
        // The body writer starts right after the head, which the server writes within its write timeout; when the head
        // could not be written (the connection failed first) nothing would end the verb but its timeout: this does.
        _ = Task.Delay(StreamStartLimit, CancellationToken.None).ContinueWith(_ =>
        {
            if (Volatile.Read(ref started) == 0 && !running.IsCompleted)
                try { stop.Cancel(); } catch (ObjectDisposedException) { }
        }, TaskScheduler.Default);
        return answer;
    }

    /// <summary>The longest request `id` (as JSON text): it is repeated in every line of a streamed answer (s41 attacker #7).</summary>
    public const int MaxIdLength = 1024;

    /// <summary>An id too long to carry: the call is refused and its answer carries no id.</summary>
    static bool IdTooLong(JsonNode? id) => id switch
    {
        null => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length > MaxIdLength,
        _ => id.ToJsonString().Length > MaxIdLength,
    };

    /// <summary>The request's id to echo in its answer (none when too long to carry).</summary>
    static JsonNode? EchoId(JsonNode? id) => IdTooLong(id) ? null : id?.DeepClone();

    static readonly string[] CallKeys = ["id", "stage", "verb", "args", "dry_run", "timeout"];
    static readonly string[] RouteKeys = ["id", "target", "args", "dry_run", "timeout"];

    async Task<Envelope> CallAsync(string who, string role, JsonObject request, (string Scheme, string Verb)? route, Stopwatch clock, CancellationToken ct, NdjsonCallStream? stream = null)
    {
        var keys = route is null ? CallKeys : RouteKeys;
        // What was asked for, for the audit record of a refusal before the verb is known (s37 user #11).
        var asked = route is { } r0
            ? (r0.Scheme + "://" + (request["target"] is JsonValue t0 && t0.GetValueKind() == JsonValueKind.String ? t0.GetValue<string>() : ""), r0.Verb)
            : (request["stage"] is JsonValue s0 && s0.GetValueKind() == JsonValueKind.String ? s0.GetValue<string>() : "",
               request["verb"] is JsonValue v0 && v0.GetValueKind() == JsonValueKind.String ? v0.GetValue<string>() : "");
        Envelope Refused(string who, ReshError error, Stopwatch clock, Invocation? known = null) => this.Refused(who, error, clock, known, asked);
        foreach (var (key, _) in request)
            if (Array.IndexOf(keys, key) < 0)
                return Refused(who, ReshError.Usage($"Unknown key \"{Clip(key)}\" in the request; nothing was run.", Suggest.Hint(key, keys) ?? $"A request has the keys {string.Join(", ", keys)}."), clock);
        if (IdTooLong(request["id"]))
            return Refused(who, ReshError.Usage($"\"id\" is longer than {MaxIdLength} characters; nothing was run.", "Use a short id (a number or a short string): every line of the answer repeats it."), clock);
        string stage;
        string? verbName;
        if (route is { } rt)
        {
            var target = request["target"] switch
            {
                null => "",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                _ => null,
            };
            if (target is null) return Refused(who, ReshError.Usage("\"target\" must be a string.", "Example: \"target\": \"/etc/hosts\""), clock);
            if (_registry.Find(rt.Scheme) is not { Hidden: false } h || h.FindVerb(rt.Verb) is null)
                return Refused(who, ReshError.NotFound($"No verb {Clip(rt.Scheme)}.{Clip(rt.Verb)}.", "GET /openapi.json lists every /v1/call/{handle}.{verb} route."), clock);
            var prefix = rt.Scheme + "://";
            stage = target.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? target : prefix + Escape(target);
            verbName = rt.Verb;
        }
        else
        {
            if (request["stage"] is not JsonValue sv || sv.GetValueKind() != JsonValueKind.String)
                return Refused(who, ReshError.Usage("The request needs \"stage\" (a string: scheme://target).", "Example: {\"stage\":\"system://\",\"verb\":\"uptime\"}"), clock);
            stage = sv.GetValue<string>();
            verbName = request["verb"] is JsonValue vv && vv.GetValueKind() == JsonValueKind.String ? vv.GetValue<string>() : null;
            if (request["verb"] is not null && verbName is null) return Refused(who, ReshError.Usage("\"verb\" must be a string.", "Example: \"verb\": \"read\""), clock);
        }
        var args = request["args"] switch
        {
            null => new JsonObject(),
            JsonObject o => (JsonObject)o.DeepClone(),
            _ => null,
        };
        if (args is null) return Refused(who, ReshError.Usage("\"args\" must be a JSON object.", "Example: \"args\": {\"lines\": 5}"), clock);
        bool? dryRun = null;
        if (request.TryGetPropertyValue("dry_run", out var dn))
        {
            if (dn is not JsonValue dv || dv.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                return Refused(who, ReshError.Usage("\"dry_run\" must be true or false; nothing was run.", "Example: \"dry_run\": true"), clock);
            dryRun = dv.GetValue<bool>();
        }
        TimeSpan? timeout = _timeout;
        if (request["timeout"] is JsonNode tn)
        {
            var text = tn is JsonValue tv && tv.GetValueKind() == JsonValueKind.Number ? tv.GetValue<double>() + "s" : tn is JsonValue ts && ts.GetValueKind() == JsonValueKind.String ? ts.GetValue<string>() : null;
            if (text is null || !Resh.Core.Values.DurationValue.TryParse(text, out var t) || t <= TimeSpan.Zero || t > CallCap)
                return Refused(who, ReshError.Usage($"\"timeout\" must be a positive duration of at most {Describe(CallCap)}.", "Example: \"timeout\": \"30s\" (the server bounds every call; --timeout sets a longer bound)."), clock);
            timeout = timeout is { } cap && cap < t ? cap : t;
        }
        foreach (var reserved in (string[])[McpTool.TargetArg, McpTool.HostArg, McpTool.DryRunArg])
            if (args.ContainsKey(reserved))
                return Refused(who, ReshError.Usage($"\"args\" has `{reserved}`, which a REST call gives elsewhere; nothing was run.",
                    reserved == McpTool.DryRunArg ? "Put \"dry_run\" beside \"args\"." : reserved == McpTool.HostArg ? "Run on another host with an ssh:// stage (ssh://HOST/scheme://target)." : "Put the target in the stage (scheme://target)."), clock);
        if (route is null && Resh.Core.Pipeline.PipelineSyntax.LooksLikePipeline(stage, verbName)) return Refused(who, Resh.Core.Pipeline.PipelineSyntax.NotOnThisSurface(), clock);
        var trimmed = stage.TrimEnd();
        if (trimmed.EndsWith(')'))
            return Refused(who, ReshError.Usage("The stage ends in (...), arguments inside the stage; a REST call takes them in \"args\".", "Write the arguments as \"args\": {...} (a `)` of the target is written %29)."), clock);

        // An unknown (or hidden) handle is not_found, as on /v1/call/{handle}.{verb} (s37 user #12).
        var sep = stage.IndexOf("://", StringComparison.Ordinal);
        if (sep > 0 && stage.AsSpan(0, sep).IndexOfAny("/.") < 0 && _registry.Find(stage[..sep].ToLowerInvariant()) is not { Hidden: false })
            return Refused(who, ReshError.NotFound($"No handle `{Clip(stage[..sep])}`.", Suggest.Hint(stage[..sep], _registry.Visible.Select(h => h.Scheme).ToArray()) ?? "GET /v1/handles lists the handles a REST call may use."), clock);

        // Resolve the stage as the CLI would, to learn the handle, verb and target the role is checked on.
        var probe = new Invocation();
        try { new CommandLineParser(_registry, NoStdin).ParseRequest(stage, verbName, null, probe); }
        catch (ReshException ex)
        {
            if (probe.Handle is { Hidden: false } && probe.Verb is not null && ex.Error.Code == ErrorCode.Usage) { } // a missing required argument: the real parse below says it
            else return Refused(who, ex.Error, clock, probe.Handle is { Hidden: false } ? probe : null);
        }
        if (probe.Handle is not { Hidden: false } handle || probe.Verb is not { } verb)
            return Refused(who, ReshError.NotFound($"No handle for the stage `{Clip(stage)}`.", "GET /v1/handles lists the handles a REST call may use."), clock);

        // A streaming verb (tail follow) has no end of its own: answered as one envelope at the end, it gets a bound;
        // streamed as NDJSON (Accept: application/x-ndjson), it runs until its client leaves or the call's cap.
        if (verb.Streams && timeout is null && stream is null) timeout = StreamTimeout;
        timeout ??= CallCap; // every call ends (its client leaving ends it sooner)
        var tool = _tools.GetOrAdd((handle.Scheme, verb.Name), _ => new McpTool(handle, verb));
        var (policy, roleError) = PolicyOf(role);
        var runtime = _runtime.ForCall(null, NoStdin);
        runtime.Audit = Trail(who);
        if (policy is null)
            return Fail(runtime, tool, roleError!, "", _forceDryRun, clock, new Invocation());
        var arguments = args;
        arguments[McpTool.TargetArg] = handle.Scheme + "://" + probe.Target;
        if (dryRun is { } d && tool.Mutating) arguments[McpTool.DryRunArg] = d;
        var call = McpToolCall.Check(_registry, runtime, policy, tool, arguments);
        if (call.Error is { } refusal)
            return Fail(runtime, tool, refusal, call.TargetUri, call.DryRun, clock, call.Invocation);
        var effectiveDryRun = call.DryRun || (dryRun == true);
        using var timeoutCts = timeout is { } tt ? new CancellationTokenSource(tt) : null;
        var timeoutToken = timeoutCts?.Token ?? CancellationToken.None;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutToken);
        using var confined = McpToolCall.Confine(policy, tool, call.Host);
        // A streaming verb's events: NDJSON lines when the client accepts them, else counted and named in a warning.
        var counted = verb.Streams && stream is null ? new CountingEvents() : null;
        IEventSink events = verb.Streams && stream is not null ? stream.Attach(request["id"]) : counted ?? (IEventSink)NullEvents.Instance;
        var env = await Executor.RunAsync(call.Invocation, runtime, OutputFormat.Json, events, linked.Token, timeoutToken, ct, effectiveDryRun, clock, timeout)
            .ConfigureAwait(false);
        if (counted is { Count: > 0 } n)
            env = env.With(warnings: [.. env.Warnings, $"{n.Count} stream event{(n.Count == 1 ? " was" : "s were")} not sent: this answer carries the envelope only; POST /v1/call with `Accept: application/x-ndjson` to receive each event as it happens."]);
        Metrics.Call(handle.Scheme, verb.Name, env.Ok ? "ok" : (env.Error?.Code ?? ErrorCode.Failed).ToWire(), clock.Elapsed.TotalSeconds);
        return env;
    }

    Envelope Fail(ReshRuntime runtime, McpTool tool, ReshError error, string targetUri, bool dryRun, Stopwatch clock, Invocation inv)
    {
        var failure = Envelope.Failure(error, tool.Handle.Scheme, tool.Verb.Name, targetUri.Length > 0 ? targetUri : tool.Handle.Scheme + "://", dryRun, clock.Elapsed.TotalMilliseconds);
        inv.Handle = tool.Handle;
        inv.Verb = tool.Verb;
        runtime.RecordCall(inv, failure);
        Metrics.Call(tool.Handle.Scheme, tool.Verb.Name, error.Code.ToWire(), clock.Elapsed.TotalSeconds);
        return failure;
    }

    /// <summary>A request refused before its verb was known: audited with what is known, counted under empty labels.</summary>
    Envelope Refused(string who, ReshError error, Stopwatch clock, Invocation? known = null, (string Stage, string Verb)? asked = null)
    {
        // The envelope and the audit keep what the client asked for (clipped), even when it named no real handle or verb (s38 user #19).
        var stage = asked?.Stage ?? "";
        var sep = stage.IndexOf("://", StringComparison.Ordinal);
        var askedHandle = sep > 0 ? Clip(stage[..sep]) : "";
        var env = known is not null || askedHandle.Length == 0
            ? Envelope.Failure(error, known?.HandleName ?? "resh", known?.VerbName ?? "", known?.EnvelopeTarget ?? "", false, clock.Elapsed.TotalMilliseconds)
            : Envelope.Failure(error, askedHandle, Clip(asked?.Verb ?? ""), Clip(stage), false, clock.Elapsed.TotalMilliseconds);
        Trail(who).Append(new AuditRecord(0, "", who, "rest", known is not null ? env.Handle : askedHandle.Length > 0 ? askedHandle : env.Handle,
            known is not null ? env.Verb : Clip(asked?.Verb ?? ""), known is not null ? env.Target : Clip(stage), "", [], false, error.Code.ToWire(), false, false,
            Math.Round(clock.Elapsed.TotalMilliseconds, 3), ""));
        Metrics.Call(known?.Handle?.Scheme ?? "", known?.Verb?.Name ?? "", error.Code.ToWire(), clock.Elapsed.TotalSeconds);
        return env;
    }

    static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>
    /// POST /v1/batch: one request per line, run in order; one envelope per line, with the request's id first. The
    /// answer is streamed (chunked), a line as soon as its call ends, so the server never holds the whole answer
    /// (s37 attacker #8); when the client goes away, the lines not yet run are not run.
    /// </summary>
    HttpServerResponse Batch(string who, string role, byte[] body)
    {
        var lines = new List<(int Start, int Length)>();
        for (int i = 0, start = 0; i <= body.Length; i++)
        {
            if (i < body.Length && body[i] != (byte)'\n') continue;
            var len = i - start;
            if (len > 0 && body[start + len - 1] == (byte)'\r') len--;
            if (body.AsSpan(start, len).Trim(" \t"u8).Length > 0) lines.Add((start, len));
            start = i + 1;
        }
        if (lines.Count > MaxBatchLines)
            return Json(400, Refused(who, ReshError.Usage($"The batch has {lines.Count} requests; at most {MaxBatchLines} are taken at once.", "Split it into several POSTs."), Stopwatch.StartNew()));
        return new HttpServerResponse(200, [], "application/x-ndjson")
        {
            Streamed = async (writer, ct) =>
            {
                var taken = 0;
                foreach (var (start, length) in lines)
                {
                    var clock = Stopwatch.StartNew();
                    JsonNode? id = null;
                    Envelope env;
                    try
                    {
                        string line;
                        try { line = StrictUtf8.GetString(body, start, length); }
                        catch (DecoderFallbackException e)
                        {
                            throw ReshError.Usage($"The line is not valid UTF-8 (at byte {e.Index + 1}); nothing of it was run.", "Send UTF-8 text.").ToException();
                        }
                        var request = Whole(JsonNode.Parse(line) as JsonObject)
                            ?? throw ReshError.Usage("A batch line must be a JSON object.", "Example: {\"id\":1,\"stage\":\"system://\",\"verb\":\"uptime\"}").ToException();
                        id = EchoId(request["id"]);
                        // The rate counts calls (s38 attacker #11): the request took the first line's token, each other line takes one.
                        env = taken++ > 0 && _limiter?.Take(who) is { } limited
                            ? LimitedLine(who, limited, clock)
                            : await CallAsync(who, role, request, null, clock, ct).ConfigureAwait(false);
                    }
                    catch (JsonException ex)
                    {
                        env = Refused(who, ReshError.Usage($"The line is not valid JSON (at byte {(ex.BytePositionInLine ?? 0) + 1}).", "One JSON object per line."), clock);
                    }
                    catch (ReshException ex) { env = Refused(who, ex.Error, clock); }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        _runtime.Log($"serve: batch line: {ex.GetType().Name}: {ex.Message}");
                        env = Envelope.Failure(ReshError.Failed("Internal error while handling the line; nothing more is known.", "Run `resh serve --verbose` to see the cause in its log, and report it."), "resh", "serve", "");
                    }
                    // Each line is bounded by the server's write timeout: a client that stops reading ends the batch.
                    try { await writer.WriteAsync(Line(env, id, true)).ConfigureAwait(false); }
                    catch (Exception e) when (e is IOException or OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
                    {
                        _runtime.Log("serve: a batch client stopped reading; the rest of its batch is not run.");
                        throw new IOException("The client stopped reading.", e);
                    }
                }
            },
        };
    }

    /// <summary>A batch line over its identity's rate: not run; the first of each wait is audited.</summary>
    Envelope LimitedLine(string who, (int RetryAfter, bool Audit) limited, Stopwatch clock)
    {
        var env = Envelope.Failure(ReshError.Unavailable($"`{Clip(who)}` has used its rate ({_limiter!.Describe}), which counts each line of a batch; this line was not run.",
            $"Retry the lines not run after {limited.RetryAfter} s, and send fewer calls.", new JsonObject { ["retry_after_s"] = limited.RetryAfter }),
            "resh", "serve", "", false, clock.Elapsed.TotalMilliseconds);
        if (limited.Audit) Trail(who).Append(new AuditRecord(0, "", who, "rest", "", "", "/v1/batch", "", [], false,
            ErrorCode.Unavailable.ToWire(), false, false, Math.Round(clock.Elapsed.TotalMilliseconds, 3), ""));
        return env;
    }

    /// <summary>An envelope as one line, with `"id":...` first when the request gave one (always in a batch).</summary>
    static byte[] Line(Envelope env, JsonNode? id, bool alwaysId)
    {
        var bytes = McpToolCall.EnvelopeBytes(env);
        if (id is null && !alwaysId)
        {
            var plain = new byte[bytes.Length + 1];
            bytes.CopyTo(plain, 0);
            plain[^1] = (byte)'\n';
            return plain;
        }
        var output = new MemoryStream(bytes.Length + 32);
        output.WriteByte((byte)'{');
        output.Write("\"id\":"u8);
        output.Write(Encoding.UTF8.GetBytes(id?.ToJsonString() ?? "null"));
        if (bytes.Length > 2) output.WriteByte((byte)',');
        output.Write(bytes, 1, bytes.Length - 1);
        output.WriteByte((byte)'\n');
        return output.ToArray();
    }

    static HttpServerResponse Json((Envelope Env, JsonNode? Id) answer) => new(StatusOf(answer.Env), Line(answer.Env, answer.Id, false));

    static HttpServerResponse Json(Envelope env) => Json(StatusOf(env), env);

    static HttpServerResponse Json(int status, Envelope env) => new(status, Line(env, null, false));

    static string Escape(string body)
    {
        if (body.AsSpan().IndexOfAny('%', '(', ')') < 0) return body;
        var sb = new StringBuilder(body.Length + 8);
        foreach (var c in body) sb.Append(c switch { '%' => "%25", '(' => "%28", ')' => "%29", _ => c.ToString() });
        return sb.ToString();
    }

    static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;

    /// <summary>Counts the events of a streaming verb whose client takes one envelope (no NDJSON).</summary>
    sealed class CountingEvents : IEventSink
    {
        long _count;
        public long Count => Interlocked.Read(ref _count);
        public void Emit(string eventName, JsonObject fields) => Interlocked.Increment(ref _count);
        public void EmitEnvelope(Envelope envelope) => Interlocked.Increment(ref _count);
    }

    sealed class NullEvents : IEventSink
    {
        public static readonly NullEvents Instance = new();
        public void Emit(string eventName, JsonObject fields) { }
    }
}
