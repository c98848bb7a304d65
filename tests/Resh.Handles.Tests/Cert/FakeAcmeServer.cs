using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Resh.Handles.Tests.Network;

namespace Resh.Handles.Tests.CertScheme;

using File = System.IO.File;

/// <summary>
/// A hostile ACME server for one test (Kestrel, HTTPS on loopback with a certificate from a CA made here): it speaks
/// enough RFC 8555 for resh's client (directory, nonces, account, order, authorizations, challenges, finalize) and
/// lies where a test says so: <see cref="Prove"/> turns each ordered name into the identifier its authorization
/// names. It never issues: finalizing leads to an invalid order. Every request is recorded (method and path).
/// </summary>
public sealed class FakeAcmeServer : IDisposable
{
    readonly WebApplication _app;
    readonly ConcurrentDictionary<int, bool> _answered = new();
    List<string> _ordered = [];
    bool _finalized;

    public string Dir { get; } = Directory.CreateTempSubdirectory("resh-fakeacme-").FullName;
    public int Port { get; } = NetTestKit.FreePort();
    public string CaPem => Path.Combine(Dir, "ca.pem");
    public string DirectoryUrl => $"https://127.0.0.1:{Port}/dir";
    string Base => $"https://127.0.0.1:{Port}";

    /// <summary>The identifier an authorization names for an ordered name (default: the name itself, honest).</summary>
    public Func<string, string> Prove { get; init; } = name => name;

    public ConcurrentQueue<string> Requests { get; } = new();

    public FakeAcmeServer()
    {
        var cert = MakeCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port, o => o.UseHttps(cert)));
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        try { _app.StopAsync().Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        ((IDisposable)_app).Dispose();
        Directory.Delete(Dir, recursive: true);
    }

    async Task HandleAsync(HttpContext c)
    {
        var path = c.Request.Path.Value ?? "/";
        Requests.Enqueue(c.Request.Method + " " + path);
        c.Response.Headers["Replay-Nonce"] = Guid.NewGuid().ToString("N");
        var payload = c.Request.Method == "POST" ? await PayloadAsync(c.Request) : null;
        var parts = path.Trim('/').Split('/');
        switch (parts[0])
        {
            case "dir":
                await Json(c, 200, new JsonObject { ["newNonce"] = Base + "/nonce", ["newAccount"] = Base + "/account", ["newOrder"] = Base + "/order" });
                break;
            case "nonce":
                c.Response.StatusCode = 200;
                break;
            case "account":
                c.Response.Headers.Location = Base + "/acct/1";
                await Json(c, 201, new JsonObject { ["status"] = "valid" });
                break;
            case "order" when parts.Length == 1:
                _ordered = payload?["identifiers"]?.AsArray().Select(i => i!["value"]!.GetValue<string>()).ToList() ?? [];
                c.Response.Headers.Location = Base + "/order/1";
                await Json(c, 201, Order("pending"));
                break;
            case "order":
                await Json(c, 200, Order(_finalized ? "invalid" : "pending"));
                break;
            case "authz":
                var i = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                if (payload?["status"]?.GetValue<string>() == "deactivated") { await Json(c, 200, new JsonObject { ["status"] = "deactivated" }); break; }
                var name = _ordered[i];
                var wildcard = name.StartsWith("*.", StringComparison.Ordinal);
                await Json(c, 200, new JsonObject
                {
                    ["status"] = _answered.ContainsKey(i) ? "valid" : "pending",
                    ["identifier"] = new JsonObject { ["type"] = "dns", ["value"] = Prove(wildcard ? name[2..] : name) },
                    ["wildcard"] = wildcard,
                    ["challenges"] = new JsonArray(
                        new JsonObject { ["type"] = "http-01", ["url"] = $"{Base}/chall/{i}", ["token"] = "tok" + i, ["status"] = "pending" },
                        new JsonObject { ["type"] = "dns-01", ["url"] = $"{Base}/chall/{i}", ["token"] = "tok" + i, ["status"] = "pending" }),
                });
                break;
            case "chall":
                _answered[int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)] = true;
                await Json(c, 200, new JsonObject { ["status"] = "processing" });
                break;
            case "finalize":
                _finalized = true;
                await Json(c, 200, Order("processing"));
                break;
            default:
                await Json(c, 404, new JsonObject { ["type"] = "urn:ietf:params:acme:error:malformed", ["detail"] = "no such resource" });
                break;
        }
    }

    JsonObject Order(string status) => new()
    {
        ["status"] = status,
        ["authorizations"] = new JsonArray([.. _ordered.Select((_, i) => (JsonNode)JsonValue.Create($"{Base}/authz/{i}"))]),
        ["finalize"] = Base + "/finalize/1",
        ["error"] = status == "invalid" ? new JsonObject { ["detail"] = "this test CA never issues" } : null,
    };

    static async Task<JsonObject?> PayloadAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var b64 = (JsonNode.Parse(await reader.ReadToEndAsync()) as JsonObject)?["payload"]?.GetValue<string>();
        if (string.IsNullOrEmpty(b64)) return null;
        var s = b64.Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
        return JsonNode.Parse(Convert.FromBase64String(s)) as JsonObject;
    }

    static async Task Json(HttpContext c, int status, JsonObject body)
    {
        c.Response.StatusCode = status;
        c.Response.ContentType = status >= 400 ? "application/problem+json" : "application/json";
        await c.Response.WriteAsync(body.ToJsonString());
    }

    X509Certificate2 MakeCertificate()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=resh fake ACME CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caReq.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));
        File.WriteAllText(CaPem, ca.ExportCertificatePem());
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = req.Create(ca, now.AddDays(-1), now.AddDays(1), [9, 8, 7, 6]);
        using var withKey = leaf.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
