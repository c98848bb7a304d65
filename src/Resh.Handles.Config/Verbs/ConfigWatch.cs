using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Config.Kv;

namespace Resh.Handles.Config;

public static class ConfigWatch
{
    static readonly Arg<long?> Count = Arg.Int("count", "Stop after this many changes (default: run until --timeout or Ctrl-C).", min: 1, aliases: ["n"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("watch", Effect.Read,
        "Key-value stores: stream the changes under a key or prefix, one NDJSON `put` or `delete` event each (key, value, revision), until count or --timeout.",
        [Count, KvVerbs.Revision, ConfigArgs.Reveal], () => ConfigJson.Default.ConfigWatchResult, RunAsync,
        streams: true,
        examples:
        [
            new("config://etcd1/app/.watch --timeout 10m", "Every change under app/ for ten minutes: {\"event\":\"put\",\"seq\":1,\"key\":\"app/db\",\"value\":...,\"revision\":42} per line, then the envelope."),
            new("config://local/app/.watch revision=41 count=1", "The first change after revision 41 (at once if there was one)."),
        ],
        notes: "The target's path is a plain prefix, as for list. Without revision= the watch starts now; with it, every change after that revision is replayed first "
            + "(etcd keeps history until it compacts; the embedded store keeps its last 1,000 changes, and an older start is `conflict`). "
            + "On etcd this is the server's watch stream; the embedded store is polled (10ms, backing off to 250ms while idle), so a change made by another process shows within that. "
            + "An end by --timeout is normal (`ok: true`, `ended: \"timeout\"`); last_revision is the cursor to go on from. Values of secret-looking keys are \"***\" unless reveal=true.",
        targetHelp: "A store and prefix: config://NAME/prefix/");

    static async ValueTask<Outcome<ConfigWatchResult>> RunAsync(VerbContext ctx)
    {
        if (!KvTarget.IsKv(ctx.Target))
            return ReshError.Usage("watch is for key-value stores (config://NAME/prefix/); files are not watched here.", "Use file:///PATH.tail or fs:// events for files.");
        var (store, prefix, display) = await KvTarget.OpenAsync(ctx, prefix: true).ConfigureAwait(false);
        var limit = ctx.Get(Count);
        var reveal = ctx.Get(ConfigArgs.Reveal);
        // Without revision= the watch starts at the store's revision now, which is also the cursor a watch that saw nothing hands back.
        var start = ctx.Get(KvVerbs.Revision) ?? (await store.ListAsync(prefix, 1, ctx.Cancellation).ConfigureAwait(false)).Revision;
        long seen = 0, last = start;
        bool OnEvent(KvEvent e)
        {
            var fields = new JsonObject { ["key"] = e.Key, ["revision"] = e.Revision };
            if (e.Value is not null) fields["value"] = KvVerbs.Shown(e.Key, KvRules.Typed(e.Value), reveal);
            ctx.Events.Emit(e.Type, fields);
            last = e.Revision;
            seen++;
            return limit is null || seen < limit;
        }
        try { last = Math.Max(last, await store.WatchAsync(prefix, start, OnEvent, ctx.Cancellation).ConfigureAwait(false)); }
        catch (Exception e) when (ctx.TimedOut && e is OperationCanceledException or IOException)
        {
            return new ConfigWatchResult(display, store.Backend, prefix, seen, last, "timeout");
        }
        return new ConfigWatchResult(display, store.Backend, prefix, seen, last, "count");
    }
}
