using System.Text;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using NATS.Client.Core;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Surfaces.Mcp;

namespace Resh.Agent;

/// <summary>
/// `resh agent --config FILE`: a long-running surface like `resh serve`, on NATS instead of HTTP. It answers discovery on
/// resh.agent.discover with its host name and facts, and runs the signed calls on resh.agent.call that name it
/// (<see cref="AgentServer"/>). SIGTERM drains; NATS.Net reconnects, and every connection event is one line on stderr.
/// </summary>
public static class AgentCommand
{
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static VerbInfo Declaration() => VerbInfo.Define("agent", Effect.Mutate,
        "Run as a resh agent on NATS: answer discovery with this host's facts and run signed calls from trusted callers (agent://).",
        [], () => AgentJson.Default.AgentServeResult,
        _ => ReshError.Usage("agent runs as a service until it is stopped.", "resh agent --config /etc/resh/agent.toml"),
        notes: "The config file's [agent] table names the NATS server(s) (url or urls), credentials as secret references (user and password, token, " +
               "nkey = a seed, or creds = a .creds file), tls and ca, this agent's host name (default: the machine's), roles and labels (its facts, with os and arch), " +
               "and the trusted callers: [agent.callers.NAME] key = \"ed25519:...\" (from `resh agent key create`) and role = a [roles.NAME] table " +
               "(allow, deny, read_only: the same roles and the same check as `resh serve`; deny by default). " +
               "A call must be signed by a trusted key, unexpired (at most 5 minutes, 30 s of clock skew), never seen before (its id is remembered until it expires) " +
               "and name this host. Verbs that run programs or command lines (proc.spawn, secret.exec, lock.run, cron.add, svc.create, ssh://, plugins) are refused unless exec = true. " +
               "Every call, run or refused, is in the audit trail with surface agent and identity agent:CALLER. --dry-run makes every call a dry run. " +
               "SIGTERM or SIGINT stops taking calls and lets those in flight finish (at most 30 s); their answers are flushed to NATS before it exits. " +
               "SIGHUP reads the config file again (callers, roles, exec, facts; a file that no longer reads refuses every call until fixed). " +
               "The native binary then becomes a small front holding the NATS connection (same PID); the full resh runs as its worker while calls come and exits after " +
               "[agent] worker_idle (default 30 s) without one (RESH_AGENT_FRONT=0 keeps one process). See docs/agent.md for the protocol and the front.",
        examples:
        [
            new("agent --config /etc/resh/agent.toml", "Serve calls from NATS with the settings of that file."),
            new("agent --config agent.toml --dry-run", "Answer every call as a dry run."),
        ]);

    public static async Task<int> RunAsync(SurfaceStart start, string version)
    {
        var inv = start.Invocation;
        var stderr = start.IO.Stderr;
        IReadOnlyList<string> hidden = [];
        // One line per event; a URL's password never shows, and control characters (a claimed caller name, a NATS
        // message) are escaped so a log viewer's terminal is not driven by them (s39 attacker #8).
        void Log(string line)
        {
            foreach (var h in hidden) line = line.Replace(h, "***", StringComparison.Ordinal);
            line = Resh.Core.Text.TerminalText.Escape(line); // one event is one line, and no byte drives a terminal
            lock (stderr) stderr.WriteLine("resh agent: " + line);
        }
        // Behind the front (AgentFront): the messages come on standard input, the answers go to standard output.
        if (Environment.GetEnvironmentVariable(AgentWorker.Variable) == "1") return await AgentWorker.RunAsync(start, Log).ConfigureAwait(false);
        AgentSettings settings;
        NatsOpts opts;
        NatsConnection nats;
        try
        {
            // Callers, roles and exec come from this file: another user who can change it must not grant themselves (s41 attacker #5).
            if (start.Runtime.Config.Path is { } configPath) Resh.Core.Config.OwnedStateDir.CheckTrustedFile(configPath, "agent config file");
            Resh.Core.Audit.AuditTrail.RequireKept(start.Runtime.Paths, "agent"); // not a silent loss of every call's record (s43 F5)
            settings = AgentSettings.Read(start.Runtime.Config);
            hidden = settings.UrlSecrets();
            if (settings.Callers.Count == 0) Log("warning: no [agent.callers] in the config file, so every call is refused");
            opts = settings.Nats(start.Runtime, "resh-agent " + settings.Host, reconnectForever: true, CancellationToken.None) with { RetryOnInitialConnect = false };
            nats = new NatsConnection(opts);
            nats.ConnectionDisconnected += (_, e) => { Log($"disconnected from NATS ({e.Message}); reconnecting"); return ValueTask.CompletedTask; };
            nats.ConnectionOpened += (_, e) => { Log($"connected to NATS ({e.Message})"); return ValueTask.CompletedTask; };
            nats.ReconnectFailed += (_, e) => { Log($"reconnect failed ({e.Message})"); return ValueTask.CompletedTask; };
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await nats.ConnectAsync().AsTask().WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException)
            {
                _ = nats.DisposeAsync().AsTask();
                throw ReshError.Unavailable($"Cannot connect to NATS at {settings.ShownUrls}: {AgentLog.Hide(ExceptionTranslation.OneLine(e.Message), settings.UrlSecrets())}",
                    "Check [agent] url, the credentials and that nats-server runs; the agent exits so its service manager restarts it.").ToException();
            }
        }
        catch (ReshException ex)
        {
            var env = Envelope.Failure(ex.Error, "resh", "agent", "", inv.Globals.DryRun);
            start.IO.Stdout.Write(McpToolCall.EnvelopeBytes(env));
            start.IO.Stdout.WriteByte((byte)'\n');
            start.IO.Stdout.Flush();
            return env.ExitStatus;
        }
        var ready = $"{settings.Host} ready on {settings.ShownUrls} (exec {(settings.Exec ? "allowed" : "refused")}, {settings.Callers.Count} trusted callers{(inv.Globals.DryRun ? ", dry-run" : "")})";

        // The connection answered: this process becomes the small front (the big image leaves memory), unless it cannot.
        if (start.IO.HandleSignals)
        {
            var launch = AgentFrontLaunch.Prepare(start, settings, opts, ready, hidden, out var why);
            if (launch is not null)
            {
                await nats.DisposeAsync().ConfigureAwait(false);
                why = launch.Exec(); // returns only when the exec failed
                opts = opts with { RetryOnInitialConnect = true }; // it answered a moment ago
                nats = new NatsConnection(opts);
                nats.ConnectionDisconnected += (_, e) => { Log($"disconnected from NATS ({e.Message}); reconnecting"); return ValueTask.CompletedTask; };
                nats.ConnectionOpened += (_, e) => { Log($"connected to NATS ({e.Message})"); return ValueTask.CompletedTask; };
                nats.ReconnectFailed += (_, e) => { Log($"reconnect failed ({e.Message})"); return ValueTask.CompletedTask; };
                await nats.ConnectAsync().ConfigureAwait(false);
            }
            Log($"the agent runs in one process: {why}");
        }

        var server = new AgentServer(start.Registry, start.Runtime, settings, inv.Globals.DryRun, Log);
        if (nats.ServerInfo?.MaxPayload is > 0 and var max) server.MaxAnswer = (int)Math.Min(max, int.MaxValue);
        nats.ConnectionOpened += (_, _) => { if (nats.ServerInfo?.MaxPayload is > 0 and var m) server.MaxAnswer = (int)Math.Min(m, int.MaxValue); return ValueTask.CompletedTask; };
        var dispatch = new AgentDispatch(server, settings.MaxCalls, Log, async (reply, answer) =>
        {
            if (answer is null || reply is null) return;
            try { await nats.PublishAsync(reply, answer).ConfigureAwait(false); }
            catch (Exception e) when (e is NatsException or OperationCanceledException) { Log($"could not send an answer: {e.Message}"); }
        });
        using var stop = new CancellationTokenSource();
        void Stop()
        {
            if (stop.IsCancellationRequested) { dispatch.Interrupt(); return; }
            Log($"stopping; calls in flight get up to {DrainTimeout.TotalSeconds:0} s to finish (a second signal interrupts them)");
            stop.Cancel();
            dispatch.InterruptAfter(DrainTimeout);
        }
        PosixSignalRegistration? sigint = null, sigterm = null, sighup = null;
        if (start.IO.HandleSignals)
        {
            sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Stop(); });
            sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; Stop(); });
            // SIGHUP re-reads the callers and roles (systemctl reload); the connection stays.
            sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; server.Reload(); });
        }
        using var sweep = new Timer(_ => server.FlushRefusals(false), null, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));
        try
        {
            await using var discover = await nats.SubscribeCoreAsync<byte[]>(AgentWire.DiscoverSubject, cancellationToken: stop.Token).ConfigureAwait(false);
            await using var calls = await nats.SubscribeCoreAsync<byte[]>(AgentWire.CallSubject, cancellationToken: stop.Token).ConfigureAwait(false);
            await using var cancels = await nats.SubscribeCoreAsync<byte[]>(AgentCancel.Subject, cancellationToken: stop.Token).ConfigureAwait(false);
            Log(ready);
            var discoverLoop = Task.Run(async () =>
            {
                await foreach (var msg in discover.Msgs.ReadAllAsync(stop.Token).ConfigureAwait(false))
                    if (msg.ReplyTo is not null && msg.Data is not null) await dispatch.DiscoverAsync(msg.Data, msg.ReplyTo).ConfigureAwait(false);
            });
            var cancelLoop = Task.Run(async () =>
            {
                await foreach (var msg in cancels.Msgs.ReadAllAsync(stop.Token).ConfigureAwait(false)) dispatch.Cancel(msg.Data);
            });
            await dispatch.RunCallsAsync(Messages(calls, stop.Token), stop.Token).ConfigureAwait(false);
            await discoverLoop.ConfigureAwait(false);
            await cancelLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        finally
        {
            await dispatch.DrainAsync(DrainTimeout + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            sigint?.Dispose();
            sigterm?.Dispose();
            sighup?.Dispose();
            server.FlushRefusals(true);
            // Disposing closes the socket first and drops pending writes: an answer published by a call that finished while
            // draining would be lost. A PING goes out after every queued write and its PONG comes back once the server has
            // them (NATS.Net 2+ has no FlushAsync; this is its flush).
            try
            {
                using var flush = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await nats.PingAsync(flush.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException) { Log($"could not flush the last answers to NATS: {e.Message}"); }
            await nats.DisposeAsync().ConfigureAwait(false);
            Log("stopped");
        }
        return 0;
    }

    static async IAsyncEnumerable<(byte[] Data, string? Reply)> Messages(INatsSub<byte[]> sub, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var msg in sub.Msgs.ReadAllAsync(ct).ConfigureAwait(false)) yield return (msg.Data ?? [], msg.ReplyTo);
    }
}

/// <summary>What the agent's log lines may not carry as they are (control characters: TerminalText.Escape).</summary>
public static class AgentLog
{
    /// <summary>The text with every secret replaced by ***.</summary>
    public static string Hide(string text, IReadOnlyList<string> secrets)
    {
        foreach (var h in secrets) text = text.Replace(h, "***", StringComparison.Ordinal);
        return text;
    }
}

/// <summary>The declared result of `resh agent` (it never answers with one: it serves until stopped).</summary>
public sealed record AgentServeResult(string Host);

/// <summary>`resh agent key create`: where the private key went and the line agents trust it by.</summary>
public sealed record AgentKeyResult(string Name, string PublicKey, string Path, string ConfigLines);

/// <summary>`agent://FILTER.discover`: the agents that answered, with their facts.</summary>
public sealed record AgentDiscoverResult(IReadOnlyList<AgentFound> Agents, int Count);

public sealed record AgentFound(string Host, System.Text.Json.Nodes.JsonObject Facts);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AgentServeResult))]
[JsonSerializable(typeof(AgentKeyResult))]
[JsonSerializable(typeof(AgentDiscoverResult))]
[JsonSerializable(typeof(Resh.Surfaces.Serve.ServeInstallResult))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))]
internal sealed partial class AgentJson : JsonSerializerContext;
