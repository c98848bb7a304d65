using System.Buffers;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Output;
using Resh.Handles.Ssh.Hosts;

namespace Resh.Handles.Ssh.Fleet;

/// <summary>
/// Runs one operation on many hosts, at most <c>--forks</c> (default 20) at a time. Under
/// <c>--format ndjson</c> each host's envelope is printed the moment it finishes; the fleet envelope
/// then follows with the summary. Otherwise the fleet envelope holds every host's envelope, in the
/// order the hosts were named. It is ok only when every host succeeded; else its error is
/// <c>partial</c> (exit 9) and its result still says what each host did.
/// </summary>
public static class FanOut
{
    public const int DefaultForks = 20;

    /// <summary>Phases in which resh never got to run anything on the host (Ansible's "unreachable"); no_answer is an agent:// host that never answered.</summary>
    static readonly HashSet<string> UnreachablePhases = ["connect", "hostkey", "auth", "config", "no_answer"];

    public static async Task<Envelope> RunAsync(VerbContext ctx, IReadOnlyList<HostTarget> hosts, string handle, string verb, string target,
        Func<HostTarget, string> hostTarget, Func<HostTarget, Task<Envelope>> perHost, int? forks = null)
    {
        var clock = Stopwatch.StartNew();
        var stream = ctx.Format == OutputFormat.Ndjson;
        forks = Math.Max(1, forks ?? ctx.Runtime.Forks ?? DefaultForks); // agent:// passes the host count: its hosts all run at once on their own machines
        using var gate = new SemaphoreSlim(forks.Value);
        var results = new Envelope[hosts.Count];
        var tasks = hosts.Select(async (host, i) =>
        {
            await gate.WaitAsync(ctx.Cancellation).ConfigureAwait(false);
            try
            {
                results[i] = await RunOneAsync(ctx, host, handle, verb, hostTarget(host), perHost).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
            if (stream) ctx.Events.EmitEnvelope(results[i]);
        }).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Hosts still queued when --timeout or Ctrl-C fired: answer for them too.
            for (int i = 0; i < results.Length; i++)
                results[i] ??= Failed(hosts[i], handle, verb, hostTarget(hosts[i]), CancelError(ctx), 0);
        }

        return Summarize(ctx, results, handle, verb, target, stream, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// One host, with --retry applied to it alone: a host that fails transiently runs again on its own while the others
    /// go on (the fleet's own `partial` is never retried). Its envelope records the attempts.
    /// </summary>
    static async Task<Envelope> RunOneAsync(VerbContext ctx, HostTarget host, string handle, string verb, string target, Func<HostTarget, Task<Envelope>> perHost)
    {
        var envelope = await RunOnceAsync(ctx, host, handle, verb, target, perHost).ConfigureAwait(false);
        if (ctx.Retry is not { } retry) return envelope;
        var earlier = new List<string>();
        int attempt = 1;
        while (!envelope.Ok && envelope.Error is { } error && attempt <= retry.Retries && !ctx.Cancellation.IsCancellationRequested
               && RetryPolicy.MayRetry(error, ctx.Verb))
        {
            var wait = retry.Backoff(attempt, error);
            if (ctx.TimeRemaining is { } left && wait >= left) break; // never sleep past --timeout: this host keeps its last error
            var failure = $"{error.Code.ToWire()}: {error.Message}";
            earlier.Add($"Attempt {attempt} failed ({failure}); retried after {Resh.Core.Values.DurationValue.Format(wait)}.");
            ctx.Runtime.Log($"retry: {host.Alias}: attempt {attempt} of {retry.Retries + 1} failed ({failure}); retrying in {wait.TotalMilliseconds:0} ms");
            try
            {
                await Task.Delay(wait, ctx.Cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                envelope = Failed(host, handle, verb, target, CancelError(ctx), envelope.DurationMs);
                break;
            }
            attempt++;
            envelope = await RunOnceAsync(ctx, host, handle, verb, target, perHost).ConfigureAwait(false);
        }
        return envelope.WithAttempts(attempt, earlier);
    }

    static async Task<Envelope> RunOnceAsync(VerbContext ctx, HostTarget host, string handle, string verb, string target, Func<HostTarget, Task<Envelope>> perHost)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            return await perHost(host).ConfigureAwait(false);
        }
        catch (ReshException ex)
        {
            return Failed(host, handle, verb, target, ex.Error, clock.Elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException) when (ctx.Cancellation.IsCancellationRequested)
        {
            return Failed(host, handle, verb, target, CancelError(ctx), clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ctx.Runtime.Log($"ssh: {host.Alias}: {ex}");
            return Failed(host, handle, verb, target, ExceptionTranslation.ToError(ex, host.Alias), clock.Elapsed.TotalMilliseconds);
        }
    }

    static ReshError CancelError(VerbContext ctx) => ctx.TimedOut
        ? ReshError.Timeout("Gave up on this host when the --timeout elapsed.", "Raise --timeout, or run fewer hosts at once.")
        : ReshError.Interrupted("Interrupted before this host finished.", "Check the host for partial work.");

    public static Envelope Failed(HostTarget host, string handle, string verb, string target, ReshError error, double ms) => new()
    {
        Ok = false, Handle = handle, Verb = verb, Target = target, Host = host.Alias, Error = error, DurationMs = ms,
    };

    static Envelope Summarize(VerbContext ctx, Envelope[] results, string handle, string verb, string target, bool streamed, double totalMs)
    {
        int ok = 0, failed = 0, unreachable = 0, keyChanged = 0, changed = 0;
        var failedHosts = new JsonArray();
        var unreachableHosts = new JsonArray();
        var keyChangedHosts = new JsonArray();
        Envelope? slowest = null;
        foreach (var e in results)
        {
            if (e.Ok) ok++;
            else if (IsHostKeyChange(e))
            {
                // A changed host key may be a man-in-the-middle: never lumped in with hosts that are down.
                keyChanged++;
                keyChangedHosts.Add((JsonNode?)JsonValue.Create(e.Host));
            }
            else if (e.Error?.Details?["phase"] is JsonValue p && p.TryGetValue<string>(out var phase) && UnreachablePhases.Contains(phase))
            {
                unreachable++;
                unreachableHosts.Add((JsonNode?)JsonValue.Create(e.Host));
            }
            else
            {
                failed++;
                failedHosts.Add((JsonNode?)JsonValue.Create(e.Host));
            }
            if (e.Changed) changed++;
            if (slowest is null || e.DurationMs > slowest.DurationMs) slowest = e;
        }
        var summary = new JsonObject
        {
            ["hosts"] = results.Length,
            ["ok"] = ok,
            ["failed"] = failed,
            ["unreachable"] = unreachable,
            ["host_key_changed"] = keyChanged,
            ["changed"] = changed,
            ["slowest"] = slowest is null ? null : new JsonObject { ["host"] = slowest.Host, ["duration_ms"] = Math.Round(slowest.DurationMs, 2) },
            ["duration_ms"] = Math.Round(totalMs, 2),
        };
        var result = new JsonObject
        {
            // Under --format ndjson every host's envelope was already printed on its own line.
            ["hosts"] = streamed ? null : new JsonArray(results.Select(e => (JsonNode?)ToJson(e)).ToArray()),
            ["summary"] = summary,
        };
        ReshError? error = null;
        var bad = failed + unreachable + keyChanged;
        if (bad > 0 && ctx.Cancellation.IsCancellationRequested && !ctx.TimedOut)
        {
            // Ctrl-C (or SIGTERM) stopped the fleet: the answer says so and exits 130, as a single call and a pipeline do
            // (docs/pipelines.md D8); result.hosts still says what each host did (s43 #7).
            error = ReshError.Interrupted($"Interrupted: {bad} of {results.Length} hosts did not finish or failed.",
                "Check the hosts for partial work: " + (streamed ? "each host's envelope is on its own line above." : "each host's envelope is in result.hosts."),
                new JsonObject { ["failed"] = failedHosts, ["unreachable"] = unreachableHosts, ["host_key_changed"] = keyChangedHosts });
        }
        else if (bad > 0)
        {
            var keyNote = keyChanged > 0 ? $", {keyChanged} with a changed host key" : "";
            error = new ReshError(ErrorCode.Partial,
                $"{bad} of {results.Length} hosts failed ({unreachable} unreachable{keyNote}).",
                keyChanged > 0
                    ? "A changed host key can mean a man-in-the-middle: check those hosts' fingerprints out of band before trusting them (resh ssh://HOST.hostkey.trust replace=true)."
                    : streamed ? "Each host's envelope is on its own line above; look at those with ok false." : "Each host's envelope is in result.hosts; look at those with ok false.",
                new JsonObject { ["failed"] = failedHosts, ["unreachable"] = unreachableHosts, ["host_key_changed"] = keyChangedHosts });
        }
        return new Envelope
        {
            Ok = bad == 0, Handle = handle, Verb = verb, Target = target, Changed = changed > 0, DryRun = ctx.DryRun,
            ResultNode = result, Error = error, DurationMs = totalMs, Mutating = ctx.Verb.Effect != Resh.Core.Model.Effect.Read,
            // The table view: one row per host (JSON, YAML and ndjson print ResultNode as it is).
            Result = result, ResultType = SshJson.Default.JsonNode, Human = (o, w) => w.Write(FleetTable.Render(o)),
        };
    }

    static bool IsHostKeyChange(Envelope e) =>
        e.Error?.Details is { } d && d["phase"] is JsonValue p && p.TryGetValue<string>(out var phase) && phase == "hostkey"
        && d["reason"] is JsonValue r && r.TryGetValue<string>(out var reason) && reason == "changed";

    /// <summary>An envelope as the JSON object it prints as.</summary>
    public static JsonObject ToJson(Envelope e)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        EnvelopeJson.Write(buffer, e, indented: false);
        return (JsonObject)JsonNode.Parse(buffer.WrittenSpan)!;
    }
}
