using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Grammar;
using Resh.Core.Model;
using Resh.Core.Output;
using Resh.Core.Registry;
using Resh.Core.Secrets;
using Resh.Core.Text;
using Resh.Core.Values;
using Resh.Handles.Ssh.Fleet;

namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// <c>ssh://HOST/STAGE</c>: any stage of any handle, run by resh on the host. The inner stage is
/// resolved here against the same registry (the remote runs this very build), so the inner verb's
/// own arguments are typed and checked locally with the usual "did you mean" hints, then sent to the
/// remote resh as one JSON object on its stdin (<c>--args -</c>): values never appear on the remote
/// command line, where other users could read them in ps.
/// </summary>
public static class RemoteStage
{
    public static StageResolution? Resolve(HandleRegistry registry, StageResolveRequest request)
    {
        var body = request.Body;
        var slash = body.IndexOf('/');
        if (slash < 0) return null;
        var rest = body[(slash + 1)..];
        if (!StageParser.LooksLikeStage(rest))
        {
            if (rest.Length == 0 || !rest.Contains("://", StringComparison.Ordinal)) return null;
        }
        var hostText = body[..slash];
        var inner = StageParser.Parse(rest);
        var handle = registry.Find(inner.Scheme);
        if (handle is null || handle.Hidden)
            throw ReshError.Usage($"Unknown handle {inner.Scheme}:// in the remote stage.",
                Suggest.Hint(inner.Scheme, registry.Visible.Select(h => h.Scheme), suffix: "://") ?? "Run `resh handles` to list them.").ToException();
        var resolution = VerbResolver.Resolve(handle, inner.Body, request.NextWord);
        var verb = RemoteVerb(handle, resolution.Verb, hostText, resolution.RawTarget);
        return new StageResolution(verb, $"{hostText}/{inner.Scheme}://{resolution.RawTarget}", resolution.ConsumedNextWord);
    }

    /// <summary>A stand-in for the inner verb: its arguments plus ssh's connection arguments, run on the host(s).</summary>
    static VerbInfo RemoteVerb(HandleInfo handle, VerbInfo inner, string hostText, string innerRawTarget)
    {
        var (inventory, hostKey) = SshArgs.For(inner);
        var args = inner.Args.ToList();
        if (inventory is not null) args.Add(inventory);
        if (hostKey is not null) args.Add(hostKey);
        var verb = VerbInfo.Define(inner.Name, inner.Effect, inner.Summary, args.ToArray(), () => SshJson.Default.JsonNode,
            ctx => RunAsync(ctx, handle, inner, hostText, innerRawTarget, inventory, hostKey),
            streams: inner.Streams, preferredFormat: inner.PreferredFormat);
        // A throwaway handle stamps the verb with the inner scheme, so argument errors name file.read, not read.
        _ = new HandleInfo(handle.Scheme, handle.Summary, handle.TargetHelp, [verb]);
        return verb;
    }

    static async ValueTask<Outcome<JsonNode>> RunAsync(VerbContext ctx, HandleInfo handle, VerbInfo inner, string hostText, string innerRawTarget,
        Arg<string?>? inventoryArg, Arg<string?>? hostKeyArg)
    {
        var connection = new HashSet<ArgInfo>(ReferenceEqualityComparer.Instance);
        if (inventoryArg is not null) connection.Add(inventoryArg);
        if (hostKeyArg is not null) connection.Add(hostKeyArg);
        var call = SshCall.Prepare(ctx, hostText, inventoryArg is null ? null : ctx.Get(inventoryArg), hostKeyArg is null ? null : ctx.Get(hostKeyArg));
        var binary = RemoteBinary.Locate(call.Settings);
        var runner = new RemoteRunner(call.Client, binary);
        var id = new RemoteRunner.Identity(handle.Scheme, inner.Name, $"{handle.Scheme}://{innerRawTarget}");
        var raw = ctx.Format == OutputFormat.Raw && !inner.Streams && !call.Spec.IsFleet;
        var (reshArgs, stdin) = RemoteArgs(ctx, handle, inner, innerRawTarget, connection, raw);
        // A follow (streaming verb) runs until --timeout or Ctrl-C; anything else gets a deadline.
        TimeSpan? deadline = ctx.Timeout is null && !inner.Streams ? call.Settings.CommandTimeout : null;

        if (!call.Spec.IsFleet)
        {
            var host = call.Hosts[0];
            var envelope = raw
                ? await runner.RunRawAsync(host, reshArgs, stdin, deadline, id).ConfigureAwait(false)
                : await runner.RunJsonAsync(host, reshArgs, stdin, deadline, inner, id, ev => Forward(ctx, ev, null), ctx.Format == OutputFormat.Table).ConfigureAwait(false);
            return Outcome.Forward<JsonNode>(envelope);
        }
        var fleet = await FanOut.RunAsync(ctx, call.Hosts, "ssh", inner.Name, $"ssh://{ctx.RawTarget}", _ => id.Target,
            host => runner.RunJsonAsync(host, reshArgs, stdin, deadline, inner, id, ev => Forward(ctx, ev, host.Alias), false)).ConfigureAwait(false);
        return Outcome.Forward<JsonNode>(fleet);
    }

    /// <summary>Re-emits a remote event; in a fleet it is tagged with the host it came from.</summary>
    static void Forward(VerbContext ctx, JsonObject ev, string? host)
    {
        var name = ev["event"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "event";
        ev.Remove("event");
        if (host is not null) ev["host"] = host;
        ctx.Events.Emit(name, ev);
    }

    /// <summary>
    /// The remote command line (<c>--format json STAGE VERB --args -</c>) and its stdin (the arguments as
    /// JSON). A binary byte argument (file content from @file or @-) goes raw on stdin instead, with the
    /// other arguments on the command line.
    /// </summary>
    static (List<string> Args, byte[]? Stdin) RemoteArgs(VerbContext ctx, HandleInfo handle, VerbInfo inner, string innerRawTarget,
        HashSet<ArgInfo> connection, bool raw)
    {
        var argv = new List<string> { "--format", raw ? "raw" : "json" };
        if (ctx.DryRun) argv.Add("--dry-run");
        if (ctx.TimeRemaining is { } left)
        {
            // The remote gives up a little before we do, so its own `timeout` envelope (or a follow's
            // normal end) arrives instead of a killed connection.
            // The margin covers the connection, the remote start and the way back (a quarter, 200 ms to 2 s).
            var margin = TimeSpan.FromMilliseconds(Math.Clamp(left.TotalMilliseconds * 0.25, 200, 2000));
            var remote = left - margin;
            if (remote < TimeSpan.FromMilliseconds(50)) remote = TimeSpan.FromMilliseconds(50);
            argv.Add("--timeout");
            argv.Add(((long)remote.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms");
        }
        var stage = $"{handle.Scheme}://{innerRawTarget}";
        if (stage.EndsWith(')')) stage += "()"; // an empty argument list keeps a target ending in ")" from being read as one
        argv.Add(stage);
        argv.Add(inner.Name);

        var json = new JsonObject();
        (ArgInfo Arg, byte[] Bytes)? binary = null;
        foreach (var (arg, value) in ctx.Args.Given)
        {
            if (connection.Contains(arg)) continue;
            if (arg.Kind == ArgKind.Bytes && value is byte[] bytes && !IsUtf8(bytes))
            {
                if (binary is not null)
                    throw ReshError.Unsupported($"Two binary arguments ({binary.Value.Arg.Name}, {arg.Name}) cannot both reach a remote host.", "Pass one of them as text, or upload the file first with ssh://HOST.upload.").ToException();
                binary = (arg, bytes);
                continue;
            }
            // A secret is resolved here, where its source (secret store, env, file) is, and travels on stdin.
            json[arg.Name] = value is SecretRef && arg is Arg<SecretRef?> secretArg
                ? JsonValue.Create(ctx.GetSecret(secretArg)!.Reveal())
                : ToJson(arg, value);
        }
        if (binary is null)
        {
            if (json.Count == 0) return (argv, null);
            argv.Add("--args");
            argv.Add("-");
            return (argv, Encoding.UTF8.GetBytes(json.ToJsonString()));
        }
        if (inner.Args.Any(a => a.Kind == ArgKind.Secret && json.ContainsKey(a.Name)))
            throw ReshError.Unsupported("A binary argument and a secret argument cannot both reach a remote host: the secret would have to go on the remote command line.",
                "Upload the file first with ssh://HOST.upload and pass its path.").ToException();
        argv.Add($"{binary.Value.Arg.Name}=@-");
        if (json.Count > 0)
        {
            argv.Add("--args");
            argv.Add(json.ToJsonString());
        }
        return (argv, binary.Value.Bytes);
    }

    static bool IsUtf8(byte[] bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    /// <summary>A bound argument value back as the JSON its declaration reads.</summary>
    static JsonNode? ToJson(ArgInfo arg, object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        TimeSpan t => JsonValue.Create(t.Ticks % TimeSpan.TicksPerMillisecond == 0 ? DurationValue.Format(t) : $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms"),
        IReadOnlyList<string> list => new JsonArray(list.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
        JsonNode node => node.DeepClone(),
        byte[] bytes => JsonValue.Create(Encoding.UTF8.GetString(bytes)),
        _ => throw ReshError.Unsupported($"Argument `{arg.Name}` cannot be sent to a remote host.", null).ToException(),
    };
}
