using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Etcd;

/// <summary>
/// etcd v3 through its JSON gateway over HTTP(S): no client library, a few POSTs. One client for every handle that
/// talks to etcd (lock://, config://): the connection from a <c>[SCHEME.NAME]</c> table (url, user, password as a
/// secret reference, ca / tls, timeout), the auth token (renewed when etcd says it expired), base64 keys and values,
/// and one mapping of etcd's answers to resh errors.
/// </summary>
public sealed class EtcdClient
{
    const int MaxReply = 4 << 20;
    static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    readonly HttpClient _http;
    readonly Uri _base;
    readonly TlsTrust? _trust;
    readonly string _table;
    readonly string _scope;
    string? _authToken;
    (string User, Resh.Core.Secrets.SecretValue Password)? _login;

    EtcdClient(HttpClient http, Uri baseUri, TlsTrust? trust, string table, string scope)
    {
        _http = http;
        _base = baseUri;
        _trust = trust;
        _table = table;
        _scope = scope;
        Server = baseUri.IsDefaultPort ? baseUri.Host : $"{baseUri.Host}:{baseUri.Port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>host:port of the server.</summary>
    public string Server { get; }

    /// <summary>
    /// Connects to the etcd server of an endpoint: url = "http://HOST:2379", "https://HOST:2379" or "etcd://HOST:2379"
    /// (plain HTTP), user and password (secret-typed) when auth is on, ca or tls = "insecure" for HTTPS, timeout.
    /// <paramref name="scope"/> names what the user's role must allow (for the permission hint), e.g. "the prefix resh/lock/".
    /// </summary>
    public static async Task<EtcdClient> ConnectAsync(VerbContext ctx, Endpoint endpoint, string scope, CancellationToken ct)
    {
        var table = endpoint.Profile is null ? "the target" : $"[{endpoint.Scheme}.{endpoint.Profile}]";
        var url = endpoint.Setting("url") is { } u && Uri.TryCreate(u, UriKind.Absolute, out var parsed) ? parsed : null;
        var https = url?.Scheme == "https" || endpoint.Setting("ca") is not null || endpoint.Setting("tls") is "on" or "insecure";
        var port = url is { IsDefaultPort: false } ? url.Port : endpoint.Port ?? 2379;
        var host = url?.Host ?? endpoint.Host;
        var baseUri = new UriBuilder(https ? "https" : "http", host.Trim('[', ']'), port).Uri;
        var timeout = DefaultTimeout;
        if (endpoint.Setting("timeout") is { } text
            && !(Resh.Core.Values.DurationValue.TryParse(text, out timeout) && timeout > TimeSpan.Zero && timeout <= TimeSpan.FromHours(1)))
            throw ReshError.Usage($"timeout = \"{text}\" in {table} is not a duration between 1ms and 1h.", "Example: timeout = \"10s\"").ToException();

        TlsTrust? trust = null;
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = timeout };
        if (https)
        {
            var insecure = endpoint.Setting("tls") == "insecure";
            trust = TlsTrust.Create(endpoint.Setting("ca"), insecure);
            if (insecure) ctx.Warn(TlsTrust.InsecureWarning);
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = trust.Validate, CertificateChainPolicy = trust.ChainPolicy() };
        }
        var http = new HttpClient(handler) { Timeout = timeout, MaxResponseContentBufferSize = MaxReply };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("resh", "1"));
        var client = new EtcdClient(http, baseUri, trust, endpoint.Profile is null ? $"[{endpoint.Scheme}.NAME]" : table, scope);
        var user = endpoint.User ?? endpoint.Setting("user");
        if (user is not null)
        {
            var password = endpoint.Secret(ctx, "password")
                ?? throw ReshError.Usage($"{table} names user = \"{user}\" but no password.", "Add password = \"env:ETCD_PASSWORD\" (or secret:NAME, file:PATH).").ToException();
            if (!https)
                ctx.Warn($"The password for {table} goes to etcd over plain http:// (readable on the network); use an https:// url with ca=.");
            client._login = (user, password);
            await client.LoginAsync(ct).ConfigureAwait(false);
        }
        return client;
    }

    /// <summary>Authenticates (again: etcd's simple tokens expire after minutes, longer than a run may hold a lock).</summary>
    async Task LoginAsync(CancellationToken ct)
    {
        var (user, password) = _login!.Value;
        _authToken = null;
        var answer = await PostAsync("/v3/auth/authenticate", new JsonObject { ["name"] = user, ["password"] = password.Reveal() }, ct, secretBody: true).ConfigureAwait(false);
        _authToken = answer["token"]?.GetValue<string>()
            ?? throw ReshError.PermissionDenied($"etcd at {Server} gave no token for user {user}.", "Check the user and password.").ToException();
    }

    /// <summary>Text as etcd's gateway carries keys and values: base64 of its UTF-8 bytes.</summary>
    public static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>The text of a base64 key or value of an answer ("" when absent).</summary>
    public static string Text(JsonNode? b64) => b64 is null ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(b64.GetValue<string>()));

    /// <summary>A 64-bit number of an answer (the gateway writes them as strings; 0 when absent).</summary>
    public static long Num(JsonNode? n) => n is null ? 0 : n.GetValueKind() == JsonValueKind.String
        ? long.Parse(n.GetValue<string>(), CultureInfo.InvariantCulture) : n.GetValue<long>();

    /// <summary>The range_end that makes a range every key starting with <paramref name="prefix"/> ("\0" for the empty prefix: every key).</summary>
    public static string PrefixEnd(string prefix)
    {
        if (prefix.Length == 0) return Convert.ToBase64String([0]);
        var bytes = Encoding.UTF8.GetBytes(prefix);
        for (var i = bytes.Length - 1; i >= 0; i--)
            if (bytes[i] < 0xff) { bytes[i]++; return Convert.ToBase64String(bytes.AsSpan(0, i + 1)); }
        return Convert.ToBase64String([0]);
    }

    /// <summary>One request, retried once after a fresh login when etcd says the token expired.</summary>
    public async Task<JsonObject> PostAsync(string path, JsonObject body, CancellationToken ct, bool secretBody = false)
    {
        try { return await PostOnceAsync(path, body, ct, secretBody).ConfigureAwait(false); }
        catch (ReshException e) when (!secretBody && _login is not null && e.Error.Message.Contains("invalid auth token", StringComparison.OrdinalIgnoreCase))
        {
            await LoginAsync(ct).ConfigureAwait(false);
            return await PostOnceAsync(path, body, ct, secretBody).ConfigureAwait(false);
        }
    }

    async Task<JsonObject> PostOnceAsync(string path, JsonObject body, CancellationToken ct, bool secretBody)
    {
        using var response = await SendAsync(path, body, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        string text;
        try { text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false); }
        catch (HttpRequestException) { throw Protocol($"its answer to {path} was larger than {MaxReply >> 20} MiB"); }
        JsonNode? json;
        try { json = JsonNode.Parse(text.Split('\n', 2)[0]); }
        catch (JsonException) { json = null; }
        if (!response.IsSuccessStatusCode) throw Refused(path, response, json, secretBody);
        return json as JsonObject ?? throw Protocol($"its answer to {path} is not a JSON object");
    }

    /// <summary>
    /// A streaming call (watch): each line of the answer, parsed, goes to <paramref name="onLine"/> until it returns
    /// false, the server ends the stream, or <paramref name="ct"/> is cancelled. The client's timeout bounds only the
    /// wait for the answer's headers.
    /// </summary>
    public async Task StreamAsync(string path, JsonObject body, Func<JsonObject, bool> onLine, CancellationToken ct)
    {
        HttpResponseMessage response;
        try { response = await SendAsync(path, body, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false); }
        catch (ReshException e) when (_login is not null && e.Error.Message.Contains("invalid auth token", StringComparison.OrdinalIgnoreCase))
        {
            await LoginAsync(ct).ConfigureAwait(false);
            response = await SendAsync(path, body, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                JsonNode? json;
                try { json = JsonNode.Parse(text.Split('\n', 2)[0]); }
                catch (JsonException) { json = null; }
                throw Refused(path, response, json, false);
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), Encoding.UTF8);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0) continue;
                if (line.Length > MaxReply) throw Protocol($"a line of its answer to {path} was larger than {MaxReply >> 20} MiB");
                JsonObject? item;
                try { item = JsonNode.Parse(line) as JsonObject; }
                catch (JsonException e) { throw Protocol($"a line of its answer to {path} is not JSON ({ExceptionTranslation.OneLine(e.Message)})"); }
                if (item is null) throw Protocol($"a line of its answer to {path} is not a JSON object");
                if (item["error"] is JsonObject error)
                {
                    var message = error["message"]?.GetValue<string>() ?? "error";
                    if (message.Contains("invalid auth token", StringComparison.OrdinalIgnoreCase) || message.Contains("permission denied", StringComparison.OrdinalIgnoreCase))
                        throw ReshError.PermissionDenied($"etcd at {Server} refused {path}: {ExceptionTranslation.OneLine(message)}.", Hint()).ToException();
                    throw ReshError.Failed($"etcd at {Server} ended {path}: {ExceptionTranslation.OneLine(message)}.", "Check the server's log.").ToException();
                }
                if (!onLine(item)) return;
            }
        }
    }

    async Task<HttpResponseMessage> SendAsync(string path, JsonObject body, HttpCompletionOption completion, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, path))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (_authToken is not null) request.Headers.TryAddWithoutValidation("Authorization", _authToken);
        try { return await _http.SendAsync(request, completion, ct).ConfigureAwait(false); }
        catch (HttpRequestException e)
        {
            var why = _trust?.LastFailure is { } tls ? $"its certificate was refused: {tls}" : ExceptionTranslation.OneLine(e.InnerException?.Message ?? e.Message);
            throw ReshError.Unavailable($"Cannot reach etcd at {Server}: {why}.", $"Check that etcd listens there (url = \"http://HOST:2379\" in the {_table} table).").ToException();
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw ReshError.Timeout($"etcd at {Server} did not answer within {Resh.Core.Values.DurationValue.Format(_http.Timeout)}.", $"Check the server, or raise timeout = in the {_table} table.").ToException();
        }
    }

    ReshException Refused(string path, HttpResponseMessage response, JsonNode? json, bool secretBody)
    {
        var message = json?["message"]?.GetValue<string>() ?? json?["error"]?["message"]?.GetValue<string>() ?? response.ReasonPhrase ?? "error";
        if (secretBody) message = "authentication failed";
        return (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || message.Contains("permission denied", StringComparison.OrdinalIgnoreCase)
                || message.Contains("authentication failed", StringComparison.OrdinalIgnoreCase) || message.Contains("invalid auth token", StringComparison.OrdinalIgnoreCase) || message.Contains("user name is empty", StringComparison.OrdinalIgnoreCase)
            ? ReshError.PermissionDenied($"etcd at {Server} refused {path}: {ExceptionTranslation.OneLine(message)}.", Hint())
            : ReshError.Failed($"etcd at {Server} answered {(int)response.StatusCode} to {path}: {ExceptionTranslation.OneLine(message)}.", "Check the server's log.")).ToException();
    }

    string Hint() => $"Check user and password in the {_table} table, and the user's role on {_scope}.";

    /// <summary>
    /// A reply resh cannot read (a lying or foreign server: a string where a number or a bool belongs, bad base64, a
    /// shape that is not etcd's) is the protocol error, not an internal one (s32 attacker #4).
    /// </summary>
    public async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try { return await call().ConfigureAwait(false); }
        catch (Exception e) when (e is FormatException or InvalidOperationException or JsonException or OverflowException or ArgumentException or KeyNotFoundException or NullReferenceException)
        {
            throw Protocol(ExceptionTranslation.OneLine(e.Message));
        }
    }

    public ReshException Protocol(string what) =>
        ReshError.Failed($"etcd at {Server} answered something resh cannot read: {what}.", "Check that the url names an etcd v3 server (3.4 or later).").ToException();
}
