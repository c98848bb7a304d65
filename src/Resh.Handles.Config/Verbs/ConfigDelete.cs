using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Config.Formats;

namespace Resh.Handles.Config;

public static class ConfigDelete
{
    public static readonly VerbInfo Verb = VerbInfo.Define("delete", Effect.Mutate,
        "Remove one key (its line or lines, or a whole table/section), leaving the rest of the file as it was.",
        [ConfigArgs.RequiredKey, ConfigFiles.FormatArg, Kv.KvVerbs.Revision], () => ConfigJson.Default.ConfigChangeResult, RunAsync,
        examples:
        [
            new("config:///etc/app/config.yaml.delete key=server.debug", "Drop one key."),
            new("config:///etc/sysctl.d/99-app.conf delete key=net.ipv4.ip_forward --dry-run", "Preview."),
        ],
        notes: "A key that is not there is `changed: false` (absent already), not an error. Values of secret-looking keys show as \"***\" in `previous` and the diff.").WithPathConfinement();

    static async ValueTask<Outcome<ConfigChangeResult>> RunAsync(VerbContext ctx)
    {
        if (Kv.KvTarget.IsKv(ctx.Target)) return await Kv.KvVerbs.DeleteAsync(ctx, ctx.Get(ConfigArgs.RequiredKey)).ConfigureAwait(false);
        Kv.KvVerbs.NoRevisionForFiles(ctx);
        var keyText = ConfigArgs.FileKey(ctx, "delete");
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), false, "edit");
        var key = KeyPath.Parse(keyText);
        var dataPath = doc.DataPath(key);
        var previous = ConfigFormat.Lookup(doc.Data, dataPath, out var found);
        var text = found ? doc.Format.Delete(doc.Text, key) : null;
        if (text is null) return new ConfigChangeResult(doc.Display, doc.Format.Name, key.Text, null, null, false, null);
        doc.Format.Read(text);
        var diff = await ConfigFiles.CommitAsync(ctx, doc, text).ConfigureAwait(false);
        return Outcome.Changed(new ConfigChangeResult(doc.Display, doc.Format.Name, key.Text, ConfigSecrets.Masked(previous, dataPath), null, false, diff), diff is not null);
    }
}
