using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Transport.Http;
using Resh.Surfaces.Mcp;

namespace Resh.Surfaces.Serve;

/// <summary>
/// `resh serve`: the REST API over <see cref="BoundedHttpServer"/> (no ASP.NET Core: its type data would be paid at
/// every resh start under Native AOT). Declared as a verb of the hidden resh handle, run by ReshApp as a server surface.
/// </summary>
public static class ServeCommand
{
    static readonly Arg<string?> Listen = Arg.String("listen", "ADDRESS:PORT to listen on; loopback unless TLS is configured (or --allow-plaintext).", "127.0.0.1:8080",
        examples: ["127.0.0.1:8080", "[::1]:8080", "0.0.0.0:8443"]);
    static readonly Arg<string?> TlsCert = Arg.String("tls_cert", "PEM certificate (chain first) to serve HTTPS with; the key may be in it or in --tls-key.", path: PathUse.Read);
    static readonly Arg<string?> TlsKey = Arg.String("tls_key", "PEM private key of --tls-cert (unencrypted).", path: PathUse.Read);
    static readonly Arg<string?> ClientCa = Arg.String("client_ca",
        "PEM root certificate(s) of client certificates (mTLS): a client may present one chaining to them, named to a role in [serve.clients]; needs --tls-cert.", path: PathUse.Read);
    static readonly Arg<bool> AllowPlaintext = Arg.Bool("allow_plaintext",
        "Listen on a non-loopback address without TLS (tokens then cross the network in clear: only behind a TLS proxy on a trusted network).");
    static readonly Arg<long?> MaxConnections = Arg.Int("max_connections", "Connections served at once; one more is answered 503.", 256, min: 1, max: 65536);
    static readonly Arg<long?> MaxPerClient = Arg.Int("max_per_client", "Connections served at once from one client address; one more is answered 503.", 64, min: 1, max: 65536);

    static readonly Arg<bool> Mcp = Arg.Bool("mcp",
        "Also serve MCP (Streamable HTTP) at /mcp on the same listener: the same tokens, each token's role as the tool policy, audited with surface mcp-http.");
    static readonly Arg<IReadOnlyList<string>> McpOrigin = Arg.List("mcp_origin",
        "Web origins (https://host[:port]) whose pages may call /mcp; requests with any other Origin but loopback are refused (403). Repeat the flag for more.");

    /// <summary>How long SIGTERM waits for the calls in flight before it interrupts them.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static VerbInfo Declaration() => VerbInfo.Define("serve", Effect.Mutate,
        "Serve every verb over a REST API (POST /v1/call, OpenAPI at /openapi.json) with API tokens, roles and an audit trail.",
        [Listen, TlsCert, TlsKey, ClientCa, AllowPlaintext, MaxConnections, MaxPerClient, Mcp, McpOrigin], () => ServeJson.Default.ServeResult,
        _ => ReshError.Usage("serve runs as a server until it is stopped.", "resh serve --listen 127.0.0.1:8080"),
        notes: "Every /v1 route and /metrics needs an identity: `Authorization: Bearer TOKEN` (resh token create), `Authorization: Basic` checked by LDAP ([serve.ldap], over TLS), " +
               "or a client certificate (--client-ca, [serve.clients]); /healthz and /openapi.json do not. [serve] rate = \"N/s\" limits requests per identity (429). " +
               "A call is allowed only when its token's role ([roles.NAME] in the config file: allow, deny, read_only) grants it: deny by default. " +
               "Every call, allowed or refused, is appended to the audit trail with identity token:NAME and surface rest. " +
               "The HTTP status follows the envelope's error code (usage 400, permission_denied 403, not_found 404, conflict 409, unsupported 422, failed 500, unavailable 503, timeout 504; 401 for a missing or refused token). " +
               "--mcp adds MCP's Streamable HTTP transport at /mcp (Mcp-Session-Id sessions, answers as JSON or server-sent events) with the same identity and role checks. " +
               "--dry-run makes every call a dry run; --timeout bounds each call. Tokens and roles are re-read when their files change (and roles on SIGHUP), so the next request uses them. " +
               "SIGTERM or SIGINT stops accepting and lets the calls in flight finish (at most 30 s, then they are interrupted); the server exits 0. See docs/serve.md.",
        examples:
        [
            new("serve --listen 127.0.0.1:8080", "The REST API on loopback."),
            new("serve --mcp --listen 127.0.0.1:8080", "The REST API and an MCP server (Streamable HTTP) at http://127.0.0.1:8080/mcp."),
            new("serve --listen 0.0.0.0:8443 --tls-cert /etc/resh/tls.pem --tls-key /etc/resh/tls.key", "HTTPS on every address."),
        ]);

    public static async Task<int> RunAsync(SurfaceStart start, string version)
    {
        var inv = start.Invocation;
        BoundedHttpServer server;
        RestHandler handler;
        try
        {
            var endPoint = ParseListen(inv.Args!.Get(Listen)!);
            var certificate = LoadCertificate(inv.Args.Get(TlsCert), inv.Args.Get(TlsKey));
            if (certificate is null && !IPAddress.IsLoopback(endPoint.Address) && !inv.Args.Get(AllowPlaintext))
                throw ReshError.Usage($"{endPoint} is not a loopback address, and without TLS the API tokens would cross the network in clear.",
                    "Give --tls-cert (and --tls-key), or --allow-plaintext behind a TLS proxy, or listen on 127.0.0.1.").ToException();
            var clientPolicy = ClientPolicy(inv.Args.Get(ClientCa), certificate is not null);
            // Roles, clients and LDAP group mappings come from this file: another user who can change it must not grant
            // themselves (s41 review, as for the agent's config: OwnedStateDir.CheckTrustedFile).
            if (start.Runtime.Config.Path is { } configPath) Resh.Core.Config.OwnedStateDir.CheckTrustedFile(configPath, "serve config file");
            Resh.Core.Audit.AuditTrail.RequireKept(start.Runtime.Paths, "serve"); // not a silent loss of every call's record (s43 F5)
            Identity.ServeAuthenticator auth;
            Identity.RateLimiter? limiter;
            try
            {
                auth = Identity.ServeAuthenticator.Create(start.Runtime.Config, start.Runtime, clientPolicy is not null, inv.Args.Get(AllowPlaintext));
                limiter = Identity.RateLimiter.FromConfig(start.Runtime.Config);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or System.Text.Json.JsonException)
            {
                throw ReshError.Usage($"The [serve] tables of the config file cannot be read: {ExceptionTranslation.OneLine(e.Message)}", "See docs/serve.md for [serve], [serve.clients] and [serve.ldap].").ToException();
            }
            var clientCa = clientPolicy is not null;
            var allowPlaintext = inv.Args.Get(AllowPlaintext);
            handler = new RestHandler(start.Registry, start.Runtime, version, inv.Globals.DryRun, inv.Globals.Timeout, auth, limiter,
                config => Identity.ServeAuthenticator.Create(config, start.Runtime, clientCa, allowPlaintext))
            {
                Notice = line => { lock (start.IO.Stderr) start.IO.Stderr.WriteLine(line); },
            };
            if (inv.Args.Get(Mcp)) handler.MountMcp(IPAddress.IsLoopback(endPoint.Address), inv.Args.Get(McpOrigin));
            else if (inv.Args.Get(McpOrigin).Count > 0) throw ReshError.Usage("--mcp-origin needs --mcp.", "Add --mcp to serve MCP at /mcp.").ToException();
            var limits = new HttpServerLimits
            {
                MaxConnections = (int)inv.Args.Get(MaxConnections)!.Value,
                MaxPerClient = (int)inv.Args.Get(MaxPerClient)!.Value,
                DefaultMaxBody = RestHandler.MaxCallBody,
                MaxRequestsPerConnection = 1000, // keep-alive: an MCP session's POSTs and a REST client's calls reuse one connection
            };
            try { server = BoundedHttpServer.Listen(endPoint, limits, handler, certificate, clientPolicy); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw ReshError.Conflict($"{endPoint} is already in use.", "Stop the other listener or choose another port (--listen 127.0.0.1:PORT).").ToException();
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AccessDenied)
            {
                throw ReshError.PermissionDenied($"Not allowed to listen on {endPoint}.", "Ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port above 1023.").ToException();
            }
            catch (SocketException e)
            {
                throw ReshError.Unavailable($"Cannot listen on {endPoint}: {e.Message}.", "Check that the address belongs to this machine.").ToException();
            }
        }
        catch (ReshException ex)
        {
            var env = Envelope.Failure(ex.Error, "resh", "serve", "", inv.Globals.DryRun);
            var bytes = McpToolCall.EnvelopeBytes(env);
            start.IO.Stdout.Write(bytes);
            start.IO.Stdout.WriteByte((byte)'\n');
            start.IO.Stdout.Flush();
            return env.ExitStatus;
        }

        // SIGINT/SIGTERM drain: stop accepting at once, let the calls in flight finish for up to DrainTimeout, then
        // interrupt them; a second signal interrupts at once (s37 user #18). SIGHUP re-reads the roles.
        using var stop = new CancellationTokenSource();
        using var interrupt = new CancellationTokenSource();
        void Stop()
        {
            if (stop.IsCancellationRequested) { interrupt.Cancel(); return; }
            lock (start.IO.Stderr) start.IO.Stderr.WriteLine($"resh serve: stopping; calls in flight get up to {DrainTimeout.TotalSeconds:0} s to finish (a second signal interrupts them)");
            stop.Cancel();
            interrupt.CancelAfter(DrainTimeout);
        }
        PosixSignalRegistration? sigint = null, sigterm = null, sighup = null;
        if (start.IO.HandleSignals)
        {
            sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Stop(); });
            sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Stop(); });
            sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; handler.ReloadRoles(); });
        }
        using var sweep = new Timer(_ => handler.FlushRefusals(false), null, RefusalAudit.Window, RefusalAudit.Window);
        var scheme = server.Tls ? "https" : "http";
        lock (start.IO.Stderr) start.IO.Stderr.WriteLine($"resh serve: listening on {scheme}://{Format(server.LocalEndPoint)}{(inv.Globals.DryRun ? " (dry-run)" : "")}{(handler.Mcp is not null ? $"; MCP at {scheme}://{Format(server.LocalEndPoint)}{McpHttpTransport.Endpoint}" : "")}");
        try
        {
            using (server) await server.RunAsync(stop.Token, interrupt.Token).ConfigureAwait(false);
            if (handler.Mcp is { } mcp) await mcp.CloseAllAsync(start.CancelGrace).ConfigureAwait(false);
        }
        finally
        {
            sigint?.Dispose();
            sigterm?.Dispose();
            sighup?.Dispose();
            handler.FlushRefusals(true);
        }
        return 0;
    }

    static string Format(IPEndPoint ep) => ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";

    /// <summary>ADDRESS:PORT ([::1]:8080 for IPv6; `localhost` is 127.0.0.1).</summary>
    public static IPEndPoint ParseListen(string text)
    {
        var t = text.Trim();
        if (t.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)) t = "127.0.0.1" + t["localhost".Length..];
        if (!IPEndPoint.TryParse(t, out var ep) || t.LastIndexOf(':') < 0 || (ep.AddressFamily == AddressFamily.InterNetworkV6 && !t.StartsWith('[')))
            throw ReshError.Usage($"--listen `{(text.Length > 80 ? text[..80] : text)}` is not ADDRESS:PORT.", "Examples: 127.0.0.1:8080, [::1]:8080, 0.0.0.0:8443").ToException();
        return ep;
    }

    /// <summary>mTLS: the chain a client certificate must pass (only the --client-ca roots, clientAuth usage, no revocation fetch).</summary>
    static X509ChainPolicy? ClientPolicy(string? caPath, bool tls)
    {
        if (caPath is null) return null;
        if (!tls) throw ReshError.Usage("--client-ca needs TLS.", "Give --tls-cert (and --tls-key) with --client-ca.").ToException();
        var trust = Resh.Core.Endpoints.TlsTrust.Create(Path.GetFullPath(caPath), false);
        var roots = trust.ChainPolicy()!.CustomTrustStore;
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(roots);
        policy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2")); // clientAuth (a certificate with no EKU extension passes)
        return policy;
    }

    static X509Certificate2? LoadCertificate(string? cert, string? key)
    {
        if (cert is null)
        {
            if (key is not null) throw ReshError.Usage("--tls-key needs --tls-cert.", "Give --tls-cert FILE.pem with --tls-key FILE.key.").ToException();
            return null;
        }
        cert = Path.GetFullPath(cert);
        key = key is null ? null : Path.GetFullPath(key);
        foreach (var f in key is null ? [cert] : new[] { cert, key })
            if (!File.Exists(f)) throw ReshError.NotFound($"{f} does not exist.", "--tls-cert and --tls-key name PEM files.").ToException();
        try { return X509Certificate2.CreateFromPemFile(cert, key); }
        catch (UnauthorizedAccessException) { throw ReshError.PermissionDenied($"Cannot read {key ?? cert}.", "The key must be readable by the user resh runs as.").ToException(); }
        catch (CryptographicException e)
        {
            throw ReshError.Usage($"Cannot load the certificate and key: {ExceptionTranslation.OneLine(e.Message)}",
                "--tls-cert is a PEM certificate (chain first); --tls-key its unencrypted PEM private key (or both in --tls-cert).").ToException();
        }
    }
}

/// <summary>The declared result of `resh serve` (it never answers with one: it serves until stopped).</summary>
public sealed record ServeResult(string Listen);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServeResult))]
[JsonSerializable(typeof(TokenCreateResult))]
[JsonSerializable(typeof(ServeInstallResult))]
[JsonSerializable(typeof(TokenListResult))]
[JsonSerializable(typeof(TokenEntry))]
[JsonSerializable(typeof(TokenFile))]
[JsonSerializable(typeof(string))]
internal sealed partial class ServeJson : JsonSerializerContext;
