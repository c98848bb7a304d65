using Resh.Core.Model;
using Resh.Core.Secrets;

namespace Resh.Handles.Net.Http;

/// <summary>The arguments the http:// verbs share, declared once.</summary>
internal static class HttpArgs
{
    public static readonly Arg<IReadOnlyList<string>> Header = Arg.List("header",
        "Request header `Name: value` (repeat the argument for more; use headers:={...} for values with commas).",
        examples: ["Accept: application/json"]);
    public static readonly Arg<System.Text.Json.Nodes.JsonNode?> Headers = Arg.Json("headers",
        "Request headers as a JSON object {\"Name\": \"value\"}.", examples: ["{\"X-Trace\":\"1\"}"]);
    public static readonly Arg<IReadOnlyList<string>> Query = Arg.List("query",
        "Query parameters `name=value` added to the URL (encoded for you).", examples: ["page=2", "q=a b"]);
    public static readonly Arg<System.Text.Json.Nodes.JsonNode?> Json = Arg.Json("json",
        "JSON request body (sent as application/json): json:={\"name\":\"x\"}.", examples: ["{\"name\":\"x\"}"]);
    public static readonly Arg<IReadOnlyList<string>> Form = Arg.List("form",
        "Form fields `name=value` sent as application/x-www-form-urlencoded (multipart with upload).", examples: ["user=ann"]);
    public static readonly Arg<string?> Body = Arg.String("body",
        "Request body: text as given, `@FILE` streamed from a file (never loaded whole), `@-` streamed from stdin.",
        examples: ["hello", "@payload.bin", "@-"], literalAt: true, path: PathUse.ReadAt).WithPathConfinement();
    public static readonly Arg<string?> ContentType = Arg.String("content_type", "Content-Type of the request body (default from json/form/body).");
    public static readonly Arg<string?> User = Arg.String("user", "User name for HTTP basic authentication (the password comes from password=).");
    public static readonly Arg<SecretRef?> Password = Arg.Secret("password", "Password for HTTP basic authentication.");
    public static readonly Arg<SecretRef?> Bearer = Arg.Secret("bearer", "Token sent as `Authorization: Bearer TOKEN`.", aliases: ["token"]);
    public static readonly Arg<TimeSpan?> Timeout = Arg.Duration("timeout", "Give up (error `timeout`) when the whole exchange takes longer.", TimeSpan.FromSeconds(30));
    public static readonly Arg<TimeSpan?> ConnectTimeout = Arg.Duration("connect_timeout", "Give up connecting after this long.", TimeSpan.FromSeconds(10));
    public static readonly Arg<long?> Retries = Arg.Int("retries",
        "Retries of an idempotent request (GET, HEAD, PUT, DELETE, OPTIONS) after a connection error, 429, 502, 503 or 504.", 0, min: 0, max: 20);
    public static readonly Arg<TimeSpan?> RetryBackoff = Arg.Duration("retry_backoff", "Wait before the first retry; doubles each time (Retry-After wins when the server sends it).", TimeSpan.FromMilliseconds(500));
    public static readonly Arg<bool> Follow = Arg.Bool("follow", "Follow redirects (301, 302, 303, 307, 308) to http:// and https:// URLs.", true);
    public static readonly Arg<long?> MaxRedirects = Arg.Int("max_redirects", "Most redirects to follow.", 10, min: 0, max: 50);
    public static readonly Arg<IReadOnlyList<string>> Expect = Arg.List("expect",
        "Statuses that count as success: codes, classes or ranges (200,204 or 2xx or 200-299). Default: 1xx-3xx.", examples: ["200,204", "2xx", "404"]);
    public static readonly Arg<long?> MaxBody = Arg.Size("max_body",
        "Largest response body kept in the result; the rest is not read and `truncated` is set.", 10L * 1024 * 1024);
    public static readonly Arg<string?> Output = Arg.String("output", "Write the response body to this file (atomically) instead of the result.", path: PathUse.Write).WithPathConfinement();
    public static readonly Arg<string?> Proxy = Arg.String("proxy", "Proxy URL (http://host:port); default: the http_proxy/https_proxy/no_proxy environment, as curl.");
    public static readonly Arg<string?> Ca = Arg.String("ca", "PEM file of the certificate authority to trust instead of the system store.", path: PathUse.Read);
    public static readonly Arg<string?> Tls = Arg.Enum("tls", "verify (default) checks the server certificate; insecure skips the check (adds a warning).", ["verify", "insecure"], "verify");
    public static readonly Arg<string?> Cert = Arg.String("cert", "Client certificate: a PEM file (with key= for its key) or a PKCS#12 file.", path: PathUse.Read);
    public static readonly Arg<string?> Key = Arg.String("key", "PEM private key of the client certificate (when cert= holds only the certificate).", path: PathUse.Read);
    public static readonly Arg<SecretRef?> CertPassword = Arg.Secret("cert_password", "Passphrase of the client certificate's key (PKCS#12 or encrypted PEM).");
    public static readonly Arg<string?> HttpVersion = Arg.Enum("http_version",
        "auto: HTTP/2 when TLS negotiates it, else 1.1; 1.1 only; 2: HTTP/2 (prior knowledge on http://).", ["auto", "1.1", "2"], "auto");
    public static readonly Arg<bool> Compressed = Arg.Bool("compressed", "Ask for gzip, deflate, br or zstd and decode the body.", true);

    /// <summary>What every exchange verb takes.</summary>
    public static ArgInfo[] Common => [Header, Headers, Query, User, Password, Bearer, Timeout, ConnectTimeout, Retries, RetryBackoff,
        Follow, MaxRedirects, Expect, MaxBody, Output, Proxy, Ca, Tls, Cert, Key, CertPassword, HttpVersion, Compressed];

    /// <summary>What verbs that send a body take in addition.</summary>
    public static ArgInfo[] BodyArgs => [Json, Form, Body, ContentType];
}
