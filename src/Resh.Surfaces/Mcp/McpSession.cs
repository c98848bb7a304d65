using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// One MCP session, independent of its transport: <see cref="Receive"/> takes each incoming JSON-RPC message
/// and everything outgoing (responses, notifications, the server's own requests such as elicitation) goes to
/// the <see cref="IMcpSink"/>. Requests run concurrently, so a long tools/call never blocks ping or a cancellation.
/// </summary>
public sealed class McpSession(McpServerInfo server, IMcpSink sink)
{
    public McpServerInfo Server { get; } = server;
    public IMcpSink Sink { get; } = sink;

    /// <summary>The version agreed at initialize (the latest until then).</summary>
    public string ProtocolVersion { get; private set; } = McpProtocol.Latest;
    /// <summary>The client declared the elicitation capability (form mode), so destructive calls can be confirmed.</summary>
    public bool ClientElicits { get; private set; }
    public JsonObject? ClientInfo { get; private set; }

    readonly ConcurrentDictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, TaskCompletionSource<JsonRpcMessage>> _pending = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<Task, byte> _running = new();
    readonly CancellationTokenSource _closing = new();
    readonly CancellationTokenSource _inputEnded = new();

    /// <summary>A request being handled; <see cref="ClientCancelled"/> once notifications/cancelled named it (then it gets no answer).</summary>
    sealed class InFlight(CancellationTokenSource cts)
    {
        public CancellationTokenSource Cts { get; } = cts;
        public volatile bool ClientCancelled;
    }

    /// <summary>Cancelled when the input ends: streaming calls (a follow) have no end of their own, so they stop then.</summary>
    public CancellationToken InputEnded => _inputEnded.Token;
    long _nextId;

    /// <summary>The exchange of the request being handled (Streamable HTTP); it flows into the call and what it sends.</summary>
    static readonly AsyncLocal<IMcpExchange?> Route = new();

    /// <summary>Takes one incoming message (a line of the stdio transport, a POST body of HTTP).</summary>
    public void Receive(ReadOnlySpan<byte> message) => Receive(message, null);

    /// <summary>
    /// Takes one incoming message; with <paramref name="exchange"/>, everything its handling sends (progress, elicitation)
    /// and its answer go there instead of to <see cref="Sink"/> (Streamable HTTP: one POST, one exchange).
    /// </summary>
    public void Receive(ReadOnlySpan<byte> message, IMcpExchange? exchange)
    {
        var outer = Route.Value;
        Route.Value = exchange;
        try { ReceiveRouted(message, exchange); }
        finally { Route.Value = outer; }
    }

    void ReceiveRouted(ReadOnlySpan<byte> message, IMcpExchange? exchange)
    {
        JsonRpcMessage msg;
        try { msg = JsonRpcMessage.Parse(message); }
        catch (JsonRpcException ex)
        {
            Respond(JsonRpcWriter.Error(ex.Id, ex.Code, ex.Message));
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever else a hostile line provokes is still an answer, never the end of the session.
            Respond(JsonRpcWriter.Error(null, JsonRpcCodes.ParseError, "Parse error: " + Resh.Core.Errors.ExceptionTranslation.OneLine(ex.Message)));
            return;
        }
        switch (msg.Kind)
        {
            case JsonRpcKind.Response:
                if (_pending.TryRemove(msg.IdKey, out var waiter)) waiter.TrySetResult(msg);
                return;
            case JsonRpcKind.Notification:
                OnNotification(msg);
                return;
        }
        if (msg.Method is "initialize" or "ping")
        {
            // Cheap and order-sensitive: answered at once, before the next message is read.
            Respond(Handle(msg, CancellationToken.None));
            return;
        }
        var key = msg.IdKey;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        var entry = new InFlight(cts);
        if (!_inFlight.TryAdd(key, entry))
        {
            cts.Dispose();
            Respond(JsonRpcWriter.Error(msg.Id, JsonRpcCodes.InvalidRequest, "A request with this id is still in progress."));
            return;
        }
        var task = Task.Run(async () =>
        {
            byte[]? answer = null;
            try
            {
                answer = await HandleAsync(msg, cts.Token).ConfigureAwait(false);
                // The id is free again before the client can see the answer: a client may reuse it at once.
                _inFlight.TryRemove(new KeyValuePair<string, InFlight>(key, entry));
                // A cancelled request gets no answer (MCP: the receiver SHOULD NOT respond after notifications/cancelled).
                if (entry.ClientCancelled) answer = null;
                else if (exchange is null) await SendAsync(answer).ConfigureAwait(false);
            }
            finally
            {
                _inFlight.TryRemove(new KeyValuePair<string, InFlight>(key, entry));
                cts.Dispose();
                exchange?.Answer(answer); // an exchange always ends, answered or not
            }
        });
        _running.TryAdd(task, 0);
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>
    /// The input ended (EOF, or the HTTP session was deleted). Requests already read still get their answers: calls
    /// run to their end for up to <paramref name="drain"/>, except streaming ones (a follow), which stop at once, and
    /// questions to the client (elicitation) are given up. Whatever still runs after that is cancelled and given
    /// <paramref name="grace"/> to stop.
    /// </summary>
    public async Task CloseAsync(TimeSpan drain, TimeSpan grace)
    {
        _inputEnded.Cancel();
        foreach (var p in _pending.Values) p.TrySetCanceled();
        if (drain > TimeSpan.Zero)
            await Task.WhenAny(Task.WhenAll(_running.Keys.ToArray()), Task.Delay(drain)).ConfigureAwait(false);
        _closing.Cancel();
        await Task.WhenAny(Task.WhenAll(_running.Keys.ToArray()), Task.Delay(grace)).ConfigureAwait(false);
    }

    /// <summary>
    /// Cancels the request with this id key as notifications/cancelled does (it gets no answer): Streamable HTTP when the
    /// client's connection closed while the request ran.
    /// </summary>
    public void CancelRequest(string key)
    {
        if (!_inFlight.TryGetValue(key, out var call)) return;
        Server.Runtime.Log($"mcp: request {key} cancelled: its client has gone");
        call.ClientCancelled = true;
        try { call.Cts.Cancel(); } catch (ObjectDisposedException) { }
    }

    void OnNotification(JsonRpcMessage msg)
    {
        switch (msg.Method)
        {
            case "notifications/cancelled":
                if (msg.Params["requestId"] is JsonValue id && _inFlight.TryGetValue(JsonRpcMessage.KeyOf(id), out var call))
                {
                    Server.Runtime.Log($"mcp: request {JsonRpcMessage.KeyOf(id)} cancelled by the client");
                    call.ClientCancelled = true;
                    try { call.Cts.Cancel(); } catch (ObjectDisposedException) { }
                }
                break;
            // notifications/initialized, notifications/roots/list_changed, progress from the client: nothing to do.
        }
    }

    byte[] Handle(JsonRpcMessage msg, CancellationToken ct) => HandleAsync(msg, ct).GetAwaiter().GetResult();

    async Task<byte[]> HandleAsync(JsonRpcMessage msg, CancellationToken ct)
    {
        try
        {
            return msg.Method switch
            {
                "initialize" => JsonRpcWriter.Result(msg.Id, Initialize(msg.Params)),
                "ping" => JsonRpcWriter.Result(msg.Id, new JsonObject()),
                "tools/list" => JsonRpcWriter.Result(msg.Id, w => w.WriteRawValue(Server.Tools.Page(CursorOf(msg.Params)), skipInputValidation: true)),
                "tools/call" => await McpToolCall.RunAsync(this, msg, ct).ConfigureAwait(false),
                "resources/list" => JsonRpcWriter.Result(msg.Id, McpDocs.List(Server.Registry)),
                "resources/templates/list" => JsonRpcWriter.Result(msg.Id, McpDocs.Templates()),
                "resources/read" => JsonRpcWriter.Result(msg.Id, McpDocs.Read(Server.Registry, msg.Params)),
                "prompts/list" => JsonRpcWriter.Result(msg.Id, McpPrompts.List(Server.Registry)),
                "prompts/get" => JsonRpcWriter.Result(msg.Id, McpPrompts.Get(Server.Registry, msg.Params)),
                "logging/setLevel" => JsonRpcWriter.Result(msg.Id, new JsonObject()),
                _ => JsonRpcWriter.Error(msg.Id, JsonRpcCodes.MethodNotFound, $"Method not found: {Clip(msg.Method)}."),
            };
        }
        catch (JsonRpcException ex)
        {
            return JsonRpcWriter.Error(msg.Id, ex.Code, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Server.Runtime.Log($"mcp: {msg.Method} raised {ex}");
            return JsonRpcWriter.Error(msg.Id, JsonRpcCodes.InternalError, "Internal error: " + Resh.Core.Errors.ExceptionTranslation.OneLine(ex.Message));
        }
    }

    JsonObject Initialize(JsonObject p)
    {
        var requested = p["protocolVersion"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        ProtocolVersion = McpProtocol.Negotiate(requested);
        var caps = p["capabilities"] as JsonObject;
        // 2025-06-18 declares `elicitation: {}`; 2025-11-25 may name modes (`{form: {}}`, `{url: {}}`): form is what we ask.
        ClientElicits = caps?["elicitation"] is JsonObject e && (e.Count == 0 || e.ContainsKey("form"));
        ClientInfo = p["clientInfo"]?.DeepClone() as JsonObject;
        Server.Runtime.Log($"mcp: initialize from {ClientInfo?["name"]} {ClientInfo?["version"]}, protocol {requested} -> {ProtocolVersion}, elicitation {(ClientElicits ? "yes" : "no")}");
        return new JsonObject
        {
            ["protocolVersion"] = ProtocolVersion,
            ["capabilities"] = new JsonObject
            {
                ["tools"] = new JsonObject { ["listChanged"] = true },
                ["resources"] = new JsonObject { ["listChanged"] = false, ["subscribe"] = false },
                ["prompts"] = new JsonObject { ["listChanged"] = false },
                ["logging"] = new JsonObject(),
            },
            ["serverInfo"] = new JsonObject
            {
                ["name"] = "resh",
                ["title"] = "resh (Resource Shell)",
                ["version"] = Server.Version,
            },
            ["instructions"] = McpServerInfo.Instructions,
        };
    }

    static string? CursorOf(JsonObject p) => p["cursor"] switch
    {
        null => null,
        JsonValue c when c.GetValueKind() == JsonValueKind.String => c.GetValue<string>(),
        _ => throw new JsonRpcException(JsonRpcCodes.InvalidParams, "The cursor must be a string."),
    };

    /// <summary>Sends a request to the client (elicitation/create) and waits for its answer, or for the call to be cancelled.</summary>
    public async Task<JsonRpcMessage> RequestAsync(string method, JsonObject parameters, CancellationToken ct)
    {
        var id = JsonValue.Create($"resh-{Interlocked.Increment(ref _nextId)}");
        var key = JsonRpcMessage.KeyOf(id);
        var waiter = new TaskCompletionSource<JsonRpcMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[key] = waiter;
        using var reg = ct.Register(() => waiter.TrySetCanceled(ct));
        try
        {
            await SendAsync(JsonRpcWriter.Request(id, method, parameters)).ConfigureAwait(false);
            return await waiter.Task.ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    /// <summary>Sends a message: to the exchange of the request being handled (Streamable HTTP), else to the session's sink.</summary>
    public ValueTask SendAsync(byte[] message) => (Route.Value ?? Sink).SendAsync(message);

    /// <summary>Answers the message being received: its exchange ends with it, or the sink takes it.</summary>
    void Respond(byte[] answer)
    {
        if (Route.Value is { } exchange) exchange.Answer(answer);
        else Sink.SendAsync(answer).AsTask().GetAwaiter().GetResult();
    }

    static string Clip(string s) => s.Length > 80 ? s[..80] + "…" : s;
}
