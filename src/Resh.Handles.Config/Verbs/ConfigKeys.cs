using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Config.Formats;

namespace Resh.Handles.Config;

public static class ConfigKeys
{
    public static readonly VerbInfo Verb = VerbInfo.Define("keys", Effect.Read,
        "List the keys under a key (or at the top of the document), with their types.",
        [ConfigArgs.Key, ConfigFiles.FormatArg], () => ConfigJson.Default.ConfigKeysResult, RunAsync,
        examples: [new("config:///etc/app/config.yaml.keys key=server", "Keys of the server table.")]).WithPathConfinement();

    static ValueTask<Outcome<ConfigKeysResult>> RunAsync(VerbContext ctx)
    {
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), false, "read");
        var key = KeyPath.Parse(ctx.Get(ConfigArgs.Key));
        var dataPath = doc.DataPath(key);
        var node = ConfigFormat.Lookup(doc.Data, dataPath, out var found);
        if (!found) return ValueTask.FromResult<Outcome<ConfigKeysResult>>(ReshError.NotFound($"`{key}` is not in {doc.Display}.", "List the top-level keys: keys with no key=."));
        var keys = new List<ConfigKey>();
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) keys.Add(new ConfigKey(k, dataPath.Child(k).PointerText, ConfigFormat.TypeName(v)));
                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    var name = i.ToString(CultureInfo.InvariantCulture);
                    keys.Add(new ConfigKey(name, dataPath.Child(name).PointerText, ConfigFormat.TypeName(a[i])));
                }
                break;
            default:
                return ValueTask.FromResult<Outcome<ConfigKeysResult>>(ReshError.Usage($"`{key}` is a {ConfigFormat.TypeName(node)}, which has no keys.", "Use get to read it."));
        }
        return ValueTask.FromResult<Outcome<ConfigKeysResult>>(new ConfigKeysResult(doc.Display, doc.Format.Name, key.Text, keys.Count, keys));
    }
}
