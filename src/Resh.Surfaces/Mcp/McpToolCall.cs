using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Resh.Core.Cli;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Platform;
using Resh.Core.Secrets;

namespace Resh.Surfaces.Mcp;

/// <summary>
/// tools/call: the tool's arguments become the same <see cref="Invocation"/> a batch request builds (stage, verb,
/// arguments as JSON), checked against the policy, confirmed through elicitation when destructive, and run by the
/// <see cref="Executor"/>. The answer is the envelope, as structuredContent and as text; isError when it is not ok.
/// Nothing here logs or echoes arguments: the only text sent back is the envelope, masked like the CLI's.
/// </summary>
public static class McpToolCall
{
    static StdinSource NoStdin => StdinSource.Unavailable("An MCP call has no standard input; @- is not available.", "Pass the value in the tool's arguments.");

    public static async Task<byte[]> RunAsync(McpSession session, JsonRpcMessage msg, CancellationToken ct)
    {
        var p = msg.Params;
        if (p["name"] is not JsonValue nv || nv.GetValueKind() != JsonValueKind.String)
            throw new JsonRpcException(JsonRpcCodes.InvalidParams, "tools/call needs the tool's name.");
        var name = nv.GetValue<string>();
        var tool = session.Server.Tools.Find(name)
            ?? throw new JsonRpcException(JsonRpcCodes.InvalidParams, $"Unknown tool: {(name.Length > 80 ? name[..80] + "…" : name)}.");
        var arguments = p["arguments"] switch
        {
            null => new JsonObject(),
            JsonObject o => o,
            _ => throw new JsonRpcException(JsonRpcCodes.InvalidParams, "tools/call arguments must be a JSON object."),
        };
        var progressToken = (p["_meta"] as JsonObject)?["progressToken"] is JsonValue pt && pt.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
            ? pt.DeepClone() : null;

        var started = Stopwatch.GetTimestamp();
        var envelope = await CallAsync(session, tool, arguments, progressToken, ct).ConfigureAwait(false);
        session.Server.OnToolCall?.Invoke(tool.Handle.Scheme, tool.Verb.Name, envelope.Ok ? "ok" : (envelope.Error?.Code ?? ErrorCode.Failed).ToWire(),
            Stopwatch.GetElapsedTime(started).TotalSeconds);
        var json = EnvelopeBytes(envelope);
        return JsonRpcWriter.Result(msg.Id, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("content");
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", json);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WritePropertyName("structuredContent");
            w.WriteRawValue(json, skipInputValidation: true);
            w.WriteBoolean("isError", !envelope.Ok);
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// The envelope as the CLI prints it under --format json: secrets resolved during the call, and Authorization/Bearer
    /// credentials written as text, are masked.
    /// </summary>
    public static byte[] EnvelopeBytes(Envelope env)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        EnvelopeJson.Write(buffer, env, indented: false);
        if (SecretRedactor.MayNeedScrub(buffer.WrittenSpan))
            return SecretRedactor.ScrubJson(buffer.WrittenSpan, EnvelopeJson.WriterOptions(false), env.Revealed) ?? buffer.WrittenSpan.ToArray();
        return buffer.WrittenSpan.ToArray();
    }

    static async Task<Envelope> CallAsync(McpSession session, McpTool tool, JsonObject arguments, JsonNode? progressToken, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var server = session.Server;
        var policy = server.Policy;
        var scheme = tool.Handle.Scheme;
        // The caller's bounds of a streaming verb are MCP's own arguments: taken out before the verb's are parsed.
        TimeSpan? callerTimeout = null;
        long? maxEvents = null;
        ReshError? boundError = null;
        if (tool.TakesTimeout || tool.TakesMaxEvents)
        {
            arguments = (JsonObject)arguments.DeepClone();
            try { (callerTimeout, maxEvents) = TakeBounds(tool, arguments); }
            catch (ReshException ex) { boundError = ex.Error; }
        }
        var call = Check(server.Registry, server.Runtime, policy, tool, arguments);
        var (inv, dryRun, targetUri, body, host, forms) = (call.Invocation, call.DryRun, call.TargetUri, call.Body, call.Host, call.Forms);
        Envelope Fail(ReshError error)
        {
            var failure = Envelope.Failure(error, scheme, tool.Verb.Name, targetUri, dryRun, clock.Elapsed.TotalMilliseconds);
            // Refused and malformed calls are audited too (their arguments only once they were parsed and typed).
            inv.Handle = tool.Handle;
            inv.Verb = tool.Verb;
            server.Runtime.RecordCall(inv, failure);
            return failure;
        }
        if (call.Error is { } refused) return Fail(refused);
        if (boundError is not null) return Fail(boundError);

        if (McpDestructive.Is(tool.Verb, arguments) && !dryRun && !policy.AllowDestructive)
        {
            if (!session.ClientElicits)
                return Fail(ReshError.PermissionDenied(
                    $"{tool.Verb.FullName} removes state that cannot be recovered, and this client cannot confirm it (no elicitation capability).",
                    "Call it with dry_run: true to see what it would do, or ask the operator to restart `resh mcp --allow-destructive`."));
            string answer;
            // The user confirms the target the policy resolved (directories' symlinks and `..` followed), not the spelling the client chose.
            // A symlink the verb acts on (file.delete removes the link) is shown as itself, with where it points.
            var shown = McpTarget.SymlinkShown(scheme, body, server.Runtime.Paths.Home, host is not null) ?? forms?.Canonical ?? targetUri;
            // Arguments that are more targets (pkg.remove's `packages`) are named too: they are acted on as much.
            if (MoreTargets(tool, inv) is { Count: > 0 } more) shown += " and " + string.Join(", ", more);
            try { answer = await ConfirmAsync(session, tool, shown, host, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return Fail(ReshError.Interrupted("Cancelled while waiting for the confirmation.", null)); }
            if (answer != "accept")
                return Fail(ReshError.PermissionDenied($"{tool.Verb.FullName} on {targetUri} was not confirmed (the user chose {answer}); nothing was run.",
                    "Call it with dry_run: true to show the user what it would do first."));
        }

        using var progress = progressToken is null ? null : new McpProgress(session, progressToken);
        var runtime = server.Runtime.ForCall(progress is null ? null : progress.Report, NoStdin);
        IEventSink events = progress is null ? NullEvents.Instance : progress;
        // The caller's timeout shortens the server's, never lengthens it; max_events ends the call as its timeout would.
        var timeout = policy.Timeout is { } serverTimeout && (callerTimeout is null || serverTimeout < callerTimeout) ? serverTimeout : callerTimeout;
        using var timeoutCts = timeout is { } t ? new CancellationTokenSource(t) : maxEvents is not null ? new CancellationTokenSource() : null;
        if (maxEvents is { } max) events = new BoundedEvents(events, max, timeoutCts!);
        var timeoutToken = timeoutCts?.Token ?? CancellationToken.None;
        // A streaming verb (tail follow) has no end of its own: it also stops when the client's input ends.
        using var linked = tool.Verb.Streams
            ? CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutToken, session.InputEnded)
            : CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutToken);
        using var confined = Confine(policy, tool, host);
        var env = await Executor.RunAsync(inv, runtime, OutputFormat.Json, events, linked.Token, timeoutToken, CancellationToken.None, dryRun, clock, timeout)
            .ConfigureAwait(false);
        server.Runtime.Log($"mcp: {tool.Name} {(env.Ok ? "ok" : env.Error?.Code.ToWire())}{(env.Changed ? " changed" : "")} in {env.DurationMs:0.00} ms");
        return env;
    }

    /// <summary>`timeout` and `max_events` of a streaming tool, removed from <paramref name="args"/>; a bad one is usage.</summary>
    static (TimeSpan?, long?) TakeBounds(McpTool tool, JsonObject args)
    {
        TimeSpan? timeout = null;
        long? max = null;
        if (tool.TakesTimeout && args.TryGetPropertyValue(McpTool.TimeoutArg, out var tn))
        {
            args.Remove(McpTool.TimeoutArg);
            var text = tn is JsonValue nv && nv.GetValueKind() == JsonValueKind.Number ? nv.GetValue<double>().ToString(System.Globalization.CultureInfo.InvariantCulture) + "s"
                : tn is JsonValue sv && sv.GetValueKind() == JsonValueKind.String ? sv.GetValue<string>() : null;
            if (text is null || !Resh.Core.Values.DurationValue.TryParse(text, out var t) || t <= TimeSpan.Zero || t > TimeSpan.FromDays(1))
                throw ReshError.Usage("`timeout` must be a positive duration of at most 24h; nothing was run.", "Example: \"timeout\": \"30s\"").ToException();
            timeout = t;
        }
        if (tool.TakesMaxEvents && args.TryGetPropertyValue(McpTool.MaxEventsArg, out var mn))
        {
            args.Remove(McpTool.MaxEventsArg);
            if (mn is not JsonValue mv || mv.GetValueKind() != JsonValueKind.Number || !mv.TryGetValue<long>(out var m) || m < 1)
                throw ReshError.Usage("`max_events` must be a whole number of at least 1; nothing was run.", "Example: \"max_events\": 100").ToException();
            max = m;
        }
        return (timeout, max);
    }

    /// <summary>Passes events on and, at the caller's max_events, ends the call as its timeout would.</summary>
    sealed class BoundedEvents(IEventSink inner, long max, CancellationTokenSource end) : IEventSink
    {
        long _count;

        public void Emit(string eventName, JsonObject fields)
        {
            var n = Interlocked.Increment(ref _count);
            if (n > max) return; // after the bound: the call is ending
            inner.Emit(eventName, fields);
            if (n == max) End();
        }

        public void EmitEnvelope(Envelope envelope)
        {
            var n = Interlocked.Increment(ref _count);
            if (n > max) return;
            inner.EmitEnvelope(envelope);
            if (n == max) End();
        }

        void End()
        {
            try { end.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>
    /// The patterns judged the target and path arguments as named before the call; the verb checks again what it really
    /// opens, removes or writes (a symlink flipped in between cannot take the act outside). Every server surface runs its
    /// verbs inside this.
    /// </summary>
    internal static PathConfinement.Scope Confine(McpPolicy policy, McpTool tool, string? host) =>
        PathConfinement.Enter(host is null && policy.RestrictsTargets(tool.Verb)
            ? (act, path) => policy.PathRefusal(tool.Verb, McpTarget.PathArgScheme(tool.Handle.Scheme), act, path) : null);

    /// <summary>
    /// Under path patterns that restrict the verb (<see cref="McpPolicy.RestrictsTargets"/>), a verb that is given a local
    /// path (its target, or a declared path argument) must act through descriptors it judges (<see cref="VerbInfo.ConfinesPaths"/>):
    /// one that acts by name is refused, since its check by name cannot hold it to what it acts on.
    /// </summary>
    static ReshError? UnconfinedRefusal(McpPolicy policy, McpTool tool, Invocation inv, string body, string? host)
    {
        if (host is not null || !policy.RestrictsTargets(tool.Verb)) return null;
        string? what = !tool.Verb.ConfinesPaths && McpTarget.IsLocalPath(tool.Handle.Scheme, body) ? "its target" : null;
        if (what is null && inv.Args is not null)
            foreach (var (arg, value) in inv.Args.Given)
                if (arg.Path != PathUse.None && !arg.ConfinesPath && Values(value).Any(v => v.Length > 0 && (arg.Path != PathUse.ReadAt || v.StartsWith('@'))))
                {
                    what = $"`{arg.Name}`";
                    break;
                }
        if (what is null) return null;
        return ReshError.PermissionDenied($"{tool.Verb.FullName} acts on {what} by name, so this server's path patterns, checked before the call, cannot hold it to what it acts on (a symlink may be swapped in between); it is refused under patterns that restrict it.",
            $"Use a verb that acts through checked descriptors (file.read, file.stat, file.list, file.hash, file.tail, file.copy, file.write, file.delete, file.move, file.symlink, http.* body=@FILE and output=), or ask the operator to grant {tool.Verb.FullName} without a target pattern.");
    }

    /// <summary>The outcome of <see cref="Check"/>: the parsed call, or why it is refused (with what was known of it).</summary>
    internal sealed record CheckedCall(Invocation Invocation, bool DryRun, string TargetUri, string Body, string? Host, McpTarget? Forms, ReshError? Error);

    /// <summary>
    /// Everything a call must pass before it may run, shared by every server surface (MCP here, REST in Serve): the
    /// target, `host` and `dry_run` arguments, the exec grant (verbs that run programs), the policy's patterns on the target and the host, read-only, reveal and
    /// secret-source rules, the parse of the arguments, that the parse resolved to the verb and target checked, and
    /// the patterns on every path argument. Not the confirmation of destructive verbs (a surface's own business).
    /// </summary>
    internal static CheckedCall Check(Resh.Core.Registry.HandleRegistry registry, ReshRuntime runtime, McpPolicy policy, McpTool tool, JsonObject arguments)
    {
        var scheme = tool.Handle.Scheme;
        var dryRun = policy.ForceDryRun;
        var targetUri = scheme + "://";
        var inv = new Invocation();
        string body = "";
        string? host = null;
        McpTarget? forms = null;
        CheckedCall Refuse(ReshError e) => new(inv, dryRun, targetUri, body, host, forms, e);
        var args = (JsonObject)arguments.DeepClone();
        try
        {
            body = TargetBody(tool, Take(args, McpTool.TargetArg));
            targetUri = scheme + "://" + Invocation.WithoutPassword(body); // as envelopes show it: no password from the authority
            if (tool.TakesHost && args.ContainsKey(McpTool.HostArg))
            {
                host = StringArg(args, McpTool.HostArg);
                if (host is null || host.Length == 0 || host.Contains('/') || host.Any(char.IsWhiteSpace))
                    throw ReshError.Usage("`host` must be a host name ([user@]host[:port] or an ssh profile), without a path.", "Example: \"host\": \"web01\"").ToException();
            }
            if (tool.Mutating && args.TryGetPropertyValue(McpTool.DryRunArg, out var dn))
            {
                args.Remove(McpTool.DryRunArg);
                if (dn is not JsonValue dv || dv.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    throw ReshError.Usage("`dry_run` must be true or false; nothing was run.", "Example: \"dry_run\": true").ToException();
                dryRun = dv.GetValue<bool>() || policy.ForceDryRun;
            }
            var home = runtime.Paths.Home;
            forms = McpTarget.Of(scheme, body, home, remote: host is not null);
            if (policy.ExecRefusal(tool.Handle, tool.Verb) is { } execRefusal) return Refuse(execRefusal);
            if (policy.Refusal(tool.Verb, forms, targetUri) is { } refusal) return Refuse(refusal);
            if (host is not null && policy.HostRefusal(tool.Verb, host, home) is { } hostRefusal) return Refuse(hostRefusal);
            if ((McpReadOnlyRules.Refusal(policy, tool.Verb, args) ?? McpRevealRule.Refusal(policy, tool.Verb) ?? McpSecretSources.Refusal(policy, tool.Verb, scheme, args)) is { } unsafeArg) return Refuse(unsafeArg);
            runtime.SecretsWithheld = !policy.AllowReveal; // a template's secret() is refused, the render itself runs (s37 user #6)

            var escaped = Escape(body);
            var stage = host is null ? $"{scheme}://{escaped}" : $"ssh://{host}/{scheme}://{escaped}";
            var parser = new CommandLineParser(registry, NoStdin) { Defaults = () => runtime.Defaults };
            parser.ParseRequest(stage, tool.Verb.Name, args, inv);
            // The policy was checked on this verb and target: a handle's own stage resolver must not turn them into others.
            // (Through the ssh:// handle's tools, `web01/config:///x.set` would otherwise run config.set while ssh.* was checked.)
            var resolved = host is null ? ReferenceEquals(inv.Verb, tool.Verb) && inv.Target == body
                : inv.Verb?.Name == tool.Verb.Name && inv.Target == $"{host}/{scheme}://{body}";
            if (!resolved)
                return Refuse(ReshError.PermissionDenied($"{tool.Verb.FullName} on {targetUri} resolves to another verb or target than the one checked against this server's patterns.",
                    $"Give the target as a plain {scheme}:// URI."));
            if (PathArgRefusal(policy, tool, inv, args, body, runtime.Paths.Home, host is not null) is { } pathRefusal) return Refuse(pathRefusal);
            if (!policy.Exec && tool.Verb.RunsProgramsWhen is { } runsPrograms && inv.Args is { } bound && runsPrograms(inv.Target, bound))
                return Refuse(policy.ExecRefusalFor(tool.Verb, "with this target or these arguments (a local package file's scripts, for one)"));
            if (UnconfinedRefusal(policy, tool, inv, body, host) is { } unconfined) return Refuse(unconfined);
        }
        catch (ReshException ex)
        {
            return Refuse(ex.Error);
        }
        return new(inv, dryRun, targetUri, body, host, forms, null);
    }

    /// <summary>
    /// Every path argument of the call (declared with <see cref="ArgInfo.Path"/>), as the verb will read it, meets the
    /// target patterns as `scheme://PATH`: a copy's destination is as much the call's target as its source. Every value
    /// of an argument declared <see cref="ArgRole.Target"/> (pkg's `packages`) meets them as `scheme://VALUE`, like the
    /// target. The bound arguments are checked, so a value from the config file's [defaults.HANDLE.VERB] meets the
    /// patterns and --read-only as a value the client sent does (the verb's own declared defaults are not bound here).
    /// </summary>
    static ReshError? PathArgRefusal(McpPolicy policy, McpTool tool, Invocation inv, JsonObject given, string body, string home, bool remote)
    {
        if (inv.Verb is null || inv.Args is null) return null;
        var scheme = tool.Handle.Scheme;
        foreach (var (arg, value) in inv.Args.Given)
        {
            if (McpRevealRule.ArgRefusal(policy, tool.Verb, arg, value, !given.ContainsKey(arg.Name)) is { } reveal) return reveal;
            if (arg.Role == ArgRole.SideCommand && Values(value).Any())
                return ReshError.PermissionDenied($"{tool.Verb.FullName} with `{arg.Name}` runs a program or stage of the caller's choosing{(given.ContainsKey(arg.Name) ? "" : " (a default from the config file)")}, which this server does not allow: its patterns judge targets and paths, not commands.",
                    $"Call {tool.Verb.FullName} without `{arg.Name}`, or set it up from the command line (or in the config file) on the server.");
            if (arg.Path == PathUse.None && arg.Role != ArgRole.Target) continue;
            if (policy.ReadOnly && McpReadOnlyRules.Writes(arg))
                return ReshError.PermissionDenied($"{tool.Verb.FullName} with `{arg.Name}` writes files{(given.ContainsKey(arg.Name) ? "" : " (a default from the config file)")}, and this MCP server runs with --read-only.",
                    $"Call {tool.Verb.FullName} without `{arg.Name}`, or ask the operator to remove the default or restart `resh mcp` without --read-only.");
            foreach (var value0 in Values(value))
            {
                var text = value0;
                if (arg.Path == PathUse.ReadAt)
                {
                    // body=@FILE reads FILE (checked as a path read), body=@- the server's own standard input; other text is data.
                    if (text == "@-")
                        return ReshError.PermissionDenied($"{tool.Verb.FullName} with `{arg.Name}` @- would read this server's own standard input, which a client may not.",
                            $"Pass the data in `{arg.Name}` itself, or @FILE for a file this server's patterns grant.");
                    if (!text.StartsWith('@')) continue;
                    text = text[1..];
                }
                if (arg.Role == ArgRole.Target)
                {
                    var targetForms = McpTarget.Of(scheme, text, home, remote);
                    if (policy.ArgRefusal(tool.Verb, arg, targetForms, $"{scheme}://{text}") is { } targetRefusal) return targetRefusal;
                    continue;
                }
                var baseDir = arg.Path == PathUse.LinkTarget ? McpTarget.Directory(body, home, remote) : null;
                var pathForms = McpTarget.OfPath(McpTarget.PathArgScheme(scheme), text, home, remote, baseDir);
                if (policy.ArgRefusal(tool.Verb, arg, pathForms, pathForms.Canonical ?? text) is { } refusal) return refusal;
            }
        }
        return null;
    }

    static IEnumerable<string> Values(object? value) => value switch
    {
        string one => [one],
        IReadOnlyList<string> many => many,
        _ => [],
    };

    /// <summary>Values of the call's <see cref="ArgRole.Target"/> arguments as `scheme://VALUE`: what the verb acts on besides the target.</summary>
    static List<string> MoreTargets(McpTool tool, Invocation inv)
    {
        var more = new List<string>();
        if (inv.Args is null) return more;
        foreach (var (arg, value) in inv.Args.Given)
            if (arg.Role == ArgRole.Target)
                foreach (var text in Values(value)) more.Add($"{tool.Handle.Scheme}://{text}");
        return more;
    }

    /// <summary>Asks the user through the client (elicitation/create, form mode) and returns accept, decline or cancel.</summary>
    static async Task<string> ConfirmAsync(McpSession session, McpTool tool, string targetUri, string? host, CancellationToken ct)
    {
        var where = host is null ? "on this machine" : $"on {host}";
        var request = new JsonObject
        {
            ["message"] = $"Run {tool.Verb.FullName} on {targetUri} {where}? {tool.Verb.Summary} This cannot be undone.",
            ["requestedSchema"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["confirm"] = new JsonObject
                    {
                        ["type"] = "boolean",
                        ["title"] = "Run it",
                        ["description"] = $"Run {tool.Verb.FullName} on {targetUri}.",
                        ["default"] = false,
                    },
                },
                ["required"] = new JsonArray("confirm"),
            },
        };
        if (session.ProtocolVersion == McpProtocol.Latest) request.Insert(0, "mode", "form");
        var response = await session.RequestAsync("elicitation/create", request, ct).ConfigureAwait(false);
        if (response.Error is not null || response.Result is not JsonObject result) return "cancel";
        var action = result["action"] is JsonValue a && a.GetValueKind() == JsonValueKind.String ? a.GetValue<string>() : "cancel";
        if (action != "accept") return action is "decline" ? "decline" : "cancel";
        // Accepting a form whose box was left unticked is not a yes.
        return (result["content"] as JsonObject)?["confirm"] is JsonValue c && c.GetValueKind() == JsonValueKind.True ? "accept" : "decline";
    }

    /// <summary>The target as the part after scheme://; a URI of the tool's own scheme is accepted whole, another scheme is refused.</summary>
    static string TargetBody(McpTool tool, JsonNode? target)
    {
        if (target is null) return "";
        if (target is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw ReshError.Usage("`target` must be a string (a URI).", $"Example: \"target\": \"{tool.Handle.Scheme}://...\"").ToException();
        var text = v.GetValue<string>();
        var prefix = tool.Handle.Scheme + "://";
        if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return text[prefix.Length..];
        var sep = text.IndexOf("://", StringComparison.Ordinal);
        if (sep > 0 && text.AsSpan(0, sep).IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") < 0)
            throw ReshError.Usage($"The target is a {text[..sep]}:// URI, but {tool.Name} works on {prefix} resources.",
                $"Give a {prefix} target, or use the {McpTool.NameOf(text[..sep].ToLowerInvariant(), tool.Verb.Name)} tool if that handle has the verb.").ToException();
        return text;
    }

    /// <summary>
    /// The target goes into a stage, whose grammar gives `%` and a trailing `(...)` meaning: both are escaped,
    /// so the verb receives exactly the text the client sent.
    /// </summary>
    static string Escape(string body)
    {
        if (body.AsSpan().IndexOfAny('%', '(', ')') < 0) return body;
        var sb = new StringBuilder(body.Length + 8);
        foreach (var c in body)
            sb.Append(c switch { '%' => "%25", '(' => "%28", ')' => "%29", _ => c.ToString() });
        return sb.ToString();
    }

    static JsonNode? Take(JsonObject args, string name)
    {
        if (!args.TryGetPropertyValue(name, out var node)) return null;
        args.Remove(name);
        return node;
    }

    static string? StringArg(JsonObject args, string name)
    {
        var node = Take(args, name);
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
    }

    sealed class NullEvents : IEventSink
    {
        public static readonly NullEvents Instance = new();
        public void Emit(string eventName, JsonObject fields) { }
    }
}
