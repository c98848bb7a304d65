using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Resh.Handles.Net.Http;

[Description("Where the time of an exchange went, in milliseconds (as curl -w reports it). 0 for phases a reused connection skipped.")]
public sealed record HttpTimings(
    [property: Description("Name resolution.")] double DnsMs,
    [property: Description("TCP connect, after resolution.")] double ConnectMs,
    [property: Description("TLS handshake until the server certificate was checked; 0 for http://.")] double TlsMs,
    [property: Description("From the start until the response headers arrived.")] double FirstByteMs,
    [property: Description("From the start until the body was read.")] double TotalMs);

[Description("One redirect that was followed.")]
public sealed record HttpRedirect(int Status, string From, string To);

[Description("The TLS connection the response came over.")]
public sealed record HttpTlsInfo(
    [property: Description("Tls12, Tls13...")] string Protocol,
    string? Cipher,
    [property: Description("Protocol chosen by ALPN (h2, http/1.1).")] string? Alpn,
    string Subject,
    string Issuer,
    [property: Description("Certificate expiry, RFC 3339 UTC.")] string NotAfter,
    [property: Description("Whole days until the certificate expires (negative when expired).")] int DaysLeft,
    [property: Description("False only with tls=insecure and a certificate that failed the check.")] bool Verified);

[Description("An HTTP response.")]
public sealed record HttpResult(
    string Method,
    [property: Description("The URL that answered (after redirects).")] string Url,
    int Status,
    string Reason,
    [property: Description("The protocol version of the answer: 1.0, 1.1 or 2.")] string HttpVersion,
    [property: Description("Response headers, names in lower case; repeated headers joined with \", \" (set-cookie with newlines).")]
    IReadOnlyDictionary<string, string> Headers,
    string? ContentType,
    [property: Description("json (body is the parsed value), text (body is a string), base64 (body_base64), file (written to output), none.")] string BodyKind,
    JsonNode? Body,
    string? BodyBase64,
    [property: Description("Body bytes read (after decoding gzip/br/zstd).")] long BodyBytes,
    [property: Description("The body was longer than max_body; only max_body bytes were read.")] bool Truncated,
    [property: Description("Content-Encoding that was decoded (gzip, br, zstd, deflate), if any.")] string? ContentEncoding,
    [property: Description("File the body was written to (output=).")] string? Output,
    HttpTimings Timings,
    [property: Description("Redirects followed, in order (a detail: --format ndjson prints the body's list as items, never these)."), Resh.Core.Model.NotItems] IReadOnlyList<HttpRedirect> Redirects,
    HttpTlsInfo? Tls,
    [property: Description("Requests sent, retries included.")] int Attempts,
    [property: Description("The request reused a pooled connection (batch, REPL).")] bool ConnectionReused);

[Description("A file downloaded.")]
public sealed record HttpDownloadResult(
    string Url,
    string Output,
    int Status,
    [property: Description("Size of the file in bytes.")] long Bytes,
    [property: Description("Bytes received by this call (less than bytes after a resume)."), Resh.Core.Model.Unit(Resh.Core.Model.UnitAttribute.Bytes)] long Received,
    [property: Description("Offset the download resumed from (an earlier .part file or a cut connection), 0 when none.")] long ResumedFrom,
    [property: Description("SHA-256 of the file (computed when sha256= was given).")] string? Sha256,
    [property: Description("The file already had the expected sha256: nothing was downloaded.")] bool AlreadyPresent,
    int Attempts,
    double DurationMs,
    [property: Description("Average bytes per second of this call.")] double BytesPerSecond,
    [property: Resh.Core.Model.NotItems] IReadOnlyList<HttpRedirect> Redirects);

[Description("A probe: status against expectation, timings, certificate.")]
public sealed record HttpProbeResult(
    string Url,
    int Status,
    [property: Description("The status matched expect= (default 2xx and 3xx).")] bool Expected,
    string HttpVersion,
    HttpTimings Timings,
    HttpTlsInfo? Tls,
    [property: Description("Days until the server certificate expires; null for http://.")] int? CertDaysLeft,
    long BodyBytes,
    [property: Resh.Core.Model.NotItems] IReadOnlyList<HttpRedirect> Redirects);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HttpResult))]
[JsonSerializable(typeof(HttpDownloadResult))]
[JsonSerializable(typeof(HttpProbeResult))]
internal sealed partial class HttpJson : JsonSerializerContext;
