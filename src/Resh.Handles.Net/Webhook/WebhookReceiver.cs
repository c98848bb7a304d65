using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Core.Secrets;
using Resh.Core.Transport.Http;

namespace Resh.Handles.Net.Webhook;

/// <summary>
/// Answers the requests of one listener: finds the route by exact path (404), takes POST only (405), bounds the body
/// by the route's max_body (413, before reading it), checks the signature (401), the timestamp window and the delivery
/// id (409), then runs the action, one at a time in arrival order. Every answer is an envelope, the server's own
/// refusals (400, 408, 413, 414, 431, 503...) included. The sender gets a receipt only (status, ok, changed, route,
/// delivery id, an error code): the action's own envelope can carry data the sender must not see (a diff of the file it
/// changed, local paths), so it goes to the listener's output only, in the request's `delivery` event (s32 attacker #9).
/// Every request is reported as a `delivery` event (never with a header that carries the secret).
/// </summary>
internal sealed class WebhookReceiver(VerbContext ctx, IReadOnlyList<WebhookRoute> routes, long? stopAfter, Action stop) : IHttpRequestHandler
{
    readonly SemaphoreSlim _actions = new(1, 1);
    readonly System.Threading.Lock _lock = new();
    long _requests, _accepted, _refused, _actionFailed;

    public long Requests => Interlocked.Read(ref _requests);
    public long Accepted => Interlocked.Read(ref _accepted);
    public long Refused => Interlocked.Read(ref _refused);
    public long ActionFailed => Interlocked.Read(ref _actionFailed);

    WebhookRoute? RouteOf(string path) => routes.FirstOrDefault(r => r.Path == path);

    public long MaxBody(HttpRequestHead head) => RouteOf(head.Path)?.MaxBody ?? 64 * 1024;

    public HttpServerResponse Rejected(HttpRequestHead? head, IPEndPoint? remote, int status, string reason)
    {
        Interlocked.Increment(ref _refused);
        Interlocked.Increment(ref _requests);
        var path = head?.Path;
        Report(path, remote, status, null, reason, path is null ? null : RouteOf(path)?.Name, 0, null);
        Counted();
        return Refuse(path ?? "", status, RefusalError(status, reason));
    }

    /// <summary>The error of a request the HTTP server refused itself, by its status (SPEC's codes).</summary>
    static ReshError RefusalError(int status, string reason) => status switch
    {
        408 => ReshError.Timeout(reason, "Send the whole request at once; a slow client is cut off (header_timeout=, body_timeout=)."),
        413 => ReshError.Usage(reason, "Send a smaller body (the route's max_body=), with Content-Length or in fewer chunks."),
        414 or 431 => ReshError.Usage(reason, "Send a shorter request line and fewer, smaller headers."),
        501 or 505 => ReshError.Unsupported(reason, "Send HTTP/1.1 with Content-Length or Transfer-Encoding: chunked."),
        503 => ReshError.Unavailable(reason, "Retry in a moment; each client address has a few connections at once (max_per_client=)."),
        _ => ReshError.Usage(reason, "Send a well-formed HTTP/1.1 POST."),
    };

    public async Task<HttpServerResponse> HandleAsync(HttpServerRequest request, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var head = request.Head;
        var route = RouteOf(head.Path);
        HttpServerResponse response;
        string? deliveryId = null;
        bool accepted = false;
        List<string>? recorded = null;
        JsonNode? actionEnvelope = null;
        string? reason = null;
        try
        {
            if (route is null)
                response = Refuse(head.Path, 404, ReshError.NotFound($"No webhook route at {Clip(head.Path)}.", "Check the URL the sender posts to."));
            else if (head.Method != "POST")
            {
                response = Refuse(route.Path, 405, ReshError.Usage($"{Clip(head.Method)} is not accepted; webhooks are POSTed.", null));
                response.Headers.Add(new("Allow", "POST"));
            }
            else
            {
                var verdict = WebhookSignature.Verify(route.Style, route.Secret, head, request.Body, route.Window, DateTimeOffset.UtcNow);
                deliveryId = verdict.DeliveryId is { } d ? Clip(d) : null;
                if (!verdict.Valid)
                    response = Refuse(route.Path, 401, ReshError.PermissionDenied($"The request was refused: {verdict.Reason}",
                        $"The sender must sign with the route's secret ({route.Style} style)."));
                else if (verdict.Stale)
                    response = Refuse(route.Path, 409, ReshError.Conflict($"The delivery was refused as a replay: {verdict.Reason}",
                        "Send a fresh delivery (a new timestamp); check that the sender's clock is right."));
                else
                {
                    var keys = new List<string>();
                    if (verdict.DeliveryId is { } id) keys.Add("id:" + id);
                    if (verdict.SignatureKey is { } sig) keys.Add("sig:" + sig.Trim().ToLowerInvariant());
                    if (keys.Count == 0)
                        response = Refuse(route.Path, 400, ReshError.Usage($"The request has no {WebhookSignature.DeliveryHeader(route.Style)} header.",
                            "Each delivery needs an id, so a replay can be told apart."));
                    else if (route.Replays.TryRecord(keys) is { } seen)
                        response = Refuse(route.Path, 409, seen.StartsWith("id:", StringComparison.Ordinal) || verdict.DeliveryId is null
                            ? ReshError.Conflict($"Delivery {deliveryId ?? "(signature)"} was already accepted: a replay.",
                                "A webhook runs its action once per delivery id; send a new delivery.")
                            : ReshError.Conflict($"The same signed request (signature and body) was already accepted under another delivery id; {deliveryId} is refused as a replay.",
                                "The signature, not the unsigned id, tells deliveries apart; send a new delivery (a new timestamp in generic style, another body in github style)."));
                    else
                    {
                        recorded = keys;
                        accepted = true;
                        Interlocked.Increment(ref _accepted);
                        (response, actionEnvelope) = await RunAsync(route, head, request.Body, deliveryId, keys, ct).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever failed after the delivery was recorded, it did not do its work: forget it, so a retry is not a "replay".
            if (recorded is not null) route?.Replays.Forget(recorded);
            // The details (a path in the state dir, an errno) are for the listener's output, not for the sender.
            var error = ExceptionTranslation.ToError(e);
            reason = error.Message;
            response = Refuse(route?.Path ?? head.Path, 500, ReshError.Failed("The listener could not handle the delivery; it was not recorded, so it may be sent again.",
                "Retry later; the listener's output names the cause."));
        }
        Interlocked.Increment(ref _requests);
        if (!accepted) Interlocked.Increment(ref _refused);
        Report(head.Path, head.Remote, response.Status, deliveryId, reason, route?.Name, Stopwatch.GetElapsedTime(start).TotalMilliseconds, actionEnvelope);
        Counted();
        return response;
    }

    async Task<(HttpServerResponse, JsonNode?)> RunAsync(WebhookRoute route, HttpRequestHead head, byte[] body, string? deliveryId, List<string> keys, CancellationToken ct)
    {
        var doc = Document(route, head, body, deliveryId);
        if (route.Action is null)
        {
            var receipt = new JsonObject { ["route"] = route.Name, ["delivery_id"] = deliveryId, ["event"] = doc["event"]?.DeepClone(), ["body_bytes"] = body.Length };
            ctx.Events.Emit("payload", new JsonObject { ["route"] = route.Name, ["delivery_id"] = deliveryId, ["event"] = doc["event"]?.DeepClone(), ["payload"] = doc["payload"]?.DeepClone() });
            return (Answer(200, new Envelope { Ok = true, Handle = "webhook", Verb = "listen", Target = route.Path, ResultNode = receipt, Changed = false }), null);
        }
        Envelope env;
        bool ran = false;
        await _actions.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            env = await route.Action.RunAsync(ctx, doc, ct).ConfigureAwait(false);
            ran = true;
        }
        catch (ReshException e) // a placeholder naming a field the payload lacks: the sender's mistake, 400
        {
            env = new Envelope { Ok = false, Handle = "webhook", Verb = "listen", Target = route.Path, Error = e.Error };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else (a payload .NET's JSON refuses late, e.g. a duplicate key: s32 attacker #12) fails this
            // delivery, which is then forgotten below so the sender may retry.
            env = new Envelope { Ok = false, Handle = "webhook", Verb = "listen", Target = route.Path,
                Error = ReshError.Usage($"The delivery could not be handed to the action: {ExceptionTranslation.OneLine(e.Message)}", "Check the payload (valid JSON, no duplicate keys).") };
        }
        finally { _actions.Release(); }
        if (!env.Ok)
        {
            Interlocked.Increment(ref _actionFailed);
            route.Replays.Forget(keys); // the action did not do its work: the sender may deliver again
        }
        var status = WebhookStatus.Of(env);
        return (Answer(status, Receipt(route, deliveryId, status, env, ran)), EnvelopeNode(env));
    }

    /// <summary>
    /// What the sender is told: ok, changed, the route, the delivery id and the status; on failure the error's code with a
    /// message of resh's own. A message about the delivery itself (a placeholder the payload cannot fill) is the sender's
    /// business and kept; what the action met (paths, old content, a backend's answer) is not: it is in the listener's output.
    /// </summary>
    static Envelope Receipt(WebhookRoute route, string? deliveryId, int status, Envelope env, bool ran)
    {
        var result = new JsonObject { ["route"] = route.Name, ["delivery_id"] = deliveryId, ["status"] = status, ["changed"] = env.Changed };
        ReshError? error = null;
        if (env.Error is { } e)
        {
            error = !ran ? e with { Details = null } : new ReshError(e.Code, $"The action of route {route.Name} failed ({e.Code.ToWire()}); the listener's output has the details.",
                status == 400 ? "The delivery's values were refused; send a corrected delivery." : "The delivery was forgotten, so it may be sent again later.");
        }
        if (error is not null) error = error with { Details = result };
        return new Envelope { Ok = env.Ok, Handle = "webhook", Verb = "listen", Target = route.Path, Changed = env.Changed, ResultNode = env.Ok ? result : null, Error = error };
    }

    static JsonNode? EnvelopeNode(Envelope env)
    {
        var buffer = new ArrayBufferWriter<byte>();
        EnvelopeJson.Write(buffer, env, indented: false);
        return JsonNode.Parse(SecretRedactor.Scrub(Encoding.UTF8.GetString(buffer.WrittenSpan)));
    }

    /// <summary>What an action's templates see: the payload (JSON, else text), headers without credentials, and the delivery.</summary>
    static JsonObject Document(WebhookRoute route, HttpRequestHead head, byte[] body, string? deliveryId)
    {
        JsonNode? payload;
        try { payload = body.Length == 0 ? null : JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException) { payload = Encoding.UTF8.GetString(body); }
        var headers = new JsonObject();
        foreach (var (k, v) in head.Headers)
        {
            if (WebhookSignature.IsCredentialHeader(k)) continue;
            var name = k.ToLowerInvariant();
            headers[name] = headers[name] is JsonValue prior ? prior.GetValue<string>() + ", " + v : v;
        }
        return new JsonObject
        {
            ["payload"] = payload,
            ["headers"] = headers,
            ["route"] = route.Name,
            ["path"] = head.Path,
            ["query"] = head.Query,
            ["delivery_id"] = deliveryId,
            ["event"] = head.Header(WebhookSignature.EventHeader(route.Style)),
        };
    }

    HttpServerResponse Refuse(string path, int status, ReshError error) =>
        Answer(status, new Envelope { Ok = false, Handle = "webhook", Verb = "listen", Target = Clip(path), Error = error });

    static HttpServerResponse Answer(int status, Envelope env)
    {
        var buffer = new ArrayBufferWriter<byte>();
        EnvelopeJson.Write(buffer, env, indented: false);
        var json = SecretRedactor.Scrub(Encoding.UTF8.GetString(buffer.WrittenSpan)) + "\n";
        return new HttpServerResponse(status, Encoding.UTF8.GetBytes(json));
    }

    void Report(string? path, IPEndPoint? remote, int status, string? deliveryId, string? reason, string? route, double ms, JsonNode? action)
    {
        var ev = new JsonObject
        {
            ["route"] = route,
            ["path"] = path is null ? null : Clip(path),
            ["remote"] = remote?.ToString(),
            ["status"] = status,
            ["delivery_id"] = deliveryId,
            ["duration_ms"] = Math.Round(ms, 2),
        };
        if (reason is not null) ev["reason"] = reason;
        if (action is not null) ev["action"] = action; // the action's whole envelope: here only, never to the sender
        lock (_lock) ctx.Events.Emit("delivery", ev);
    }

    void Counted()
    {
        if (stopAfter is { } max && Interlocked.Read(ref _requests) >= max) stop();
    }

    static string Clip(string s)
    {
        var t = new string(s.Where(c => !char.IsControl(c)).Take(200).ToArray());
        return t;
    }
}
