using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NATS.Client.Core;
using Resh.Core.Audit;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Registry;
using Resh.Surfaces.Mcp;
using Resh.Surfaces.Serve;

namespace Resh.Agent;

/// <summary>
/// The agent's side of a call: the message is opened, its signature checked against the trusted callers, its expiry
/// and id (replay cache), its host list, then the caller's role with the same check serve and MCP use
/// (<see cref="McpToolCall.Check"/>), and it runs through the same <see cref="Executor"/>. Every call is audited with
/// surface <c>agent</c> and identity <c>agent:CALLER</c>, refused ones too (floods of unverified, expired or replayed
/// messages coalesced per caller and minute, as serve's <see cref="RefusalAudit"/> does).
/// </summary>
public sealed partial class AgentServer
{
    static StdinSource NoStdin => StdinSource.Unavailable("An agent call has no standard input; @- is not available.", "Pass the value in the call's arguments.");

    readonly HandleRegistry _registry;
    readonly ReshRuntime _runtime;
    // Re-read on SIGHUP (Reload): callers, their roles, the [roles] tables, exec, facts. The connection keeps its settings.
    volatile AgentSettings _settings;
    volatile Resh.Core.Config.ReshConfig _rolesConfig;
    /// <summary>Set when the config file could not be read again: every call is refused until a reload succeeds (fail closed).</summary>
    volatile ReshError? _reloadError;
    readonly bool _forceDryRun;
    readonly ConcurrentDictionary<string, AuditTrail> _trails = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, DateTime> _seen = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, RefusalAudit> _floods = new(StringComparer.Ordinal);
    readonly Action<string> _log;
    /// <summary>When this agent started: a request issued before it is refused, so the in-memory replay cache holds across restarts.
    /// A worker behind the front (<see cref="Resume"/>) takes the front's start time.</summary>
    DateTime _started = DateTime.UtcNow;

    /// <summary>Told every call id this agent accepted, with its expiry (a worker reports them to the front, which keeps the replay cache).</summary>
    public Action<string, DateTime>? Verified { get; set; }
    public const int MaxSeen = 1_000_000;

    /// <summary>Refusals are logged one line per window, the others counted (a flood of junk adds a line per 10 s, not one per message).</summary>
    readonly CoalescedLog _refusalLog;
    /// <summary>Refusal answers sent: at most <see cref="RefusalAnswersPerSecond"/> a second (a flood is not answered message by message).</summary>
    readonly TokenBucket _refusalAnswers = new(RefusalAnswersPerSecond);
    public const int RefusalAnswersPerSecond = 20;
    /// <summary>At most this many audit trails kept open by identity; unverified identities beyond it share one.</summary>
    public const int MaxTrails = 1024;

    /// <summary>The largest answer the broker takes (its max_payload, told by the server on connect).</summary>
    public int MaxAnswer { get; set; } = 1 << 20;

    public AgentServer(HandleRegistry registry, ReshRuntime runtime, AgentSettings settings, bool forceDryRun, Action<string> log)
    {
        _refusalLog = new CoalescedLog(log, TimeSpan.FromSeconds(10));
        _registry = registry;
        _runtime = runtime;
        _settings = settings;
        // A worker whose config no longer parses gets the empty config here and refuses every call (RefuseAll): the runtime's
        // lazily read config throws again on every use (s43 user review: the worker died with a stack trace instead).
        try { _rolesConfig = runtime.Config; }
        catch (ReshException) { _rolesConfig = Resh.Core.Config.ReshConfig.Empty; }
        _forceDryRun = forceDryRun;
        _log = log;
    }

    public string Host => _settings.Host;

    /// <summary>A worker behind the front: the agent's start time and the ids earlier workers verified (the front kept them).</summary>
    public void Resume(DateTime started, IEnumerable<KeyValuePair<string, DateTime>> seen)
    {
        _started = started;
        foreach (var (id, until) in seen) _seen.TryAdd(id, until);
    }

    /// <summary>A worker whose config file does not read refuses every call until a SIGHUP reads it (as a failed reload does).</summary>
    public void RefuseAll(string why)
    {
        _reloadError = ReshError.Unavailable($"The agent {_settings.Host} could not read its config file, so it refuses every call until it is fixed: {why}",
            "Fix the agent's config file and send it SIGHUP.");
        _log(_reloadError.Message);
    }

    /// <summary>
    /// SIGHUP: reads the config file again, so that trusted callers, their roles, the [roles] grants, exec and the facts
    /// apply to the next call without a restart. A file that no longer reads refuses every call until it is fixed (an
    /// operator narrowing a grant must not keep the old one by a typo). The NATS connection ([agent] url, credentials,
    /// tls) and max_calls stay as they were started.
    /// </summary>
    public void Reload()
    {
        string? path;
        try { path = _runtime.Config.Path; }
        catch (ReshException) { path = null; } // a worker started on a config that did not read (it leaves on a reload instead)
        if (path is null) { _log("SIGHUP: no config file to read again"); return; }
        try
        {
            // The same owner/mode rule as at start: a file another user can change fails closed, like one that no longer parses.
            Resh.Core.Config.OwnedStateDir.CheckTrustedFile(path, "agent config file");
            var config = Resh.Core.Config.ReshConfig.Parse(path);
            var settings = AgentSettings.Read(config);
            if (settings.Host != _settings.Host) _log($"[agent] host changed to {settings.Host}; it takes effect at restart");
            _settings = settings.WithHost(_settings.Host);
            _rolesConfig = config;
            _reloadError = null;
            _log($"config re-read from {path}: {settings.Callers.Count} trusted callers, exec {(settings.Exec ? "allowed" : "refused")}");
        }
        catch (Exception e) when (e is ReshException or IOException or UnauthorizedAccessException)
        {
            var why = e is ReshException ex ? ex.Error.Message : ExceptionTranslation.OneLine(e.Message);
            _reloadError = ReshError.Unavailable($"The agent {_settings.Host} could not read its config file again, so it refuses every call until it is fixed: {why}",
                "Fix the agent's config file and send it SIGHUP again.");
            _log(_reloadError.Message);
        }
    }

    AuditTrail Trail(string identity)
    {
        if (_trails.TryGetValue(identity, out var trail)) return trail;
        // Claimed (unverified) names are the sender's choice: past the bound they share one trail, so memory stays bounded.
        if (_trails.Count >= MaxTrails && identity.StartsWith("agent-unverified:", StringComparison.Ordinal)) identity = "agent-unverified:?";
        return _trails.GetOrAdd(identity, id => new AuditTrail(_runtime.Paths, "agent", id));
    }

    RefusalAudit Flood(string kind) => _floods.GetOrAdd(kind, _ => new RefusalAudit(r => Trail(r.Identity).Append(r with { Surface = "agent", Args = new JsonObject { ["refused"] = kind, ["coalesced"] = r.Args["coalesced"]?.DeepClone() } })));

    public void FlushRefusals(bool all)
    {
        foreach (var f in _floods.Values) f.Flush(all);
        _refusalLog.Flush();
        var now = DateTime.UtcNow;
        foreach (var (id, until) in _seen)
            if (until < now - AgentWire.Skew) _seen.TryRemove(id, out _);
        SweepCancelled(now);
    }

    /// <summary>The answer to a discovery request, or null when this agent does not match (or the request is malformed).</summary>
    public byte[]? Discover(ReadOnlySpan<byte> message)
    {
        if (message.Length > 4096) return null;
        string? filterText;
        try
        {
            var reader = new Utf8JsonReader(message);
            filterText = JsonNode.Parse(ref reader) is JsonObject o && o["filter"] is JsonValue f && f.GetValueKind() == JsonValueKind.String ? f.GetValue<string>() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException) { filterText = null; }
        if (filterText is null) return null;
        AgentFilter filter;
        try { filter = AgentFilter.Parse(filterText); }
        catch (ReshException) { return null; }
        if (!filter.Matches(_settings.Host, _settings)) return null;
        var answer = new JsonObject { ["host"] = _settings.Host, ["facts"] = _settings.Facts() };
        return Encoding.UTF8.GetBytes(answer.ToJsonString());
    }

    /// <summary>
    /// A call message: null when it is not for this agent (its host list does not name it, or it cannot be read at all),
    /// else the answer (an envelope, refused or run) to send to the reply inbox.
    /// </summary>
    public async Task<byte[]?> CallAsync(byte[] message, string? replyTo, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        if (message.Length > _settings.MaxRequest)
        {
            _refusalLog.Note($"refused a call message of {message.Length} bytes (max_request {_settings.MaxRequest})");
            Flood("oversized").Refused("agent-unverified:?", null, "", clock.Elapsed.TotalMilliseconds, ErrorCode.Usage);
            return null;
        }
        if (AgentWire.Open(message, out var why) is not { } opened)
        {
            _refusalLog.Note($"ignored a malformed call message ({why})");
            Flood("malformed").Refused("agent-unverified:?", null, "", clock.Elapsed.TotalMilliseconds, ErrorCode.Usage);
            return null;
        }
        var (payload, sig) = opened;
        // Not yet trusted: read only to learn whether the message names this host and whom it claims to come from.
        var claimed = AgentWire.Parse(payload);
        if (claimed is null)
        {
            _refusalLog.Note("ignored a call message whose payload is not a request");
            Flood("malformed").Refused("agent-unverified:" + AgentWire.ClaimedCaller(payload), null, "", clock.Elapsed.TotalMilliseconds, ErrorCode.Usage);
            return null;
        }
        if (!claimed.Hosts.Contains(_settings.Host, StringComparer.Ordinal)) return null; // addressed to other agents
        var id = AgentWire.ValidId(claimed.Id) ? claimed.Id : "";
        byte[]? Refuse(string kind, string identity, ReshError error)
        {
            _refusalLog.Note($"refused call {Clip(claimed.Id)} from {Clip(claimed.Caller)}: {error.Message}");
            Flood(kind).Refused(identity, null, Clip(claimed.Stage), clock.Elapsed.TotalMilliseconds, error.Code);
            if (!_refusalAnswers.Take()) return null; // a flood: its refusals are audited and counted in the log, not answered one by one
            return Answer(id, Envelope.Failure(error, "resh", claimed.Verb ?? "", "", false, clock.Elapsed.TotalMilliseconds));
        }
        if (!_settings.Callers.TryGetValue(claimed.Caller, out var caller))
            return Refuse("unverified", "agent-unverified:" + (AgentWire.ValidWord(claimed.Caller) ? claimed.Caller : "?"),
                ReshError.PermissionDenied($"The caller `{Clip(claimed.Caller)}` is not trusted by the agent {_settings.Host}; nothing was run.",
                    $"Add its public key to the agent's config: [agent.callers.NAME] key = \"ed25519:...\" role = \"...\"."));
        if (!AgentKeys.Verify(caller.PublicKey, payload, sig))
            return Refuse("unverified", "agent-unverified:" + caller.Name,
                ReshError.PermissionDenied($"The request is not signed by {caller.Name}'s key; nothing was run.",
                    "Sign with the key whose public half is in the agent's [agent.callers] (resh agent key create)."));
        if (!string.Equals(claimed.Reply, replyTo, StringComparison.Ordinal))
        {
            // Signed for another inbox: a replay (or a relay) that would send the answer elsewhere. Not answered.
            _refusalLog.Note($"refused call {Clip(claimed.Id)} from {caller.Name}: its reply subject is not the one it was signed for");
            Flood("replayed").Refused("agent:" + caller.Name, null, Clip(claimed.Stage), clock.Elapsed.TotalMilliseconds, ErrorCode.PermissionDenied);
            return null;
        }
        AgentFilter signedFilter;
        try { signedFilter = AgentFilter.Parse(claimed.Filter); }
        catch (ReshException ex) { return Refuse("malformed", "agent:" + caller.Name, ex.Error); }
        if (!signedFilter.Matches(_settings.Host, _settings))
        {
            // Named in the hosts, yet not selected by the signed filter: the host list came from an unsigned discovery answer.
            _refusalLog.Note($"refused call {Clip(claimed.Id)} from {caller.Name}: the filter `{Clip(claimed.Filter)}` does not select {_settings.Host}");
            Flood("filter").Refused("agent:" + caller.Name, null, Clip(claimed.Stage), clock.Elapsed.TotalMilliseconds, ErrorCode.PermissionDenied);
            return null;
        }
        var now = DateTime.UtcNow;
        if (id.Length == 0)
            return Refuse("malformed", "agent:" + caller.Name, ReshError.Usage("The request id is not 32 hex digits; nothing was run.", "resh makes a random 128-bit id for every call."));
        var window = AgentWire.WindowOf(claimed.Issued, claimed.Expires, now);
        if (window == AgentWire.Window.TooLong)
            return Refuse("expired", "agent:" + caller.Name, ReshError.PermissionDenied($"The request would stay valid longer than {AgentWire.MaxLifetime.TotalMinutes:0} minutes; nothing was run.", "Lower [agent] timeout of the caller."));
        if (window == AgentWire.Window.Future)
            return Refuse("expired", "agent:" + caller.Name, ReshError.PermissionDenied("The request was issued in the future (beyond 30 s of clock skew); nothing was run.", "Synchronize the clocks of the caller and the agent (NTP)."));
        if (window == AgentWire.Window.Expired)
            return Refuse("expired", "agent:" + caller.Name, ReshError.PermissionDenied("The request has expired; nothing was run.", "Call again; check the clocks of the caller and the agent (NTP) if this repeats."));
        if (claimed.Issued < _started)
            return Refuse("replayed", "agent:" + caller.Name, ReshError.PermissionDenied("The request was issued before this agent started (a replay across a restart is refused); nothing was run.",
                "Call again; a caller whose clock runs behind the agent's must wait that long after an agent restart (NTP)."));
        if (_seen.Count >= MaxSeen) FlushRefusals(false);
        if (_seen.Count >= MaxSeen)
            return Refuse("replayed", "agent:" + caller.Name, ReshError.Unavailable("The agent's replay cache is full; nothing was run.", "Try again in a few minutes."));
        if (!_seen.TryAdd(id, claimed.Expires))
            return Refuse("replayed", "agent:" + caller.Name, ReshError.PermissionDenied($"The request {id} was seen before (a replay); nothing was run.", "Every call needs a new id: call again."));
        Verified?.Invoke(id, claimed.Expires);
        if (WasCancelled(caller.Name, id))
            return Refuse("cancelled", "agent:" + caller.Name, ReshError.Interrupted($"The caller cancelled the request {id} before it reached this agent; nothing was run.", "Call again."));
        // The run is bounded by the request's expiry (the caller stops waiting then); a clock behind the caller's still gets a second.
        var timeout = claimed.Expires - now;
        if (timeout < TimeSpan.FromSeconds(1)) timeout = TimeSpan.FromSeconds(1);
        var env = await RunAsync(caller, claimed, timeout, clock, ct).ConfigureAwait(false);
        _log($"call {id} from {caller.Name}: {env.Handle}.{env.Verb} {(env.Ok ? "ok" : env.Error?.Code.ToWire())}{(env.Changed ? " changed" : "")} in {env.DurationMs:0.00} ms{(WasCancelled(caller.Name, id) ? " (cancelled by the caller)" : "")}");
        return Answer(id, env);
    }

    byte[] Answer(string id, Envelope env)
    {
        var answer = AnswerBytes(id, env);
        // The broker drops a message over its max_payload, and the caller would wait for nothing: say so instead (s39 user D2).
        if (answer.Length <= MaxAnswer) return answer;
        _log($"answer to call {id} is {answer.Length} bytes, over the broker's max_payload ({MaxAnswer}): sent as an error");
        var error = ReshError.Failed($"The answer of {env.Handle}.{env.Verb} on {_settings.Host} is {answer.Length} bytes, more than the NATS server's max_payload ({MaxAnswer} bytes), so it cannot be sent{(env.Changed ? "; the call ran and changed something" : env.Ok ? "; the call ran" : "")}.",
            "Ask for less (a narrower target, lines=, limit=), or raise max_payload in the NATS server's config.",
            new JsonObject { ["phase"] = "answer", ["size"] = answer.Length, ["max_payload"] = MaxAnswer, ["ran_ok"] = env.Ok, ["changed"] = env.Changed });
        return AnswerBytes(id, Envelope.Failure(error, env.Handle, env.Verb, env.Target, env.DryRun, env.DurationMs));
    }

    byte[] AnswerBytes(string id, Envelope env)
    {
        var bytes = McpToolCall.EnvelopeBytes(env);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(bytes.Length + 128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("host", _settings.Host);
            w.WritePropertyName("envelope");
            w.WriteRawValue(bytes, skipInputValidation: true);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    async Task<Envelope> RunAsync(AgentSettings.Caller caller, AgentWire.Request request, TimeSpan timeout, Stopwatch clock, CancellationToken ct)
    {
        var who = "agent:" + caller.Name;
        var runtime = _runtime.ForCall(null, NoStdin);
        runtime.Audit = Trail(who);
        Envelope Refused(ReshError error, Invocation? known = null)
        {
            var env = Envelope.Failure(error, known?.HandleName ?? "resh", known?.VerbName ?? request.Verb ?? "", known?.EnvelopeTarget ?? "", false, clock.Elapsed.TotalMilliseconds);
            Trail(who).Append(new AuditRecord(0, "", who, "agent", known is not null ? env.Handle : "", known is not null ? env.Verb : Clip(request.Verb ?? ""),
                known is not null ? env.Target : Clip(request.Stage), "", [], false, error.Code.ToWire(), false, false, Math.Round(clock.Elapsed.TotalMilliseconds, 3), ""));
            return env;
        }
        if (_reloadError is { } broken) return Refused(broken);
        var stage = request.Stage;
        if (stage.TrimEnd().EndsWith(')'))
            return Refused(ReshError.Usage("The stage ends in (...); an agent call takes its arguments in \"args\".", "Write the arguments as \"args\": {...}."));
        foreach (var reserved in (string[])[McpTool.TargetArg, McpTool.HostArg, McpTool.DryRunArg])
            if (request.Args.ContainsKey(reserved))
                return Refused(ReshError.Usage($"\"args\" has `{reserved}`, which an agent call gives elsewhere; nothing was run.", "Put the target in the stage."));
        var probe = new Invocation();
        try { new CommandLineParser(_registry, NoStdin).ParseRequest(stage, request.Verb, null, probe); }
        catch (ReshException ex)
        {
            if (probe.Handle is { Hidden: false } && probe.Verb is not null && ex.Error.Code == ErrorCode.Usage) { } // a missing required argument: the real parse says it
            else return Refused(ex.Error, probe.Handle is { Hidden: false } ? probe : null);
        }
        if (probe.Handle is not { Hidden: false } handle || probe.Verb is not { } verb)
            return Refused(ReshError.NotFound($"No handle for the stage `{Clip(stage)}` on this agent.", "resh handles lists them."));
        var tool = new McpTool(handle, verb);
        if (!_settings.Exec && handle.VerbRunsPrograms(verb))
        {
            var env = Envelope.Failure(ReshError.PermissionDenied($"{verb.FullName} runs a program or command of the caller's choosing, which the agent {_settings.Host} does not allow (exec = false); nothing was run.",
                "Set exec = true in the agent's [agent] table to allow it (the caller's role must grant the verb and say exec = true too)."), handle.Scheme, verb.Name, handle.Scheme + "://" + probe.Target, false, clock.Elapsed.TotalMilliseconds);
            probe.Handle = handle;
            runtime.RecordCall(probe, env);
            return env;
        }
        McpPolicy policy;
        try { policy = ServeRoles.Policy(_rolesConfig, caller.Role, timeout, _forceDryRun, _registry.IsPlugin); }
        catch (ReshException ex) { return Refused(ex.Error, probe); }
        var arguments = (JsonObject)request.Args.DeepClone();
        arguments[McpTool.TargetArg] = handle.Scheme + "://" + probe.Target;
        if (request.DryRun && tool.Mutating) arguments[McpTool.DryRunArg] = true;
        var call = McpToolCall.Check(_registry, runtime, policy, tool, arguments);
        if (call.Error is { } refusal)
        {
            var failure = Envelope.Failure(refusal, handle.Scheme, verb.Name, call.TargetUri, call.DryRun, clock.Elapsed.TotalMilliseconds);
            call.Invocation.Handle = handle;
            call.Invocation.Verb = verb;
            runtime.RecordCall(call.Invocation, failure);
            return failure;
        }
        using var timeoutCts = new CancellationTokenSource(timeout);
        // The caller's cancel (resh.agent.cancel) interrupts the run as a signal would the CLI's: the verb's rollback runs.
        using var running = BeginCall(caller.Name, request.Id);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(ct, running.Token);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token, timeoutCts.Token);
        using var confined = McpToolCall.Confine(policy, tool, call.Host);
        return await Executor.RunAsync(call.Invocation, runtime, OutputFormat.Json, NullEvents.Instance, linked.Token, timeoutCts.Token, interrupt.Token, call.DryRun || request.DryRun && tool.Mutating, clock, timeout)
            .ConfigureAwait(false);
    }

    static string Clip(string s) => s.Length > 200 ? s[..200] + "…" : s;

    /// <summary>The first line of a window is logged; the rest are counted and summed up in one line when the window is over.</summary>
    sealed class CoalescedLog(Action<string> log, TimeSpan window)
    {
        readonly object _gate = new();
        DateTime _start = DateTime.MinValue;
        long _suppressed;
        string _last = "";

        public void Note(string line)
        {
            lock (_gate)
            {
                var now = DateTime.UtcNow;
                if (now - _start < window)
                {
                    _suppressed++;
                    _last = line;
                    return;
                }
                FlushLocked();
                _start = now;
            }
            log(line);
        }

        public void Flush()
        {
            lock (_gate) FlushLocked();
        }

        void FlushLocked()
        {
            if (_suppressed == 0) return;
            log($"{_suppressed} more refused or malformed call messages since the line before (last: {(_last.Length > 300 ? _last[..300] + "…" : _last)})");
            _suppressed = 0;
            _last = "";
        }
    }

    /// <summary>At most N takes a second, refilled continuously.</summary>
    sealed class TokenBucket(int perSecond)
    {
        readonly object _gate = new();
        double _tokens = perSecond;
        long _stamp = Stopwatch.GetTimestamp();

        public bool Take()
        {
            lock (_gate)
            {
                var now = Stopwatch.GetTimestamp();
                _tokens = Math.Min(perSecond, _tokens + Stopwatch.GetElapsedTime(_stamp, now).TotalSeconds * perSecond);
                _stamp = now;
                if (_tokens < 1) return false;
                _tokens -= 1;
                return true;
            }
        }
    }

    sealed class NullEvents : IEventSink
    {
        public static readonly NullEvents Instance = new();
        public void Emit(string eventName, JsonObject fields) { }
    }
}
