using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Transport.Http;

namespace Resh.Handles.Net.Webhook;

public static class WebhookListen
{
    public static readonly VerbInfo Verb = VerbInfo.Define("listen", Effect.Mutate,
        "Serve webhooks over HTTP(S): verify signatures (github, gitlab, generic), refuse replays and big bodies, run a stage per accepted delivery and answer with a receipt envelope.",
        [WebhookArgs.Secret, WebhookArgs.Style, WebhookListenArgs.Action, WebhookListenArgs.ActionArgs, WebhookListenArgs.MaxBody, WebhookListenArgs.Window,
            WebhookListenArgs.Remember, WebhookListenArgs.Count, WebhookListenArgs.Route, WebhookListenArgs.Cert, WebhookListenArgs.Key,
            WebhookListenArgs.MaxConnections, WebhookListenArgs.MaxPerClient, WebhookListenArgs.HeaderTimeout, WebhookListenArgs.BodyTimeout],
        () => WebhookJson.Default.WebhookListenResult, RunAsync,
        streams: true,
        examples:
        [
            new("webhook://127.0.0.1:9000/deploy.listen secret=env:HOOK_SECRET style=github action=file:///srv/last-deploy.write 'with:={\"content\":\"{{payload.after}}\"}'",
                "Write the pushed commit of each signed GitHub delivery to a file; a tampered, replayed or oversized one is refused."),
            new("webhook://0.0.0.0:8443.listen cert=/etc/ssl/hook.pem key=/etc/ssl/hook.key", "Serve every [webhook.NAME] route of the config over HTTPS."),
            new("webhook://127.0.0.1:9000/ci.listen secret=env:HOOK_SECRET count=1 --timeout 10m", "Wait for one signed delivery and print its payload as an event."),
        ],
        notes: "As a service (run as root): `resh svc://resh-webhook.create restart=always user=resh -- /usr/bin/resh webhook://0.0.0.0:9000.listen` serves the config's routes. " +
            "Every answer is a JSON envelope. 200: a receipt (ok, changed, and result route, delivery_id, status); the action's own envelope (a diff, paths) is never sent back, it is in the listener's `delivery` event. " +
            "4xx/5xx: an error envelope: 400 usage (a malformed request, or the payload's values refused by the action), 401 bad or missing signature, 404 no such route, 405 not POST, " +
            "408 head or body too slow (timeout), 409 replay (a delivery id or signature seen before, or a generic timestamp outside window=), 413 body over max_body or chunked in more than 4096 chunks, " +
            "414/431 request line or head too large, 503 too many connections (max_connections=, max_per_client= per client address) or the action met a busy or unreachable backend, 502 the action failed otherwise " +
            "(after a failed action the delivery id is forgotten, so the sender may retry); the failed action's code is in the error, its message only in the listener's output. " +
            "Actions run one at a time, in arrival order. Accepted delivery ids and signatures are fsync'd to the state dir before the action runs; listeners of the same path share them (under a lock), so a delivery sent to two runs once. " +
            "A generic delivery is told apart by its signature as well as its id (the id is not signed): the same signed timestamp and body under a new id is a replay. " +
            "remember= must be at least window=; a github or gitlab delivery (no timestamp) would be accepted again after remember=. " +
            "Every request is a `delivery` NDJSON event (status, route, delivery id, remote, the action's envelope; never a credential header); without action= an accepted one is also a `payload` event. " +
            "Routes: the target's path with the arguments, or (target without a path) every [webhook.NAME] table: path, secret, style, action, with (args is its old name), max_body, window. " +
            "Runs until count=, --timeout or SIGTERM (normal ends: the counts, status 0); Ctrl-C ends it as interrupted (130).",
        targetHelp: "ADDRESS:PORT[/PATH]: 127.0.0.1:9000/deploy serves /deploy; 0.0.0.0:9000 serves the config's routes.");

    static async ValueTask<Outcome<WebhookListenResult>> RunAsync(VerbContext ctx)
    {
        var target = WebhookListenTarget.Parse(ctx.Target);
        var defaults = new WebhookRoute.RouteDefaults(ctx.Get(WebhookArgs.Style)!, ctx.Get(WebhookListenArgs.MaxBody)!.Value,
            ctx.Get(WebhookListenArgs.Window)!.Value, ctx.Get(WebhookListenArgs.Remember)!.Value);
        var routes = WebhookRoute.Build(ctx, target, defaults);
        try
        {
            var certificate = LoadCertificate(ctx);
            var scheme = certificate is null ? "http" : "https";
            var infos = routes.Select(r => new WebhookRouteInfo(r.Name, r.Path, r.Style, r.Action?.Stage, r.MaxBody)).ToList();
            var url = $"{scheme}://{target.EndPoint}";
            if (ctx.DryRun)
            {
                certificate?.Dispose();
                ctx.Warn($"Dry run: nothing listens on {url}.");
                return Outcome.Unchanged(new WebhookListenResult(url, infos, 0, 0, 0, 0, "dry_run"));
            }
            if (certificate is null && !System.Net.IPAddress.IsLoopback(target.EndPoint.Address))
                ctx.Warn("Serving plain http:// beyond loopback: payloads (and a gitlab token) cross the network unencrypted; give cert= and key=.");
            var limits = new HttpServerLimits
            {
                MaxConnections = (int)ctx.Get(WebhookListenArgs.MaxConnections)!.Value,
                MaxPerClient = (int)ctx.Get(WebhookListenArgs.MaxPerClient)!.Value,
                HeadTimeout = ctx.Get(WebhookListenArgs.HeaderTimeout)!.Value,
                BodyTimeout = ctx.Get(WebhookListenArgs.BodyTimeout)!.Value,
            };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
            var receiver = new WebhookReceiver(ctx, routes, ctx.Get(WebhookListenArgs.Count), () => { try { stop.Cancel(); } catch (ObjectDisposedException) { } });
            BoundedHttpServer server;
            try { server = BoundedHttpServer.Listen(target.EndPoint, limits, receiver, certificate); }
            catch (SocketException e)
            {
                certificate?.Dispose();
                return e.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => ReshError.Conflict($"{target.EndPoint} is already in use.", "Stop what listens there (net://127.0.0.1.ports shows it) or pick another port."),
                    SocketError.AccessDenied => ReshError.PermissionDenied($"Not allowed to listen on {target.EndPoint}.", "Ports below 1024 need root or CAP_NET_BIND_SERVICE; pick a port above 1023."),
                    SocketError.AddressNotAvailable => ReshError.Usage($"{target.EndPoint.Address} is not an address of this host.", "Listen on 127.0.0.1, 0.0.0.0 or an address net://.addresses lists."),
                    _ => ReshError.Failed($"Cannot listen on {target.EndPoint}: {ExceptionTranslation.OneLine(e.Message)}", null),
                };
            }
            using (server)
            {
                url = $"{scheme}://{server.LocalEndPoint}";
                ctx.Events.Emit("listening", new System.Text.Json.Nodes.JsonObject { ["url"] = url, ["routes"] = new System.Text.Json.Nodes.JsonArray(routes.Select(r => (System.Text.Json.Nodes.JsonNode?)r.Path).ToArray()) });
                await server.RunAsync(stop.Token).ConfigureAwait(false);
            }
            // SIGTERM (systemctl stop) is a normal end with the counts, status 0; Ctrl-C (SIGINT) stays `interrupted`, 130.
            var ended = ctx.Cancellation.IsCancellationRequested ? (ctx.TimedOut ? "timeout" : ctx.Terminated ? "terminated" : "interrupted") : "count";
            if (ended == "interrupted") ctx.Cancellation.ThrowIfCancellationRequested();
            return Outcome.Changed(new WebhookListenResult(url, infos, receiver.Requests, receiver.Accepted, receiver.Refused, receiver.ActionFailed, ended),
                receiver.Accepted > 0 && routes.Any(r => r.Action is not null));
        }
        finally
        {
            foreach (var r in routes) r.Dispose();
        }
    }

    static X509Certificate2? LoadCertificate(VerbContext ctx)
    {
        var cert = ctx.Get(WebhookListenArgs.Cert);
        var key = ctx.Get(WebhookListenArgs.Key);
        if (cert is null)
        {
            if (key is not null) throw ReshError.Usage("key= needs cert=.", "Give cert=FILE.pem with key=FILE.key.").ToException();
            return null;
        }
        cert = Path.GetFullPath(cert);
        key = key is null ? null : Path.GetFullPath(key);
        foreach (var f in key is null ? [cert] : new[] { cert, key })
            if (!File.Exists(f)) throw ReshError.NotFound($"{f} does not exist.", "cert= and key= name PEM files.").ToException();
        try
        {
            return X509Certificate2.CreateFromPemFile(cert, key);
        }
        catch (UnauthorizedAccessException) { throw ReshError.PermissionDenied($"Cannot read {key ?? cert}.", "The key must be readable by the user resh runs as.").ToException(); }
        catch (CryptographicException e)
        {
            throw ReshError.Usage($"Cannot load the certificate and key: {ExceptionTranslation.OneLine(e.Message)}",
                "cert= is a PEM certificate (chain first); key= its unencrypted PEM private key (or both in cert=).").ToException();
        }
    }
}
