using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Net.Http;

/// <summary>A request body that can be created again for a retry or a 307/308 redirect (unless it streams stdin).</summary>
internal sealed class BodySource(Func<HttpContent> create, bool replayable, string description)
{
    public HttpContent Create() => create();
    public bool Replayable { get; } = replayable;
    public string Description { get; } = description;
}

/// <summary>Everything one exchange needs, read and validated from the verb's arguments.</summary>
internal sealed class HttpRequestSpec
{
    public required string Method { get; init; }
    public required Uri Url { get; init; }
    public required List<KeyValuePair<string, string>> Headers { get; init; }
    public BodySource? Body { get; set; }
    public string? Authorization { get; init; }
    public required HttpConnector Connector { get; init; }
    public required Version Version { get; init; }
    public required HttpVersionPolicy VersionPolicy { get; init; }
    public int Retries { get; init; }
    public TimeSpan RetryBackoff { get; init; }
    public bool Follow { get; init; }
    public int MaxRedirects { get; init; }
    public TimeSpan? Timeout { get; init; }
    public bool AcceptEncoding { get; init; }

    /// <summary>Whether a method changes the resource (everything but GET, HEAD, OPTIONS and TRACE): changed:true on success, as its dry run says.</summary>
    public static bool Changes(string method) => method is not ("GET" or "HEAD" or "OPTIONS" or "TRACE");

    public static bool IsIdempotent(string method) => method is "GET" or "HEAD" or "PUT" or "DELETE" or "OPTIONS" or "TRACE";

    /// <summary>The URL of the target: SCHEME://TARGET with the query= parameters added; hostile text is a usage error.</summary>
    public static Uri ParseUrl(VerbContext ctx, out string? urlUser)
    {
        var raw = ctx.RawTarget;
        foreach (var c in raw)
            if (char.IsControl(c) || c == ' ')
                throw ReshError.Usage("The URL contains a space or a control character.", "Percent-encode it (%20 for a space).").ToException();
        var text = $"{ctx.Handle.Scheme}://{raw}";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Host.Length == 0)
            throw ReshError.Usage($"`{text}` is not a URL.", $"Write {ctx.Handle.Scheme}://HOST[:PORT]/PATH, e.g. {ctx.Handle.Scheme}://127.0.0.1:8080/health.get").ToException();
        urlUser = null;
        if (url.UserInfo.Length > 0)
        {
            if (url.UserInfo.Contains(':'))
                throw ReshError.Usage("A password in the URL would be visible to every user on this machine (and in the envelope's target).",
                    "Give user=NAME and password=secret:NAME (or env:VAR, file:PATH, @-).").ToException();
            urlUser = Uri.UnescapeDataString(url.UserInfo);
        }
        var query = ctx.Get(HttpArgs.Query);
        if (query.Count > 0)
        {
            var sb = new StringBuilder(url.Query.Length > 1 ? url.Query : "?");
            foreach (var item in query)
            {
                var eq = item.IndexOf('=');
                var (k, v) = eq < 0 ? (item, "") : (item[..eq], item[(eq + 1)..]);
                if (sb.Length > 1) sb.Append('&');
                sb.Append(Uri.EscapeDataString(k));
                if (eq >= 0) sb.Append('=').Append(Uri.EscapeDataString(v));
            }
            url = new UriBuilder(url) { Query = sb.ToString()[1..] }.Uri;
        }
        return url;
    }

    public static HttpRequestSpec Build(VerbContext ctx, string method, bool withBody, int? retriesOverride = null,
        bool? followOverride = null, bool compressed = true)
    {
        var url = ParseUrl(ctx, out var urlUser);
        var headers = ReadHeaders(ctx);
        string? authorization = null;
        var bearer = ctx.GetSecret(HttpArgs.Bearer);
        var user = ctx.Get(HttpArgs.User) ?? urlUser;
        var password = ctx.GetSecret(HttpArgs.Password);
        if (bearer is not null && (user is not null || password is not null))
            throw ReshError.Usage("Give either bearer= or user=/password=, not both.", null).ToException();
        if (bearer is not null)
        {
            CheckHeaderValue("bearer", bearer.Reveal());
            authorization = "Bearer " + bearer.Reveal();
        }
        else if (password is not null || user is not null)
        {
            if (user is null) throw ReshError.Usage("password= needs user= (basic authentication).", "Add user=NAME.").ToException();
            if (user.Contains(':')) throw ReshError.Usage("A basic-auth user name cannot contain `:`.", null).ToException();
            CheckHeaderValue("user", user);
            var pw = password?.Reveal() ?? "";
            authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + pw));
        }
        if (authorization is not null) Resh.Core.Secrets.SecretRedactor.Register(authorization);
        if (authorization is not null && url.Scheme == "http")
            ctx.Warn("Credentials are sent over plain http:// (no TLS): anyone on the path can read them.");

        var tls = ctx.Get(HttpArgs.Tls);
        var insecure = tls == "insecure";
        if (insecure && url.Scheme == "https") ctx.Warn(TlsTrust.InsecureWarning);
        var (cert, certKey) = LoadClientCertificate(ctx);
        if (ctx.Get(HttpArgs.Proxy) is { Length: > 0 } proxyText
            && (!Uri.TryCreate(proxyText, UriKind.Absolute, out var parsedProxy) || parsedProxy.Scheme is not ("http" or "https" or "socks4" or "socks4a" or "socks5")
                || parsedProxy.Host.Length == 0))
            throw ReshError.Usage("proxy= must be a URL such as http://HOST:PORT or socks5://HOST:PORT.",
                "Write proxy=http://127.0.0.1:3128, or leave it out to use the http_proxy/https_proxy environment.").ToException();
        if (ctx.Get(HttpArgs.Proxy) is { Length: > 0 } proxyArg && Uri.TryCreate(proxyArg, UriKind.Absolute, out var proxyUri) && proxyUri.UserInfo.Contains(':'))
        {
            Resh.Core.Secrets.SecretRedactor.Register(Uri.UnescapeDataString(proxyUri.UserInfo.Split(':', 2)[1]));
            ctx.Warn("proxy= carries a password on the command line, where other users can read it (ps); the https_proxy/http_proxy environment variables keep it off argv.");
        }
        var connector = HttpConnector.Get(ctx.Get(HttpArgs.Ca), insecure, cert, certKey, ctx.Get(HttpArgs.Proxy),
            ctx.Get(HttpArgs.ConnectTimeout)!.Value);

        var (version, policy) = ctx.Get(HttpArgs.HttpVersion) switch
        {
            "1.1" => (System.Net.HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact),
            "2" => (System.Net.HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact),
            _ => (System.Net.HttpVersion.Version11, HttpVersionPolicy.RequestVersionOrHigher),
        };

        var spec = new HttpRequestSpec
        {
            Method = method,
            Url = url,
            Headers = headers,
            Authorization = authorization,
            Connector = connector,
            Version = version,
            VersionPolicy = policy,
            Retries = retriesOverride ?? (int)ctx.Get(HttpArgs.Retries)!.Value,
            RetryBackoff = ctx.Get(HttpArgs.RetryBackoff)!.Value,
            Follow = followOverride ?? ctx.Get(HttpArgs.Follow),
            MaxRedirects = (int)ctx.Get(HttpArgs.MaxRedirects)!.Value,
            Timeout = ctx.Get(HttpArgs.Timeout),
            AcceptEncoding = compressed && ctx.Get(HttpArgs.Compressed) && !headers.Any(h => h.Key.Equals("Accept-Encoding", StringComparison.OrdinalIgnoreCase)),
        };
        if (withBody) spec.Body = ReadBody(ctx);
        return spec;
    }

    static List<KeyValuePair<string, string>> ReadHeaders(VerbContext ctx)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var h in ctx.Get(HttpArgs.Header))
        {
            var colon = h.IndexOf(':');
            if (colon <= 0) throw ReshError.Usage($"Header `{h}` is not `Name: value`.", "Example: header='Accept: application/json'").ToException();
            list.Add(new(h[..colon].Trim(), h[(colon + 1)..].Trim()));
        }
        if (ctx.Get(HttpArgs.Headers) is { } node)
        {
            if (node is not JsonObject obj) throw ReshError.Usage("headers= must be a JSON object {\"Name\": \"value\"}.", null).ToException();
            foreach (var (k, v) in obj)
            {
                var value = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v?.ToJsonString() ?? "";
                list.Add(new(k, value));
            }
        }
        foreach (var (k, v) in list)
        {
            if (k.Length == 0 || k.Any(c => c <= ' ' || c >= 127 || c is ':' or '(' or ')' or ',' or ';' or '<' or '>' or '@' or '[' or ']' or '\\' or '"' or '/' or '?' or '=' or '{' or '}'))
                throw ReshError.Usage($"`{Clip(k)}` is not a valid header name.", "Header names are letters, digits and -_.!#$%&'*+^`|~ only.").ToException();
            CheckHeaderValue(k, v);
            if (v.FirstOrDefault(c => c > '~') is var wide and not '\0')
                throw ReshError.Usage($"The value of `{Clip(k)}` contains `{wide}`, which is not ASCII; HTTP header values are sent as ASCII.",
                    "Percent-encode the value (as for a URL), or use the RFC 8187 form name*=UTF-8''%C3%A9 where the header defines it.").ToException();
            if (k.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && !ctx.Warnings.Any(w => w.Contains("Authorization", StringComparison.Ordinal)))
                ctx.Warn("An Authorization header given on the command line is visible to other users; use bearer= or password= (secret sources).");
        }
        return list;
    }

    static void CheckHeaderValue(string name, string value)
    {
        foreach (var c in value)
            if (c is '\r' or '\n' or '\0')
                throw ReshError.Usage($"The value of `{Clip(name)}` contains a line break or NUL, which would inject headers.",
                    "Remove CR, LF and NUL characters from header values.").ToException();
    }

    static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;

    static BodySource? ReadBody(VerbContext ctx)
    {
        var json = ctx.Get(HttpArgs.Json);
        var form = ctx.Get(HttpArgs.Form);
        var body = ctx.Get(HttpArgs.Body);
        var given = (json is not null || ctx.IsSet(HttpArgs.Json) ? 1 : 0) + (form.Count > 0 ? 1 : 0) + (body is not null ? 1 : 0);
        if (given > 1) throw ReshError.Usage("Give one body: json=, form= or body=.", null).ToException();
        var contentType = ctx.Get(HttpArgs.ContentType);
        if (contentType is not null) CheckHeaderValue("content_type", contentType);
        if (json is not null || ctx.IsSet(HttpArgs.Json))
        {
            var bytes = Encoding.UTF8.GetBytes(json?.ToJsonString() ?? "null");
            return new BodySource(() => Bytes(bytes, contentType ?? "application/json"), true, "json");
        }
        if (form.Count > 0)
        {
            var pairs = form.Select(f => { var eq = f.IndexOf('='); return eq < 0 ? new KeyValuePair<string, string>(f, "") : new(f[..eq], f[(eq + 1)..]); }).ToList();
            return new BodySource(() =>
            {
                var c = new FormUrlEncodedContent(pairs);
                if (contentType is not null) c.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                return c;
            }, true, "form");
        }
        if (body is null) return null;
        if (body == "@-")
        {
            var stdin = Console.OpenStandardInput();
            return new BodySource(() => Stream(stdin, contentType ?? "application/octet-stream"), false, "stdin");
        }
        if (body.StartsWith('@'))
        {
            var path = BodyFile.Check(body[1..], "body file", "body=@FILE streams FILE; body=TEXT sends TEXT.");
            return new BodySource(() => BodyFile.Content(path, contentType ?? "application/octet-stream"), true, "file");
        }
        var text = Encoding.UTF8.GetBytes(body);
        return new BodySource(() => Bytes(text, contentType ?? "text/plain; charset=utf-8"), true, "text");
    }

    static HttpContent Bytes(byte[] bytes, string contentType)
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return c;
    }

    internal static HttpContent Stream(Stream s, string contentType, long? length = null)
    {
        var c = new StreamContent(s, 256 * 1024);
        c.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (length is { } l) c.Headers.ContentLength = l;
        return c;
    }

    static (X509Certificate2?, string) LoadClientCertificate(VerbContext ctx)
    {
        var certPath = ctx.Get(HttpArgs.Cert);
        var keyPath = ctx.Get(HttpArgs.Key);
        if (certPath is null)
        {
            if (keyPath is not null) throw ReshError.Usage("key= needs cert=.", null).ToException();
            return (null, "");
        }
        if (!File.Exists(certPath)) throw ReshError.NotFound($"The client certificate {certPath} does not exist.", null).ToException();
        if (keyPath is not null && !File.Exists(keyPath)) throw ReshError.NotFound($"The client key {keyPath} does not exist.", null).ToException();
        var password = ctx.GetSecret(HttpArgs.CertPassword);
        try
        {
            X509Certificate2 cert;
            var head = File.ReadAllText(certPath).AsSpan();
            if (head.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                cert = password is null
                    ? X509Certificate2.CreateFromPemFile(certPath, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(certPath, password.Reveal(), keyPath);
            }
            else cert = X509CertificateLoader.LoadPkcs12FromFile(certPath, password?.Reveal());
            if (!cert.HasPrivateKey)
                throw ReshError.Usage($"The client certificate {certPath} has no private key.", "Give the key with key=FILE.pem or use a PKCS#12 file.").ToException();
            return (cert, certPath + "|" + keyPath + "|" + cert.Thumbprint);
        }
        catch (CryptographicException ex)
        {
            throw ReshError.Usage($"Cannot load the client certificate {certPath}: {ExceptionTranslation.OneLine(ex.Message)}",
                "cert= takes a PEM certificate (key= for a separate key, cert_password= when encrypted) or a PKCS#12 file.").ToException();
        }
    }
}
