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
using Resh.Handles.Ssh.Hosts;
using Resh.Handles.Ssh.Transport;

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
        var verb = RemoteVerb(handle, resolution.Verb, hostText, resolution.RawTarget, registry);
        return new StageResolution(verb, $"{hostText}/{inner.Scheme}://{resolution.RawTarget}", resolution.ConsumedNextWord);
    }

    /// <summary>A stand-in for the inner verb: its arguments plus ssh's connection arguments, run on the host(s).</summary>
    static VerbInfo RemoteVerb(HandleInfo handle, VerbInfo inner, string hostText, string innerRawTarget, HandleRegistry registry)
    {
        var connection = SshArgs.For(inner);
        var args = inner.Args.ToList();
        args.AddRange(connection.All);
        var verb = VerbInfo.Define(inner.Name, inner.Effect, inner.Summary, args.ToArray(), () => SshJson.Default.JsonNode,
            ctx => RunAsync(ctx, handle, inner, hostText, innerRawTarget, connection, registry.Knows),
            streams: inner.Streams, preferredFormat: inner.PreferredFormat);
        // A throwaway handle stamps the verb with the inner scheme, so argument errors name file.read, not read.
        _ = new HandleInfo(handle.Scheme, handle.Summary, handle.TargetHelp, [verb]);
        return verb;
    }

    static async ValueTask<Outcome<JsonNode>> RunAsync(VerbContext ctx, HandleInfo handle, VerbInfo inner, string hostText, string innerRawTarget,
        SshArgs connectionArgs, Func<string, bool> isScheme)
    {
        var connection = new HashSet<ArgInfo>(connectionArgs.All, ReferenceEqualityComparer.Instance);
        var call = SshCall.Prepare(ctx, hostText, connectionArgs);
        var binary = RemoteBinary.Locate(call.Settings);
        var runner = new RemoteRunner(call.Client, new RemoteBuilds(binary, call.Settings)) { IsScheme = isScheme };
        var id = new RemoteRunner.Identity(handle.Scheme, inner.Name, $"{handle.Scheme}://{innerRawTarget}");
        // A streaming verb streams only while following: without follow=true (svc logs) it has a raw payload like any other.
        var following = inner.Streams && !(inner.FindArg("follow") is Arg<bool> follow && !ctx.Get(follow));
        var raw = ctx.Format == OutputFormat.Raw && !following && !call.Spec.IsFleet;
        var (reshArgs, stdin) = RemoteArgs(ctx, handle, inner, innerRawTarget, connection, raw);
        // A follow (streaming verb) runs until --timeout or Ctrl-C; anything else gets a deadline.
        TimeSpan? deadline = ctx.Timeout is null && !inner.Streams ? call.Settings.CommandTimeout : null;

        if (!call.Spec.IsFleet)
        {
            var host = call.Hosts[0];
            var become = BecomeFor(ctx, call, host);
            var envelope = raw
                ? await runner.RunRawAsync(host, reshArgs, stdin, deadline, id, become).ConfigureAwait(false)
                : await runner.RunJsonAsync(host, reshArgs, stdin, deadline, inner, id, ev => Forward(ctx, ev, null), ctx.Format == OutputFormat.Table, become).ConfigureAwait(false);
            return Outcome.Forward<JsonNode>(RemoteEnvelope.WithLocalWarnings(envelope, ctx.Warnings));
        }
        var fleet = await FanOut.RunAsync(ctx, call.Hosts, "ssh", inner.Name, $"ssh://{ctx.RawTarget}", _ => id.Target,
            async host => RemoteEnvelope.WithLocalWarnings(
                await runner.RunJsonAsync(host, reshArgs, stdin, deadline, inner, id, ev => Forward(ctx, ev, host.Alias), false, BecomeFor(ctx, call, host)).ConfigureAwait(false),
                ctx.Warnings)).ConfigureAwait(false);
        return Outcome.Forward<JsonNode>(fleet);
    }

    /// <summary>
    /// The become settings for one host. The build is cached in the login user's private directory, which
    /// root can read and other users cannot: a remote stage becomes root (exec, upload and download become anyone).
    /// </summary>
    static Become? BecomeFor(VerbContext ctx, SshCall call, HostTarget host)
    {
        if (call.BecomeFor(host) is not { } become) return null;
        if (become.Unsupported() is { } error) throw error.ToException();
        if (become.User != "root")
            throw ReshError.Unsupported($"A remote stage can become root only, not {become.User}: the resh build is cached in the login user's private directory.",
                $"Run it as root (become_user=root), or run a command as {become.User} with ssh://{host.Alias}.exec(become=true,become_user={become.User}).",
                new JsonObject { ["host"] = host.Alias, ["become_user"] = become.User }).ToException();
        return become;
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
            // The remote gives up a little before we do, so its own `timeout` envelope arrives instead of a
            // killed connection. The margin covers the connection, the remote start and the way back (a
            // quarter, 200 ms to 2 s). A follow (streaming verb) gets the whole window instead: its end at
            // --timeout is normal, and the runner waits a moment past the deadline for its envelope.
            var margin = inner.Streams ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Clamp(left.TotalMilliseconds * 0.25, 200, 2000));
            var remote = left - margin;
            if (remote < TimeSpan.FromMilliseconds(50)) remote = TimeSpan.FromMilliseconds(50);
            argv.Add("--timeout");
            argv.Add(((long)remote.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms");
        }
        var stage = $"{handle.Scheme}://{innerRawTarget}";
        if (stage.EndsWith(')')) stage += "()"; // an empty argument list keeps a target ending in ")" from being read as one
        argv.Add(stage);
        argv.Add(inner.Name);

        // A secret is resolved here, where its source (secret store, env, file) is, and travels on stdin.
        var (tail, stdin) = ArgsForwarding.Encode(ctx.Args, inner, connection.Contains, "a remote host", ctx.GetSecret, ctx.ResolveSecret);
        argv.AddRange(tail);
        return (argv, stdin);
    }

}
