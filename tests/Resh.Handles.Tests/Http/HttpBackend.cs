using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using Resh.Handles.Tests.Network;
using Xunit;

namespace Resh.Handles.Tests.Http;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>
/// A real HTTP server (Kestrel) on loopback, started once for the http collection: HTTP/1.1 on Plain,
/// HTTPS with HTTP/1.1 and HTTP/2 (ALPN) on Tls, with a certificate from a test CA made here, and h2c
/// (HTTP/2 prior knowledge) on H2c. Its routes serve what the tests need: redirects, chunked and
/// compressed bodies, large and ranged bodies, a connection cut half way, slow answers and auth.
/// </summary>
public sealed class HttpBackend : IDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentDictionary<string, int> _hits = new();

    public string Dir { get; } = Path.Combine("/tmp", "resh-http-" + Guid.NewGuid().ToString("N")[..10]);
    public int Plain { get; } = NetTestKit.FreePort();
    public int Tls { get; }
    public int H2c { get; }
    public string CaPem => Path.Combine(Dir, "test-ca.pem");
    public string ClientCertPem => Path.Combine(Dir, "client.pem");
    public string ClientKeyPem => Path.Combine(Dir, "client.key");
    public string Http => $"http://127.0.0.1:{Plain}";
    public string Https => $"https://127.0.0.1:{Tls}";
    public const string Text = "The quick brown fox jumps over the lazy dog. ";

    public HttpBackend()
    {
        Directory.CreateDirectory(Dir);
        File.SetUnixFileMode(Dir, (UnixFileMode)0x1ed); // 0755: the unprivileged tests read the CA
        Tls = NetTestKit.FreePort();
        H2c = NetTestKit.FreePort();
        var serverCert = MakeCertificates();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, Plain, o => o.Protocols = HttpProtocols.Http1);
            k.Listen(IPAddress.Loopback, Tls, o =>
            {
                o.Protocols = HttpProtocols.Http1AndHttp2;
                o.UseHttps(serverCert, h =>
                {
                    h.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    h.AllowAnyClientCertificate();
                });
            });
            k.Listen(IPAddress.Loopback, H2c, o => o.Protocols = HttpProtocols.Http2);
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        try { _app.StopAsync().Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        ((IDisposable)_app).Dispose();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }

    /// <summary>The deterministic content of /big.bin and /cut (byte i = i mod 251).</summary>
    public static void Fill(Span<byte> buffer, long offset)
    {
        for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)((offset + i) % 251);
    }

    public static string Sha256Of(long size)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[1 << 20];
        for (long off = 0; off < size; off += buf.Length)
        {
            var n = (int)Math.Min(buf.Length, size - off);
            Fill(buf.AsSpan(0, n), off);
            sha.AppendData(buf, 0, n);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    X509Certificate2 MakeCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=resh test CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caReq.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        File.WriteAllText(CaPem, ca.ExportCertificatePem());

        var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = req.Create(ca, now.AddDays(-1), now.AddDays(20), [1, 2, 3, 4]);
        var withKey = leaf.CopyWithPrivateKey(serverKey);
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);

        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var creq = new CertificateRequest("CN=resh client", clientKey, HashAlgorithmName.SHA256);
        creq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var client = creq.Create(ca, now.AddDays(-1), now.AddDays(20), [5, 6, 7, 8]);
        File.WriteAllText(ClientCertPem, client.ExportCertificatePem());
        File.WriteAllText(ClientKeyPem, clientKey.ExportPkcs8PrivateKeyPem());
        return server;
    }

    static long? RangeStart(HttpRequest req)
    {
        var r = req.Headers.Range.ToString();
        return r.StartsWith("bytes=", StringComparison.Ordinal) && r.EndsWith('-') && long.TryParse(r[6..^1], out var s) ? s : null;
    }

    static async Task ServeBytes(HttpContext ctx, long size, long? cutAt = null)
    {
        var start = RangeStart(ctx.Request) ?? 0;
        if (start >= size && size > 0)
        {
            ctx.Response.StatusCode = 416;
            ctx.Response.Headers.ContentRange = $"bytes */{size}";
            return;
        }
        ctx.Response.ContentType = "application/octet-stream";
        ctx.Response.Headers.AcceptRanges = "bytes";
        if (start > 0)
        {
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers.ContentRange = $"bytes {start}-{size - 1}/{size}";
        }
        ctx.Response.ContentLength = size - start;
        var buf = new byte[256 * 1024];
        for (long off = start; off < size;)
        {
            var n = (int)Math.Min(buf.Length, size - off);
            if (cutAt is { } cut && off + n > cut) n = (int)(cut - off);
            Fill(buf.AsSpan(0, n), off);
            await ctx.Response.Body.WriteAsync(buf.AsMemory(0, n));
            off += n;
            if (cutAt is { } c && off >= c)
            {
                await ctx.Response.Body.FlushAsync();
                await Task.Delay(50);
                ctx.Abort();
                return;
            }
        }
    }

    async Task HandleAsync(HttpContext ctx)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        var path = req.Path.Value ?? "/";
        var q = req.Query;
        int Int(string key, int dflt) => int.TryParse(q[key], out var v) ? v : dflt;
        switch (path)
        {
            case "/health":
                res.ContentType = "application/json";
                await res.WriteAsync("{\"status\":\"ok\"}");
                return;
            case "/close":
                // Answers and closes the connection (like `openssl s_server -www` or an HTTP/1.0 server).
                res.Headers.Connection = "close";
                res.ContentType = "application/json";
                await res.WriteAsync("{\"status\":\"closing\"}");
                return;
            case "/api/items":
            case "/echo":
            {
                using var ms = new MemoryStream();
                await req.Body.CopyToAsync(ms);
                var body = ms.ToArray();
                var headers = new JsonObject();
                foreach (var h in req.Headers) headers[h.Key.ToLowerInvariant()] = h.Value.ToString();
                var o = new JsonObject
                {
                    ["method"] = req.Method,
                    ["protocol"] = req.Protocol,
                    ["query"] = req.QueryString.Value ?? "",
                    ["headers"] = headers,
                    ["content_type"] = req.ContentType,
                    ["body"] = body.Length <= 64 * 1024 ? Encoding.UTF8.GetString(body) : null,
                    ["body_length"] = body.Length,
                    ["body_sha256"] = Convert.ToHexStringLower(SHA256.HashData(body)),
                    ["client_cert"] = ctx.Connection.ClientCertificate?.Subject,
                };
                if (path == "/api/items" && req.Method == "POST")
                {
                    res.StatusCode = 201;
                    o["id"] = 1;
                    try { o["item"] = JsonNode.Parse(body); } catch (JsonException) { }
                }
                res.ContentType = "application/json";
                await res.WriteAsync(o.ToJsonString());
                return;
            }
            case "/redirect-to":
                res.StatusCode = Int("status", 302);
                res.Headers.Location = q["url"].ToString();
                return;
            case "/text":
                res.ContentType = "text/plain; charset=utf-8";
                res.ContentLength = Encoding.UTF8.GetByteCount(Text);
                await res.WriteAsync(Text);
                return;
            case "/binary":
            {
                res.ContentType = "application/octet-stream";
                var b = new byte[256];
                for (int i = 0; i < 256; i++) b[i] = (byte)i;
                await res.Body.WriteAsync(b);
                return;
            }
            case "/chunked":
                res.ContentType = "text/plain";
                for (int i = 0; i < 20; i++)
                {
                    await res.WriteAsync($"chunk {i}\n");
                    await res.Body.FlushAsync();
                }
                return;
            case "/gzip" or "/br" or "/zstd" or "/deflate":
            {
                var plain = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Text, 200)));
                var accepted = req.Headers.AcceptEncoding.ToString();
                var enc = path[1..];
                res.ContentType = "text/plain; charset=utf-8";
                if (!accepted.Contains(enc, StringComparison.Ordinal))
                {
                    await res.Body.WriteAsync(plain);
                    return;
                }
                var ms = new MemoryStream();
                await using (Stream z = enc switch
                {
                    "gzip" => new GZipStream(ms, CompressionLevel.Fastest, true),
                    "deflate" => new ZLibStream(ms, CompressionLevel.Fastest, true),
                    "br" => new BrotliStream(ms, CompressionLevel.Fastest, true),
                    _ => new ZstdSharp.CompressionStream(ms, 3, leaveOpen: true),
                })
                    await z.WriteAsync(plain);
                res.Headers.ContentEncoding = enc;
                await res.Body.WriteAsync(ms.ToArray());
                return;
            }
            case "/big.bin":
                await ServeBytes(ctx, Int("size", 4 << 20));
                return;
            case "/cut":
            {
                var key = q["key"].ToString();
                var hit = _hits.AddOrUpdate("cut:" + key, 1, (_, n) => n + 1);
                await ServeBytes(ctx, Int("size", 4 << 20), hit <= Int("cuts", 1) ? Int("at", 1 << 20) : null);
                return;
            }
            case "/flaky":
            {
                var hit = _hits.AddOrUpdate("flaky:" + q["key"], 1, (_, n) => n + 1);
                if (hit <= Int("fail", 2))
                {
                    res.StatusCode = 503;
                    res.Headers.RetryAfter = "0";
                    await res.WriteAsync("busy");
                    return;
                }
                await res.WriteAsync($"ok after {hit}");
                return;
            }
            case "/hits":
                await res.WriteAsync(_hits.TryGetValue(q["key"].ToString(), out var count) ? count.ToString() : "0");
                return;
            case "/slow":
                await Task.Delay(Int("ms", 3000), ctx.RequestAborted).ContinueWith(_ => { });
                if (!ctx.RequestAborted.IsCancellationRequested) await res.WriteAsync("slow");
                return;
            case "/auth/basic":
            {
                var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("test:testpw"));
                if (req.Headers.Authorization.ToString() != expected)
                {
                    res.StatusCode = 401;
                    res.Headers.WWWAuthenticate = "Basic realm=\"resh\"";
                    await res.WriteAsync("who are you?");
                    return;
                }
                await res.WriteAsync("welcome");
                return;
            }
            case "/status":
                res.StatusCode = Int("code", 500);
                res.ContentType = "text/plain";
                await res.WriteAsync($"status {res.StatusCode} body");
                return;
            default:
                res.StatusCode = 404;
                await res.WriteAsync("no such page: " + path);
                return;
        }
    }
}

[CollectionDefinition("http")]
public sealed class HttpCollection : ICollectionFixture<HttpBackend>;
