using System.Text.Json.Nodes;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Config.Formats;

namespace Resh.Handles.Config;

public static class ConfigSet
{
    public static readonly VerbInfo Verb = VerbInfo.Define("set", Effect.Mutate,
        "Set one key, editing only its text: comments, order, quoting and indentation elsewhere stay, so a one-key change is a one-line diff.",
        [ConfigArgs.RequiredKey, ConfigArgs.Value, ConfigFiles.FormatArg, Kv.KvVerbs.Revision], () => ConfigJson.Default.ConfigChangeResult, RunAsync,
        examples:
        [
            new("'config:///etc/app/config.yaml.set(key=server.port,value:=8080)'", "Set a number (value:= is typed JSON)."),
            new("config:///srv/app/.env set key=LOG_LEVEL value=debug --dry-run", "Preview the one-line diff."),
            new("config:///etc/app/pyproject.toml set key=tool.ruff.line-length value:=100", "Create missing tables and keys."),
        ],
        notes: "Missing parents are created (a new key goes after its siblings, in their indentation and quoting; a new TOML table or INI section goes at the end). "
            + "An index in brackets makes a list: servers[0] under a missing key starts one, an index equal to a list's length appends, any other index past the end is `usage` (a JSON Pointer segment such as /x/3 is a key). "
            + "Setting the value a key already has is `changed: false` and leaves the file untouched. A file that does not exist is created when syntax= or its name says the format. "
            + "Values of secret-looking keys (password, token, secret, api_key, private_key...) show as \"***\" in `previous`, `value` and the diff. "
            + "The write is atomic and keeps mode and owner; a symlink is followed and the file it points to is edited (the link stays), refused where fs.protected_symlinks would refuse it.").WithPathConfinement();

    static async ValueTask<Outcome<ConfigChangeResult>> RunAsync(VerbContext ctx)
    {
        if (Kv.KvTarget.IsKv(ctx.Target)) return await Kv.KvVerbs.SetAsync(ctx, ctx.Get(ConfigArgs.RequiredKey), ctx.Get(ConfigArgs.Value)).ConfigureAwait(false);
        Kv.KvVerbs.NoRevisionForFiles(ctx);
        var keyText = ConfigArgs.FileKey(ctx, "set");
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), true, "edit");
        var key = KeyPath.Parse(keyText);
        var value = ctx.Get(ConfigArgs.Value);
        var normalized = doc.Format.Normalize(value);
        var dataPath = doc.DataPath(key);
        var previous = ConfigFormat.Lookup(doc.Data, dataPath, out var found);
        if (doc.Exists && found && JsonNode.DeepEquals(previous, normalized))
            return new ConfigChangeResult(doc.Display, doc.Format.Name, key.Text, ConfigSecrets.Masked(previous, dataPath), ConfigSecrets.Masked(normalized, dataPath), false, null);
        var text = doc.Format.Set(doc.Text, key, value);
        doc.Format.Read(text); // the edit must leave a document that still parses
        var diff = await ConfigFiles.CommitAsync(ctx, doc, text).ConfigureAwait(false);
        return Outcome.Changed(new ConfigChangeResult(doc.Display, doc.Format.Name, key.Text, found ? ConfigSecrets.Masked(previous, dataPath) : null,
            ConfigSecrets.Masked(normalized, dataPath), !doc.Exists, diff), diff is not null || !doc.Exists);
    }
}
