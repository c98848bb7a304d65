using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Net.Http;

namespace Resh.Handles.Net.Webhook;

public static class WebhookSend
{
    static readonly Arg<JsonNode?> Json = Arg.Json("json", "The payload as JSON (sent as application/json).", examples: ["{\"ref\":\"main\"}"]);
    static readonly Arg<string?> Body = Arg.String("body", "The payload as text, sent as given.", literalAt: true);
    static readonly Arg<string?> File = Arg.String("file", "Send this file's bytes as the payload (up to 10 MiB; it is signed whole).", path: PathUse.Read).WithPathConfinement();
    static readonly Arg<string?> ContentType = Arg.String("content_type", "Content-Type (default: application/json for json=, text/plain for body=, application/octet-stream for file=).");
    static readonly Arg<IReadOnlyList<string>> Header = Arg.List("header", "Extra header `Name: value` (repeat for more).", examples: ["X-Env: prod"]);
    static readonly Arg<JsonNode?> Headers = Arg.Json("headers", "Extra headers as a JSON object.", examples: ["{\"X-Env\":\"prod\"}"]);
    static readonly Arg<string?> Event = Arg.String("event", "The event name header (X-GitHub-Event, X-Gitlab-Event or X-Webhook-Event).", examples: ["push", "deploy"]);
    static readonly Arg<string?> Id = Arg.String("id", "The delivery id (default: a new random UUID); the same on every retry, so the receiver runs it once.");
    static readonly Arg<long?> Retries = Arg.Int("retries", "Retries after a connection error, a timeout, 429 or 5xx.", 3, min: 0, max: 20);
    static readonly Arg<TimeSpan?> Backoff = Arg.Duration("retry_backoff", "Wait before the first retry; doubles each time, with random jitter (Retry-After wins, up to 2 min).", TimeSpan.FromSeconds(1));
    static readonly Arg<TimeSpan?> Timeout = Arg.Duration("timeout", "Give up one attempt after this long (then it is retried).", TimeSpan.FromSeconds(30));
    static readonly Arg<string?> Ca = Arg.String("ca", "PEM file of the certificate authority to trust instead of the system store.", path: PathUse.Read);
    static readonly Arg<string?> Tls = Arg.Enum("tls", "verify (default) checks the receiver's certificate; insecure skips the check (adds a warning).", ["verify", "insecure"], "verify");

    const long MaxPayload = 10L * 1024 * 1024;
    const int MaxAnswer = 64 * 1024;

    public static readonly VerbInfo Verb = VerbInfo.Define("send", Effect.Mutate,
        "Deliver a signed webhook (github, gitlab or generic style), retrying with backoff and jitter; one record per attempt.",
        [WebhookArgs.Secret, WebhookArgs.Style, Json, Body, File, ContentType, Header, Headers, Event, Id, Retries, Backoff, Timeout, Ca, Tls],
        () => WebhookJson.Default.WebhookSendResult, RunAsync,
        examples:
        [
            new("'webhook://https://hooks.example/deploy.send(json:={\"ref\":\"main\"})' secret=env:HOOK_SECRET", "A signed generic delivery; retried on 5xx, 429 and connection errors."),
            new("webhook://http://127.0.0.1:9000/deploy.send style=github event=push \'json:={\"after\":\"abc\"}\' secret=secret:hook", "What GitHub would send, to a local listener."),
            new("webhook://https://hooks.example/x.send body=hello secret=env:HOOK_SECRET --dry-run", "Show the signature and headers without sending (never the secret)."),
        ],
        notes: "The body is signed once; every retry sends the same bytes, the same delivery id and (generic) the same timestamp, so a receiver that saw it runs it once (a resh listener answers 409). " +
            "Retried: connection errors, timeouts, 429 and 5xx; a Retry-After (seconds or a date) is honoured up to 2 minutes. Any other status ends the delivery. " +
            "A failed delivery is `failed` (or `unavailable` when nothing answered) with every attempt in details.attempts. Redirects are not followed.",
        targetHelp: "The receiver's URL: http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH.");

    static async ValueTask<Outcome<WebhookSendResult>> RunAsync(VerbContext ctx)
    {
        var url = ParseUrl(ctx.RawTarget);
        var style = ctx.Get(WebhookArgs.Style)!;
        var secret = ctx.GetSecret(WebhookArgs.Secret)
            ?? throw ReshError.Usage("send needs secret= to sign the delivery.", "Give secret=env:HOOK_SECRET (or secret:NAME, file:PATH).").ToException();
        Resh.Core.Secrets.SecretRedactor.Register(secret);
        var (body, contentType) = Payload(ctx);
        var extra = ExtraHeaders(ctx);
        var deliveryId = ctx.Get(Id) ?? Guid.NewGuid().ToString("D");
        CheckHeaderValue("id", deliveryId);
        var signed = WebhookSignature.Sign(style, secret, body, deliveryId, DateTimeOffset.UtcNow);
        if (ctx.Get(Event) is { } ev) { CheckHeaderValue("event", ev); signed.Add((WebhookSignature.EventHeader(style), ev, ev)); }
        var shown = signed.ToDictionary(h => h.Name, h => h.Shown, StringComparer.OrdinalIgnoreCase);
        if (style == "gitlab" && url.Scheme == "http" && !System.Net.IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) is var notIp && (notIp || !System.Net.IPAddress.IsLoopback(ip!)))
            ctx.Warn("style=gitlab sends the secret itself (X-Gitlab-Token) over plain http://; use https://.");
        if (ctx.DryRun)
        {
            ctx.Warn($"Dry run: POST {url} was not sent.");
            return Outcome.Changed(new WebhookSendResult(url.ToString(), style, deliveryId, shown, body.Length, 0, null, [], false));
        }
        var insecure = ctx.Get(Tls) == "insecure";
        if (insecure && url.Scheme == "https") ctx.Warn(TlsTrust.InsecureWarning);
        var connector = HttpConnector.Get(ctx.Get(Ca), insecure, null, "", null, TimeSpan.FromSeconds(10));
        var retries = (int)ctx.Get(Retries)!.Value;
        var backoff = ctx.Get(Backoff)!.Value;
        var perAttempt = ctx.Get(Timeout)!.Value;
        var attempts = new List<WebhookAttempt>();
        int status = 0;
        JsonNode? answer = null;
        ReshError? tlsFailure = null;
        for (int n = 1; ; n++)
        {
            var t0 = Stopwatch.GetTimestamp();
            string? error = null;
            TimeSpan? retryAfter = null;
            bool retry;
            using (var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation))
            {
                attemptCts.CancelAfter(perAttempt);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Version = System.Net.HttpVersion.Version11 };
                    request.Content = new ByteArrayContent(body);
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                    foreach (var (k, v) in extra)
                        if (!shown.ContainsKey(k)) request.Headers.TryAddWithoutValidation(k, v);
                    foreach (var (k, v, _) in signed) request.Headers.TryAddWithoutValidation(k, v);
                    request.Headers.TryAddWithoutValidation("User-Agent", "resh-webhook");
                    using var response = await connector.Invoker.SendAsync(request, attemptCts.Token).ConfigureAwait(false);
                    status = (int)response.StatusCode;
                    answer = await ReadAnswerAsync(response, attemptCts.Token).ConfigureAwait(false);
                    retry = status is 429 or >= 500;
                    if (status is < 200 or >= 300) error = $"HTTP {status} {response.ReasonPhrase}".TrimEnd();
                    if (retry) retryAfter = RetryAfter(response.Headers.RetryAfter);
                }
                catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested)
                {
                    status = 0;
                    answer = null;
                    error = $"no answer within {Resh.Core.Values.DurationValue.Format(perAttempt)}";
                    retry = true;
                }
                catch (HttpRequestException e)
                {
                    status = 0;
                    answer = null;
                    var translated = HttpExchange.Translate(e, url, connector, false, perAttempt);
                    error = translated.Message;
                    retry = e.HttpRequestError is not HttpRequestError.SecureConnectionError;
                    // A refused certificate is not the receiver being away: `failed`, as http:// says it, and not retried.
                    tlsFailure = retry ? null : translated;
                }
            }
            var ms = Math.Round(Stopwatch.GetElapsedTime(t0).TotalMilliseconds, 2);
            if (!retry || n > retries)
            {
                attempts.Add(new WebhookAttempt(n, status, ms, error, 0));
                break;
            }
            var wait = retryAfter ?? Jittered(backoff, n);
            if (wait > TimeSpan.FromMinutes(2)) wait = TimeSpan.FromMinutes(2);
            attempts.Add(new WebhookAttempt(n, status, ms, error, Math.Round(wait.TotalMilliseconds, 0)));
            await Task.Delay(wait, ctx.Cancellation).ConfigureAwait(false);
        }
        var result = new WebhookSendResult(url.ToString(), style, deliveryId, shown, body.Length, status, answer, attempts, status is >= 200 and < 300);
        if (result.Delivered) return Outcome.Changed(result);
        var details = new JsonObject
        {
            ["url"] = url.ToString(),
            ["delivery_id"] = deliveryId,
            ["status"] = status,
            ["attempts"] = JsonSerializer.SerializeToNode(attempts, WebhookJson.Default.IReadOnlyListWebhookAttempt),
            ["response"] = answer?.DeepClone(),
        };
        var last = attempts[^1];
        var tries = attempts.Count == 1 ? "1 attempt" : $"{attempts.Count} attempts";
        if (status == 0 && tlsFailure is not null)
            return ReshError.Failed(tlsFailure.Message, tlsFailure.Hint, details);
        return status == 0
            ? ReshError.Unavailable($"{url.GetLeftPart(UriPartial.Authority)} did not take the delivery after {tries}: {last.Error}.", "Is the receiver running? retries= and retry_backoff= set how long to keep trying.", details)
            : ReshError.Failed($"{url} answered {status} after {tries}.", status switch
            {
                401 or 403 => "The receiver refused the signature: check secret= and style=.",
                409 => "The receiver already has this delivery id (a replay); send without id= for a new one.",
                413 => "The payload is larger than the receiver takes.",
                _ => "details.response holds the receiver's answer.",
            }, details);
    }

    static TimeSpan Jittered(TimeSpan backoff, int attempt)
    {
        // Exponential with "equal jitter": half the step is fixed, half random, so many senders do not retry in step.
        var step = backoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        return TimeSpan.FromMilliseconds(Math.Min(step / 2 + Random.Shared.NextDouble() * step / 2, 120_000));
    }

    static TimeSpan? RetryAfter(RetryConditionHeaderValue? value) =>
        value?.Delta ?? (value?.Date is { } d ? (d - DateTimeOffset.UtcNow) is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero : null);

    static async Task<JsonNode?> ReadAnswerAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[MaxAnswer];
        int got = 0, n;
        while (got < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(got), ct).ConfigureAwait(false)) > 0) got += n;
        if (got == 0) return null;
        var data = buffer.AsSpan(0, got);
        if (response.Content.Headers.ContentType?.MediaType is { } mt && mt.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            try { return JsonNode.Parse(data.ToArray()); }
            catch (JsonException) { }
        }
        return JsonValue.Create(Resh.Core.Text.TextSafety.Scrub(Encoding.UTF8.GetString(data)));
    }

    static Uri ParseUrl(string raw)
    {
        const string hint = "Write webhook://https://HOST/PATH.send (or http:// for loopback tests).";
        if (raw.Any(c => char.IsControl(c) || c == ' '))
            throw ReshError.Usage("The URL contains a space or a control character.", "Percent-encode it (%20 for a space).").ToException();
        if (!Uri.TryCreate(raw, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
            throw ReshError.Usage($"`{raw}` is not an http:// or https:// URL.", hint).ToException();
        if (url.UserInfo.Length > 0)
            throw ReshError.Usage("A user or password in the URL would be visible to every user on this machine.", "Leave them out; the delivery is authenticated by its signature.").ToException();
        return url;
    }

    static (byte[] Body, string ContentType) Payload(VerbContext ctx)
    {
        var given = new[] { ctx.IsSet(Json), ctx.IsSet(Body), ctx.IsSet(File) }.Count(b => b);
        if (given != 1)
            throw ReshError.Usage(given == 0 ? "send needs a payload: json=, body= or file=." : "Give one payload: json=, body= or file=, not several.",
                "json:={\"ref\":\"main\"} for JSON, body=TEXT for text, file=PATH for a file.").ToException();
        var type = ctx.Get(ContentType);
        if (type is not null) CheckHeaderValue("content_type", type);
        if (ctx.IsSet(Json)) return (Encoding.UTF8.GetBytes(ctx.Get(Json)?.ToJsonString() ?? "null"), type ?? "application/json");
        if (ctx.IsSet(Body)) return (Encoding.UTF8.GetBytes(ctx.Get(Body) ?? ""), type ?? "text/plain; charset=utf-8");
        var path = BodyFile.Check(ctx.Get(File)!, "payload file", "file= names the file to send.");
        using var fs = BodyFile.Open(path);
        var ms = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = fs.Read(buffer)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > MaxPayload)
                throw ReshError.Usage($"{path} is larger than {Resh.Core.Values.SizeValue.Format(MaxPayload)}; a webhook payload is signed whole.", "Send a smaller file, or a link to it.").ToException();
        }
        return (ms.ToArray(), type ?? "application/octet-stream");
    }

    static List<KeyValuePair<string, string>> ExtraHeaders(VerbContext ctx)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var h in ctx.Get(Header))
        {
            var colon = h.IndexOf(':');
            if (colon <= 0) throw ReshError.Usage($"header= `{h}` is not `Name: value`.", "Write header='X-Env: prod'.").ToException();
            list.Add(new(h[..colon].Trim(), h[(colon + 1)..].Trim()));
        }
        if (ctx.Get(Headers) is { } node)
        {
            if (node is not JsonObject o) throw ReshError.Usage("headers= must be a JSON object of strings.", null).ToException();
            foreach (var (k, v) in o)
                list.Add(new(k, v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : throw ReshError.Usage($"headers= `{k}` must be a string.", null).ToException()));
        }
        foreach (var (k, v) in list)
        {
            if (k.Length == 0 || k.Any(c => c <= ' ' || c >= 127 || c == ':')) throw ReshError.Usage($"`{k}` is not a header name.", null).ToException();
            CheckHeaderValue(k, v);
            if (k.Equals("Host", StringComparison.OrdinalIgnoreCase) || k.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                throw ReshError.Usage($"The header {k} is set by send itself.", "Use content_type= for Content-Type.").ToException();
        }
        return list;
    }

    static void CheckHeaderValue(string what, string value)
    {
        if (value.Any(c => c is '\r' or '\n' or '\0'))
            throw ReshError.Usage($"{what} holds CR, LF or NUL, which would split the request head.", null).ToException();
    }
}
