using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Grammar;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Registry;
using Resh.Core.Text;
using Resh.Handles.Ssh.Fleet;
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Remote;

namespace Resh.Agent;

/// <summary>
/// agent:// — the caller's side. <c>agent://FILTER/STAGE</c> runs any stage on the agents the filter selects: the inner
/// stage is resolved and its arguments checked here (as ssh:// does), the agents are found by discovery (unless the
/// filter is a host list), one signed request goes out on NATS, and their envelopes come back as ssh://'s fleet
/// envelope (partial, --format ndjson). <c>agent://FILTER.discover</c> lists the agents that match.
/// </summary>
public static class AgentHandle
{
    const string Notes =
        "`agent://FILTER/STAGE` runs any stage of any handle on every resh agent (`resh agent --config FILE` on each host) the filter selects, over NATS. " +
        "FILTER: `*` (all), `@ROLE` or `role=ROLE`, `label.KEY=VALUE`, `os=linux`, `arch=x64`, a value with alternatives (`role=web,db`), terms joined by `+` that must all hold " +
        "(`@web+label.dc=fra`), or a host list `web01,web02` (or `host=web01,web02`: no discovery, exactly those hosts). " +
        "The inner stage's arguments are checked here; secret-typed arguments are refused (the request reaches every agent). " +
        "Discovery gathers answers until [agent] discover_wait (default 2s) or until no new agent answered for discover_idle (default 300ms) after the first. " +
        "The request is signed with the caller's Ed25519 key ([agent] key: a name from `resh agent key create`, or a secret reference) and names the exact hosts; " +
        "each agent checks the signature, expiry, replay and its role before it runs anything. The call waits for every named host until --timeout " +
        "(else [agent] timeout, default 30s); hosts that did not answer are `unreachable` in a `partial` fleet envelope. " +
        "One host named answers with its own envelope; several with the fleet envelope of ssh:// (result.hosts, result.summary); --format ndjson streams each host's envelope. " +
        "Config: [agent] url or urls, user, password, token, nkey, creds, tls, ca, key, caller (the name agents know the key by; default the key's name). See docs/agent.md.";

    static readonly VerbInfo Discover = VerbInfo.Define("discover", Effect.Read,
        "List the agents a filter selects, with their facts (host, os, arch, roles, labels).", [], () => AgentJson.Default.AgentDiscoverResult,
        ctx => DiscoverVerbAsync(ctx),
        examples: [new("'agent://*.discover'", "Every agent connected to the NATS server of [agent]."), new("agent://@web.discover --format table", "The agents with the role web.")]);

    public static HandleInfo Create(HandleRegistry registry) => new("agent",
        "Fleets over NATS: run any stage on the resh agents a filter selects, with signed requests checked against each agent's roles.",
        "FILTER — * | @ROLE | role=R | label.K=V | os=OS | arch=A | host1,host2 (terms joined by +); then /STAGE to run it there (agent://@web/system://.uptime)",
        [Discover])
    {
        Resolver = request => Resolve(registry, request),
        Notes = Notes,
    };

    static StageResolution? Resolve(HandleRegistry registry, StageResolveRequest request)
    {
        var body = request.Body;
        var slash = body.IndexOf('/');
        if (slash < 0) return null;
        var rest = body[(slash + 1)..];
        if (!StageParser.LooksLikeStage(rest) && (rest.Length == 0 || !rest.Contains("://", StringComparison.Ordinal))) return null;
        var filterText = body[..slash];
        AgentFilter.Parse(filterText); // a bad filter is a usage error before anything connects
        var inner = StageParser.Parse(rest);
        var handle = registry.Find(inner.Scheme);
        if (handle is null || handle.Hidden)
            throw ReshError.Usage($"Unknown handle {inner.Scheme}:// in the agent stage.",
                Suggest.Hint(inner.Scheme, registry.Visible.Select(h => h.Scheme), suffix: "://") ?? "Run `resh handles` to list them.").ToException();
        if (handle.Scheme == "agent") throw ReshError.Usage("An agent stage cannot hold another agent:// stage.", "Name the filter once: agent://FILTER/STAGE.").ToException();
        var resolution = VerbResolver.Resolve(handle, inner.Body, request.NextWord);
        var innerVerb = resolution.Verb;
        if (innerVerb.Streams)
            throw ReshError.Unsupported($"{innerVerb.FullName} streams, and an agent call answers once.", "Run it over ssh:// instead, or without follow.").ToException();
        var verb = VerbInfo.Define(innerVerb.Name, innerVerb.Effect, innerVerb.Summary, innerVerb.Args.ToArray(), () => AgentJson.Default.JsonNode,
            ctx => RunAsync(ctx, handle, innerVerb, filterText, resolution.RawTarget), preferredFormat: innerVerb.PreferredFormat);
        _ = new HandleInfo(handle.Scheme, handle.Summary, handle.TargetHelp, [verb]); // argument errors name file.read, not read
        return new StageResolution(verb, $"{filterText}/{inner.Scheme}://{resolution.RawTarget}", resolution.ConsumedNextWord);
    }

    static async ValueTask<Outcome<AgentDiscoverResult>> DiscoverVerbAsync(VerbContext ctx)
    {
        var filter = AgentFilter.Parse(ctx.RawTarget.Length == 0 ? "*" : ctx.RawTarget);
        var settings = AgentSettings.Read(ctx.Runtime.Config);
        await using var nats = await ConnectAsync(settings, ctx).ConfigureAwait(false);
        var found = await DiscoverAsync(nats, filter, settings, ctx).ConfigureAwait(false);
        return new AgentDiscoverResult(found.Select(f => new AgentFound(f.Host, f.Facts)).ToArray(), found.Count);
    }

    static async Task<NatsConnection> ConnectAsync(AgentSettings settings, VerbContext ctx)
    {
        var nats = new NatsConnection(settings.Nats(ctx.Runtime, "resh", reconnectForever: false, ctx.Cancellation));
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            await nats.ConnectAsync().AsTask().WaitAsync(cts.Token).ConfigureAwait(false);
            return nats;
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException)
        {
            await nats.DisposeAsync().ConfigureAwait(false);
            ctx.Cancellation.ThrowIfCancellationRequested();
            throw ReshError.Unavailable($"Cannot connect to NATS at {settings.ShownUrls}: {AgentLog.Hide(ExceptionTranslation.OneLine(e.Message), settings.UrlSecrets())}",
                "Check [agent] url and credentials in the config file, and that nats-server runs.", new JsonObject { ["phase"] = "connect" }).ToException();
        }
    }

    /// <summary>Agents that answer the filter: until discover_wait, or discover_idle after the last answer once one came.</summary>
    static async Task<List<(string Host, JsonObject Facts)>> DiscoverAsync(NatsConnection nats, AgentFilter filter, AgentSettings settings, VerbContext ctx, List<string>? duplicates = null)
    {
        // Agents read a discovery request of at most 4 KiB: a longer host list would be dropped by all of them, unanswered.
        if (filter.Text.Length > AgentFilter.MaxFilter)
            throw ReshError.Usage($"A host list of {filter.Text.Length:N0} characters is too long to discover (at most {AgentFilter.MaxFilter:N0}).",
                "Call the hosts directly (agent://HOSTS/STAGE reports those that do not answer), or discover by facts (agent://@web.discover).").ToException();
        var inbox = nats.NewInbox();
        await using var sub = await nats.SubscribeCoreAsync<byte[]>(inbox, cancellationToken: ctx.Cancellation).ConfigureAwait(false);
        await nats.PublishAsync(AgentWire.DiscoverSubject, Encoding.UTF8.GetBytes(new JsonObject { ["filter"] = filter.Text }.ToJsonString()), replyTo: inbox, cancellationToken: ctx.Cancellation).ConfigureAwait(false);
        var found = new List<(string, JsonObject)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var wait = ctx.TimeRemaining is { } left && left < settings.DiscoverWait ? left : settings.DiscoverWait;
        var end = DateTime.UtcNow + wait;
        while (true)
        {
            var remaining = end - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) break;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
            cts.CancelAfter(found.Count > 0 && settings.DiscoverIdle < remaining ? settings.DiscoverIdle : remaining);
            NatsMsg<byte[]> msg;
            try { msg = await sub.Msgs.ReadAsync(cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested) { break; }
            if (msg.Data is not { Length: > 0 and <= 65536 } data) continue;
            try
            {
                if (JsonNode.Parse(data) is JsonObject o && o["host"] is JsonValue h && h.GetValueKind() == JsonValueKind.String && AgentWire.ValidHost(h.GetValue<string>())
                    && o["facts"] is JsonObject facts)
                {
                    var host = h.GetValue<string>();
                    if (seen.Add(host)) found.Add((host, (JsonObject)facts.DeepClone()));
                    else if (duplicates is not null) { if (!duplicates.Contains(host)) duplicates.Add(host); }
                    else ctx.Warn($"Two agents answer as {host}; a call goes to the name, so both would run it. Give each agent its own [agent] host.");
                }
            }
            catch (JsonException) { }
        }
        found.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return found;
    }

    static async ValueTask<Outcome<JsonNode>> RunAsync(VerbContext ctx, HandleInfo handle, VerbInfo inner, string filterText, string innerRawTarget)
    {
        var filter = AgentFilter.Parse(filterText);
        var settings = AgentSettings.Read(ctx.Runtime.Config);
        if (settings.Key is null)
            return ReshError.Usage("The config file has no [agent] key, so the call cannot be signed.", "Create a key (resh agent key create name=NAME) and set [agent] key = \"NAME\".");
        var seed = AgentKeys.LoadPrivate(settings.Key, ctx.Runtime, ctx.Cancellation);
        var callerName = settings.CallerName ?? settings.Key;
        if (!AgentWire.ValidWord(callerName))
            return ReshError.Usage("[agent] key is a secret reference, so [agent] caller must name the caller as the agents know it.", "Add caller = \"NAME\" (the NAME of [agent.callers.NAME] on the agents).");
        var (argv, stdin) = ArgsForwarding.Encode(ctx.Args, inner, _ => false, "an agent",
            _ => throw ReshError.Unsupported("Secret arguments are not sent to agents: the request reaches every agent and the broker.", "Keep the secret on the hosts (secret://) and refer to it there.").ToException());
        JsonObject args;
        if (argv.Count == 0) args = [];
        else if (argv is ["--args", "-"] && stdin is not null) args = JsonNode.Parse(stdin) as JsonObject ?? [];
        else return ReshError.Unsupported("Binary arguments are not sent to agents.", "Pass text, or copy the file to the hosts first.");

        await using var nats = await ConnectAsync(settings, ctx).ConfigureAwait(false);
        var duplicates = new List<string>();
        var hosts = filter.Hosts ?? (await DiscoverAsync(nats, filter, settings, ctx, duplicates).ConfigureAwait(false)).Select(f => f.Host).ToArray();
        if (hosts.Count == 0)
            return ReshError.NotFound($"No agent answered for `{filterText}` within {DurationValue(settings.DiscoverWait)}.",
                "List the agents with resh 'agent://*.discover'; check their [agent] roles and labels, and that they run.");
        // Two agents with one name would both run the call and only one answer would count: an ambiguous target runs nothing (s39 user D3).
        if (duplicates.Count > 0)
            return ReshError.Conflict($"More than one agent answers as {string.Join(", ", duplicates)}, so a call to that name would run on each of them; nothing was run.",
                "Give each agent its own [agent] host (resh 'agent://*.discover' shows the names), then call again.", new JsonObject { ["duplicates"] = new JsonArray(duplicates.Select(d => (JsonNode?)d).ToArray()) });
        // Discovery knows only the agents that answered in time: one that is down is missing, not failed (s39 user D10).
        if (filter.Hosts is null)
            ctx.Warn($"Discovery found {hosts.Count} agent{(hosts.Count == 1 ? "" : "s")} for `{filterText}` within {DurationValue(settings.DiscoverWait)}; an agent that is down or did not answer in time is not in this call (name hosts to have a missing one reported).");
        // The wait ends a little before --timeout (a quarter, 200 ms to 1 s), so hosts that did not answer are reported as
        // unreachable instead of the whole call timing out; the request expires then too, which bounds the run on the agents.
        var deadline = settings.Timeout;
        if (ctx.TimeRemaining is { } left)
            deadline = left - TimeSpan.FromMilliseconds(Math.Clamp(left.TotalMilliseconds * 0.25, 200, 1000));
        if (deadline < TimeSpan.FromMilliseconds(100)) deadline = TimeSpan.FromMilliseconds(100);
        if (deadline > AgentWire.MaxLifetime) deadline = AgentWire.MaxLifetime;
        var now = DateTime.UtcNow;
        var lifetime = deadline;
        var inbox = nats.NewInbox();
        var request = new AgentWire.Request(AgentWire.NewId(), callerName, now, now + lifetime, hosts, filter.Text, inbox, $"{handle.Scheme}://{innerRawTarget}", inner.Name, args, ctx.DryRun);
        var target = $"{handle.Scheme}://{innerRawTarget}";

        var answers = hosts.ToDictionary(h => h, _ => new TaskCompletionSource<Envelope>(TaskCreationOptions.RunContinuationsAsynchronously), StringComparer.Ordinal);
        await using var sub = await nats.SubscribeCoreAsync<byte[]>(inbox, cancellationToken: ctx.Cancellation).ConfigureAwait(false);
        using var deadlineCts = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        deadlineCts.CancelAfter(deadline);
        var reader = Task.Run(async () =>
        {
            // Reads until the call is over (not only until every host answered): a second answer under one name is a warning, not lost.
            try
            {
                while (true)
                {
                    var msg = await sub.Msgs.ReadAsync(deadlineCts.Token).ConfigureAwait(false);
                    if (Reply(msg.Data, request.Id, inner, handle) is not { } got || !answers.TryGetValue(got.Host, out var tcs)) continue;
                    if (!tcs.TrySetResult(got.Envelope)) ctx.Warn($"A second agent answered as {got.Host} ({(got.Envelope.Ok ? "ok" : got.Envelope.Error?.Code.ToWire())}{(got.Envelope.Changed ? ", changed" : "")}): the call ran on more than one machine of that name, and the first answer is shown. Give each agent its own [agent] host.");
                }
            }
            catch (OperationCanceledException) { }
        });
        await nats.PublishAsync(AgentWire.CallSubject, AgentWire.Signed(request, seed), replyTo: inbox, cancellationToken: ctx.Cancellation).ConfigureAwait(false);
        var published = System.Diagnostics.Stopwatch.StartNew();

        async Task<Envelope> PerHost(HostTarget host)
        {
            try { return await answers[host.Alias].Task.WaitAsync(deadlineCts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (deadlineCts.IsCancellationRequested && (!ctx.Cancellation.IsCancellationRequested || ctx.TimedOut))
            {
                return FanOut.Failed(host, handle.Scheme, inner.Name, target, ReshError.Unavailable($"The agent {host.Alias} did not answer within {DurationValue(deadline)}.",
                    $"Check that resh agent runs on {host.Alias} and is connected to NATS (its stderr or journal); nothing is known about whether it ran.",
                    new JsonObject { ["phase"] = "no_answer", ["host"] = host.Alias }), deadline.TotalMilliseconds);
            }
        }

        try
        {
            var targets = hosts.Select(h => new HostTarget(h, h)).ToArray();
            if (filter.Hosts is { Count: 1 })
            {
                var one = await PerHost(targets[0]).ConfigureAwait(false);
                // Two agents claiming one name both run the call; the second answer must not go unseen. It comes about as late
                // as the first did after the call went out: wait that long again (50 ms to discover_idle) for it.
                if (answers[hosts[0]].Task.IsCompletedSuccessfully && !ctx.Cancellation.IsCancellationRequested)
                {
                    var grace = TimeSpan.FromMilliseconds(Math.Clamp(published.Elapsed.TotalMilliseconds, 50, Math.Max(50, settings.DiscoverIdle.TotalMilliseconds)));
                    if (ctx.TimeRemaining is { } rest && rest - TimeSpan.FromMilliseconds(100) < grace) grace = rest - TimeSpan.FromMilliseconds(100);
                    if (grace > TimeSpan.Zero)
                        try { await Task.Delay(grace, deadlineCts.Token).ConfigureAwait(false); }
                        catch (OperationCanceledException) { }
                }
                return Outcome.Forward<JsonNode>(one);
            }
            var fleet = await FanOut.RunAsync(ctx, targets, "agent", inner.Name, $"agent://{ctx.RawTarget}", _ => target, PerHost, forks: targets.Length).ConfigureAwait(false);
            return Outcome.Forward<JsonNode>(fleet);
        }
        finally
        {
            deadlineCts.Cancel();
            await reader.ConfigureAwait(false);
            // The caller stops waiting (SIGINT, SIGTERM, --timeout, the deadline): the agents still running it are told to cancel it.
            var unanswered = hosts.Where(h => !answers[h].Task.IsCompleted).ToArray();
            if (unanswered.Length > 0) await AgentCancel.PublishAsync(nats, request.Id, callerName, unanswered, seed, ctx.TimeRemaining, ctx.Warn).ConfigureAwait(false);
        }
    }

    /// <summary>An agent's answer to this call: its id must match and its host be one asked; an ok answer must be the verb asked.</summary>
    static (string Host, Envelope Envelope)? Reply(byte[]? data, string id, VerbInfo inner, HandleInfo handle)
    {
        if (data is null || data.Length == 0) return null;
        try
        {
            if (JsonNode.Parse(data) is not JsonObject o || o["id"] is not JsonValue iv || iv.GetValueKind() != JsonValueKind.String || iv.GetValue<string>() != id
                || o["host"] is not JsonValue hv || hv.GetValueKind() != JsonValueKind.String || o["envelope"] is not JsonObject envelope) return null;
            var host = hv.GetValue<string>();
            var env = RemoteEnvelope.TryParse(envelope.ToJsonString(), host, inner, false);
            if (env is null) return null;
            if (env.Ok && (env.Handle != handle.Scheme || env.Verb != inner.Name)) return null;
            return (host, env);
        }
        catch (JsonException) { return null; }
    }

    static string DurationValue(TimeSpan t) => Resh.Core.Values.DurationValue.Format(t);
}
