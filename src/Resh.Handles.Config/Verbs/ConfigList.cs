using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Config.Formats;
using Resh.Handles.Config.Kv;

namespace Resh.Handles.Config;

public static class ConfigList
{
    static readonly Arg<long?> Limit = Arg.Int("limit", "The most keys to return (more: true says some were left out).", 1000, min: 1, max: 100_000);

    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "Key-value stores: the keys under a prefix, in key order, with their typed values and revisions.",
        [Limit, ConfigArgs.Reveal], () => ConfigJson.Default.ConfigListResult, RunAsync,
        examples:
        [
            new("config://etcd1/app/.list", "Every key starting with app/ on the etcd of [config.etcd1]."),
            new("config://local/.list limit=50", "The first 50 keys of the embedded store."),
        ],
        notes: "The target's path is a plain prefix (app/ matches app/db and app/x/y; app matches app2 too), as etcdctl get --prefix. "
            + "`revision` is the store's revision when listed: watch revision=THAT misses no change made after the list. "
            + "Files have keys (config:///path.keys), not list.",
        targetHelp: "A store and prefix: config://NAME/prefix/");

    static async ValueTask<Outcome<ConfigListResult>> RunAsync(VerbContext ctx)
    {
        if (!KvTarget.IsKv(ctx.Target))
            return ReshError.Usage("list is for key-value stores (config://NAME/prefix/); a file's keys are listed by keys.", $"resh config://{ctx.Target}.keys");
        var (store, prefix, display) = await KvTarget.OpenAsync(ctx, prefix: true).ConfigureAwait(false);
        var listing = await store.ListAsync(prefix, (int)(ctx.Get(Limit) ?? 1000), ctx.Cancellation).ConfigureAwait(false);
        var reveal = ctx.Get(ConfigArgs.Reveal);
        var items = listing.Entries.Select(e =>
        {
            var value = KvRules.Typed(e.Value);
            return new ConfigKvItem(e.Key, e.Revision, e.CreateRevision, e.Version, ConfigFormat.TypeName(value), KvVerbs.Shown(e.Key, value, reveal));
        }).ToList();
        return new ConfigListResult(display, store.Backend, prefix, items.Count, listing.More, listing.Revision, items);
    }
}
