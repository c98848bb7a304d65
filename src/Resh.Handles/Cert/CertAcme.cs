using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Cert;

/// <summary>
/// A small RFC 8555 ACME client on HttpClient: JWS (ES256 account key), nonces with badNonce retries, account,
/// order, http-01 and dns-01 authorizations (deactivated when the call gives up), finalize with a CSR, certificate download. Every wait is bounded by the deadline.
/// </summary>
internal sealed class CertAcme : IDisposable
{
    readonly HttpClient _http;
    readonly ECDsa _account;
    readonly DateTimeOffset _deadline;
    readonly CancellationToken _ct;
    JsonObject _directory = new();
    string? _nonce;
    string? _kid;
    public string DirectoryUrl { get; }

    public CertAcme(string directoryUrl, ECDsa accountKey, X509Certificate2Collection? trust, TimeSpan timeout, CancellationToken ct)
    {
        DirectoryUrl = directoryUrl;
        _account = accountKey;
        _deadline = DateTimeOffset.UtcNow + timeout;
        _ct = ct;
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        if (trust is not null)
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) => cert is not null && TrustedBy(cert, trust, errors),
            };
        _http = new HttpClient(handler) { Timeout = timeout, MaxResponseContentBufferSize = 4 << 20 };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("resh", "1"));
    }

    /// <summary>The server's certificate chains to a root of the ca= bundle (name checks of the platform still apply).</summary>
    static bool TrustedBy(X509Certificate cert, X509Certificate2Collection trust, SslPolicyErrors errors)
    {
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var c2 = X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        return chain.Build(c2);
    }

    // ---- protocol -------------------------------------------------------------------------

    public async Task OpenAsync(string? email)
    {
        _directory = await GetJsonAsync(DirectoryUrl).ConfigureAwait(false);
        var payload = new JsonObject { ["termsOfServiceAgreed"] = true };
        if (email is not null) payload["contact"] = new JsonArray("mailto:" + email);
        var (resp, _) = await PostAsync(Url("newAccount"), payload, useJwk: true).ConfigureAwait(false);
        _kid = resp.Headers.Location?.ToString() ?? throw Protocol("newAccount answered without an account URL");
    }

    public async Task<(JsonObject Order, string Url)> NewOrderAsync(IEnumerable<string> domains)
    {
        var ids = new JsonArray();
        foreach (var d in domains)
            ids.Add((JsonNode)new JsonObject { ["type"] = IPAddress.TryParse(d, out _) ? "ip" : "dns", ["value"] = d });
        var (resp, body) = await PostAsync(Url("newOrder"), new JsonObject { ["identifiers"] = ids }).ConfigureAwait(false);
        return (body ?? throw Protocol("newOrder answered without an order"), resp.Headers.Location?.ToString() ?? throw Protocol("newOrder answered without an order URL"));
    }

    /// <summary>
    /// The pending challenges of an order of one type (http-01 or dns-01): the identifier (without `*.` for a
    /// wildcard, whose authorization names the base domain), token, key authorization, challenge and authorization URLs.
    /// </summary>
    public async Task<List<AcmeChallenge>> PendingAsync(JsonObject order, string type, IReadOnlyCollection<string> ordered)
    {
        var asked = ordered.Select(Canonical).ToHashSet(StringComparer.Ordinal);
        var authorizations = order["authorizations"]?.AsArray() ?? [];
        if (authorizations.Count > asked.Count)
            throw Protocol($"the order has {authorizations.Count} authorizations for {asked.Count} names");
        var list = new List<AcmeChallenge>();
        foreach (var a in order["authorizations"]?.AsArray() ?? [])
        {
            var url = a!.GetValue<string>();
            var authz = await PostAsGetAsync(url).ConfigureAwait(false);
            if (authz["status"]?.GetValue<string>() == "valid") continue;
            var domain = authz["identifier"]?["value"]?.GetValue<string>() ?? "?";
            var wildcard = authz["wildcard"] is JsonValue wv && wv.TryGetValue<bool>(out var isWild) && isWild;
            // A CA must only ask for names of the order: a dns-01 proof for another name would make resh write
            // _acme-challenge records anywhere its TSIG key reaches (and a webroot file for a name nobody asked for).
            if (!asked.Contains(Canonical((wildcard ? "*." : "") + domain)))
                throw Protocol($"it asked to prove {(wildcard ? "*." : "")}{domain}, which is not a name of the order ({string.Join(", ", ordered)})");
            var ch = authz["challenges"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == type)
                ?? throw ReshError.Unsupported($"The ACME server offers no {type} challenge for {(wildcard ? "*." : "")}{domain}.",
                    type == "http-01" ? "Wildcard names and some CAs need challenge=dns-01." : "Use challenge=http-01 for this CA.").ToException();
            var token = ch["token"]!.GetValue<string>();
            if (token.Length is 0 or > 256 || !token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                throw Protocol("a challenge token is not base64url");
            list.Add(new AcmeChallenge(domain, wildcard, token, token + "." + Thumbprint(), ch["url"]!.GetValue<string>(), url));
        }
        return list;
    }

    /// <summary>A name as compared with the order: lower case, without a final dot.</summary>
    static string Canonical(string name) => name.TrimEnd('.').ToLowerInvariant();

    /// <summary>Gives up an authorization (RFC 8555 §7.5.2), so an order that cannot be completed is not left pending; the status the server answers.</summary>
    public async Task<string?> DeactivateAsync(string authzUrl)
    {
        var (resp, body) = await PostAsync(authzUrl, new JsonObject { ["status"] = "deactivated" }).ConfigureAwait(false);
        resp.Dispose();
        return body?["status"]?.GetValue<string>();
    }

    public Task RespondAsync(string challengeUrl) => PostAsync(challengeUrl, new JsonObject());

    /// <summary>Polls an authorization until it is valid; invalid is `failed` with the CA's reason.</summary>
    public async Task WaitValidAsync(string authzUrl, string domain, string? hint = null)
    {
        while (true)
        {
            var authz = await PostAsGetAsync(authzUrl).ConfigureAwait(false);
            switch (authz["status"]?.GetValue<string>())
            {
                case "valid": return;
                case "invalid" or "deactivated" or "expired" or "revoked":
                    var detail = authz["challenges"]?.AsArray().Select(c => c?["error"]?["detail"]?.GetValue<string>()).FirstOrDefault(d => d is not null);
                    throw ReshError.Failed($"The ACME server could not validate {domain}: {detail ?? "authorization " + authz["status"]}.",
                        hint ?? "Check that http://DOMAIN/.well-known/acme-challenge/ reaches this host (port, firewall, webroot).").ToException();
            }
            await PauseAsync().ConfigureAwait(false);
        }
    }

    public async Task<string> FinalizeAsync(JsonObject order, string orderUrl, byte[] csrDer)
    {
        var finalize = order["finalize"]?.GetValue<string>() ?? throw Protocol("the order has no finalize URL");
        await PostAsync(finalize, new JsonObject { ["csr"] = B64(csrDer) }).ConfigureAwait(false);
        while (true)
        {
            var o = await PostAsGetAsync(orderUrl).ConfigureAwait(false);
            switch (o["status"]?.GetValue<string>())
            {
                case "valid":
                    var certUrl = o["certificate"]?.GetValue<string>() ?? throw Protocol("a valid order without a certificate URL");
                    var (resp, _) = await PostAsync(certUrl, null, expectJson: false).ConfigureAwait(false);
                    return await resp.Content.ReadAsStringAsync(_ct).ConfigureAwait(false);
                case "invalid":
                    throw ReshError.Failed($"The ACME server refused the order: {o["error"]?["detail"]?.GetValue<string>() ?? "invalid"}.", null).ToException();
            }
            await PauseAsync().ConfigureAwait(false);
        }
    }

    async Task PauseAsync()
    {
        if (DateTimeOffset.UtcNow > _deadline)
            throw ReshError.Timeout("The ACME server did not finish in time.", "Raise --timeout, or check the server's logs.").ToException();
        await Task.Delay(250, _ct).ConfigureAwait(false);
    }

    // ---- JWS ------------------------------------------------------------------------------

    async Task<JsonObject> PostAsGetAsync(string url)
    {
        var (resp, body) = await PostAsync(url, null).ConfigureAwait(false);
        resp.Dispose();
        return body ?? new JsonObject();
    }

    async Task<(HttpResponseMessage Response, JsonObject? Body)> PostAsync(string url, JsonObject? payload, bool useJwk = false, bool expectJson = true)
    {
        for (int attempt = 0; ; attempt++)
        {
            var nonce = _nonce ?? await NewNonceAsync().ConfigureAwait(false);
            _nonce = null;
            var jws = Sign(url, nonce, payload, useJwk);
            using var content = new StringContent(jws, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/jose+json");
            var resp = await Send(() => _http.PostAsync(url, content, _ct)).ConfigureAwait(false);
            if (resp.Headers.TryGetValues("Replay-Nonce", out var n)) _nonce = n.FirstOrDefault();
            if (resp.IsSuccessStatusCode)
            {
                if (!expectJson) return (resp, null);
                return (resp, await ReadJsonAsync(resp).ConfigureAwait(false));
            }
            var problem = await ReadJsonAsync(resp).ConfigureAwait(false);
            var type = problem["type"]?.GetValue<string>() ?? "";
            if (type.EndsWith(":badNonce", StringComparison.Ordinal) && attempt < 5) continue;
            throw ReshError.Failed($"The ACME server refused a request ({(int)resp.StatusCode}): {problem["detail"]?.GetValue<string>() ?? type}.", null,
                new JsonObject { ["type"] = type, ["status"] = (int)resp.StatusCode }).ToException();
        }
    }

    async Task<string> NewNonceAsync()
    {
        using var req = new HttpRequestMessage(HttpMethod.Head, Url("newNonce"));
        using var resp = await Send(() => _http.SendAsync(req, _ct)).ConfigureAwait(false);
        return resp.Headers.TryGetValues("Replay-Nonce", out var n) ? n.First() : throw Protocol("newNonce gave no Replay-Nonce");
    }

    string Sign(string url, string nonce, JsonObject? payload, bool useJwk)
    {
        var protectedHeader = new JsonObject { ["alg"] = "ES256", ["nonce"] = nonce, ["url"] = url };
        if (useJwk || _kid is null) protectedHeader["jwk"] = Jwk();
        else protectedHeader["kid"] = _kid;
        var p = B64(Encoding.UTF8.GetBytes(protectedHeader.ToJsonString()));
        var body = payload is null ? "" : B64(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var sig = _account.SignData(Encoding.ASCII.GetBytes(p + "." + body), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new JsonObject { ["protected"] = p, ["payload"] = body, ["signature"] = B64(sig) }.ToJsonString();
    }

    JsonObject Jwk()
    {
        var q = _account.ExportParameters(false).Q;
        return new JsonObject { ["crv"] = "P-256", ["kty"] = "EC", ["x"] = B64(q.X!), ["y"] = B64(q.Y!) };
    }

    /// <summary>RFC 7638 thumbprint: SHA-256 of the JWK's required members in lexicographic order, no spaces.</summary>
    public string Thumbprint()
    {
        var q = _account.ExportParameters(false).Q;
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{B64(q.X!)}\",\"y\":\"{B64(q.Y!)}\"}}";
        return B64(SHA256.HashData(Encoding.ASCII.GetBytes(canonical)));
    }

    public static string B64(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    string Url(string name) => _directory[name]?.GetValue<string>() ?? throw Protocol($"the directory has no {name}");

    async Task<JsonObject> GetJsonAsync(string url)
    {
        using var resp = await Send(() => _http.GetAsync(url, _ct)).ConfigureAwait(false);
        if (!resp.IsSuccessStatusCode)
            throw ReshError.Failed($"The ACME directory {url} answered {(int)resp.StatusCode}.", "Check directory=.").ToException();
        return await ReadJsonAsync(resp).ConfigureAwait(false);
    }

    async Task<JsonObject> ReadJsonAsync(HttpResponseMessage resp)
    {
        var bytes = await resp.Content.ReadAsByteArrayAsync(_ct).ConfigureAwait(false);
        if (bytes.Length > 1 << 20) throw Protocol("an answer larger than 1 MiB");
        try { return JsonNode.Parse(bytes) as JsonObject ?? new JsonObject(); }
        catch (System.Text.Json.JsonException) { return new JsonObject(); }
    }

    async Task<HttpResponseMessage> Send(Func<Task<HttpResponseMessage>> send)
    {
        try { return await send().ConfigureAwait(false); }
        catch (HttpRequestException ex)
        {
            throw (ex.InnerException is System.Security.Authentication.AuthenticationException
                ? ReshError.Failed($"The ACME server's TLS certificate is not trusted: {DirectoryUrl}.", "Give its CA with ca=PATH (a PEM bundle).")
                : ReshError.Unavailable($"Cannot reach the ACME server {DirectoryUrl}: {ex.Message}", "Check directory= and the network.")).ToException();
        }
        catch (TaskCanceledException) when (!_ct.IsCancellationRequested)
        {
            throw ReshError.Timeout($"The ACME server {DirectoryUrl} did not answer in time.", "Raise --timeout.").ToException();
        }
    }

    static ReshException Protocol(string what) => ReshError.Failed($"The ACME server broke the protocol: {what}.", null).ToException();

    public void Dispose() => _http.Dispose();
}

/// <summary>One challenge the CA asks for: <paramref name="Domain"/> is the identifier without `*.` (wildcard authorizations name the base domain).</summary>
internal sealed record AcmeChallenge(string Domain, bool Wildcard, string Token, string KeyAuth, string ChallengeUrl, string AuthzUrl)
{
    /// <summary>The dns-01 TXT value: base64url(SHA-256(key authorization)) (RFC 8555 §8.4).</summary>
    public string DnsValue => CertAcme.B64(SHA256.HashData(Encoding.ASCII.GetBytes(KeyAuth)));

    /// <summary>The dns-01 record name, `_acme-challenge.DOMAIN` (the same for a name and its wildcard).</summary>
    public string DnsName => "_acme-challenge." + Domain.TrimEnd('.');
}

/// <summary>
/// Serves http-01 key authorizations on a port (the built-in listener): GET /.well-known/acme-challenge/TOKEN
/// answers the key authorization, everything else 404. Minimal HTTP/1.x, bounded request size, one request per connection.
/// </summary>
internal sealed class AcmeHttpResponder : IDisposable
{
    readonly TcpListener _listener;
    readonly Dictionary<string, string> _answers;
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public AcmeHttpResponder(IPAddress address, int port, Dictionary<string, string> answers)
    {
        _answers = answers;
        _listener = new TcpListener(address, port);
        try { _listener.Start(); }
        catch (SocketException ex)
        {
            throw (ex.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? ReshError.Conflict($"Port {port} is already in use: the http-01 listener cannot start.", "Stop the web server for a moment, or use webroot=DIR to serve the challenge through it.")
                : ReshError.PermissionDenied($"Cannot listen on {address}:{port}: {ex.Message}", "Ports below 1024 need root (or CAP_NET_BIND_SERVICE); or use webroot=.")).ToException();
        }
        _loop = Task.Run(LoopAsync);
    }

    async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                cts.CancelAfter(TimeSpan.FromSeconds(10));
                var stream = client.GetStream();
                var buffer = new byte[8192];
                int total = 0;
                while (total < buffer.Length)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(total), cts.Token).ConfigureAwait(false);
                    if (n == 0) break;
                    total += n;
                    if (buffer.AsSpan(0, total).IndexOf("\r\n\r\n"u8) >= 0) break;
                }
                var line = Encoding.ASCII.GetString(buffer, 0, total).Split("\r\n")[0].Split(' ');
                const string prefix = "/.well-known/acme-challenge/";
                string status = "404 Not Found", body = "";
                if (line.Length >= 2 && line[0] is "GET" or "HEAD" && line[1].StartsWith(prefix, StringComparison.Ordinal)
                    && _answers.TryGetValue(line[1][prefix.Length..], out var answer))
                {
                    status = "200 OK";
                    body = line[0] == "GET" ? answer : "";
                }
                var bodyBytes = Encoding.ASCII.GetBytes(body);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {bodyBytes.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, cts.Token).ConfigureAwait(false);
                await stream.WriteAsync(bodyBytes, cts.Token).ConfigureAwait(false);
            }
            catch (Exception) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
