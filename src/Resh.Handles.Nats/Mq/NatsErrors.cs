using System.Text.Json.Nodes;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Resh.Core.Errors;

namespace Resh.Handles.Nats.Mq;

/// <summary>NATS client exceptions as envelopes: each with the server's words and a hint, never a stack trace.</summary>
static class NatsErrors
{
    public static ReshError Translate(Exception e, NatsServer server, bool timedOut)
    {
        var details = new JsonObject { ["server"] = server.Display };
        var where = server.Label;
        var text = Resh.Core.Errors.ExceptionTranslation.OneLine(e.Message);
        if (e is NatsNoRespondersException)
            return ReshError.Unavailable($"Nothing on {where} answered: JetStream is not enabled there, or the stream is gone.",
                "Start nats-server with JetStream (-js, with a store directory -sd DIR) and check the queue exists (mq://.../Q.create).", details);
        if (e is NatsJSApiException api)
        {
            details["code"] = api.Error.Code;
            details["err_code"] = api.Error.ErrCode;
            var desc = api.Error.Description ?? text;
            return api.Error.Code switch
            {
                404 => ReshError.NotFound($"{where}: {desc}.", "Create the queue first (create), or check its name.", details),
                400 when desc.Contains("already in use", StringComparison.OrdinalIgnoreCase) =>
                    ReshError.Conflict($"{where}: {desc}.", "A stream of that name exists with other settings (made outside resh?); use another queue name.", details),
                _ => ReshError.Failed($"The JetStream server {where} refused: {desc}.", "Check the server's log and limits (max_payload, storage).", details),
            };
        }
        if (timedOut || e is TimeoutException or NatsNoReplyException or OperationCanceledException)
            return ReshError.Timeout($"{where} did not answer in time.", $"Check that the server is up and reachable; raise timeout = \"10s\" in {server.Table}.", details);
        var inner = Inner(e);
        if (inner.Contains("Authorization Violation", StringComparison.OrdinalIgnoreCase) || inner.Contains("Authentication", StringComparison.OrdinalIgnoreCase))
            return ReshError.PermissionDenied($"{where} refused the user and password.", $"Check user and password (password = \"env:VAR\", \"secret:NAME\" or \"file:PATH\") of {server.Table}.", details);
        if (server.TlsForPassword && inner.Contains("TLS", StringComparison.OrdinalIgnoreCase))
            return ReshError.Unsupported($"{where} offers no TLS, and resh does not send a password in clear.",
                $"Enable TLS on the server (tls {{ cert_file, key_file }} in nats.conf) and set ca = \"PATH\", or write tls = \"off\" in {server.Table} to send the password in clear (loopback only).", details);
        if (e is NatsException or System.Net.Sockets.SocketException or IOException)
            return ReshError.Unavailable($"Cannot connect to NATS at {where}: {inner}.",
                "Check that nats-server runs there (with -js for JetStream) and the address and port are right.", details) with { NotSent = Resh.Core.Errors.ExceptionTranslation.NeverConnected(e) };
        return ReshError.Failed($"The NATS call to {where} failed: {text}", "Retry; check the server's log if it keeps failing.", details);
    }

    static string Inner(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return Resh.Core.Errors.ExceptionTranslation.OneLine(inner.Message).TrimEnd('.');
    }

    /// <summary>
    /// Runs one server call within the call's cancellation and a deadline (the server's timeout plus a second, or
    /// limit), turning client exceptions into envelopes and a hang into a timeout.
    /// </summary>
    public static async Task<T> Call<T>(Resh.Core.Execution.VerbContext ctx, NatsServer server, Func<CancellationToken, Task<T>> call, TimeSpan? limit = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        cts.CancelAfter(limit ?? server.Timeout + TimeSpan.FromSeconds(1));
        try
        {
            return await call(cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ReshException && IsCaught(e) && !ctx.Cancellation.IsCancellationRequested)
        {
            throw Translate(e, server, cts.IsCancellationRequested).ToException();
        }
    }

    public static bool IsCaught(Exception e) =>
        e is NatsException or System.Net.Sockets.SocketException or IOException or TimeoutException or OperationCanceledException;
}
