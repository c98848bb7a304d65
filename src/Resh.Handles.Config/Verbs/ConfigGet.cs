using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Config.Formats;

namespace Resh.Handles.Config;

public static class ConfigGet
{
    public static readonly VerbInfo Verb = VerbInfo.Define("get", Effect.Read,
        "Read one key (or the whole document) of a configuration file as typed JSON.",
        [ConfigArgs.Key, ConfigArgs.Reveal, ConfigFiles.FormatArg], () => ConfigJson.Default.ConfigGetResult, RunAsync,
        examples:
        [
            new("config:///etc/app/config.yaml.get key=server.port", "One value."),
            new("config:///etc/app/config.toml get key=/servers/0/name --format raw", "Print just the value (JSON Pointer key)."),
        ],
        notes: "A missing key is data (`exists: false`, `value: null`), not an error; a missing file is `not_found`. --format raw prints a string value as it is and anything else as JSON. "
            + "Values of secret-looking keys (and everything below one), and the passwords inside URLs and connection strings (postgres://app:***@db/app, Password=***), show as \"***\" unless reveal=true, as with secret://NAME.get; --format raw of such a value without reveal=true is refused rather than printing \"***\" where a script expects the value.").WithPathConfinement();

    static ValueTask<Outcome<ConfigGetResult>> RunAsync(VerbContext ctx)
    {
        if (Kv.KvTarget.IsKv(ctx.Target)) return Kv.KvVerbs.GetAsync(ctx, ctx.Get(ConfigArgs.Key), ctx.Get(ConfigArgs.Reveal));
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), false, "read");
        var key = KeyPath.Parse(ctx.Get(ConfigArgs.Key));
        var dataPath = doc.DataPath(key);
        var value = ConfigFormat.Lookup(doc.Data, dataPath, out var found);
        if (!ctx.Get(ConfigArgs.Reveal) && ConfigSecrets.HoldsSecret(value, dataPath))
        {
            if (ctx.WantsRaw)
                return ValueTask.FromResult<Outcome<ConfigGetResult>>(Resh.Core.Errors.ReshError.Usage($"`{key}` holds a secret; --format raw prints it only with reveal=true.",
                    $"resh config://{doc.Display}.get key={key} reveal=true --format raw"));
            value = ConfigSecrets.Masked(value, dataPath);
        }
        var result = new ConfigGetResult(doc.Display, doc.Format.Name, key.Text, found, found ? ConfigFormat.TypeName(value) : null, value?.DeepClone());
        var raw = !found ? null : value is System.Text.Json.Nodes.JsonValue jv && jv.TryGetValue<string>(out var s) ? s : JsonText.Pretty(value, "  ", "");
        return ValueTask.FromResult(new Outcome<ConfigGetResult>(result, false).WithRaw(raw is null ? null : RawPayload.FromText(raw)));
    }
}
