using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Resh.Core.Endpoints;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Handles.Etcd;

namespace Resh.Handles.Config.Kv;

/// <summary>
/// Which store and key a config:// target names. A target that starts with / or ~ is a file (config:///etc/app.yaml,
/// config://~/app.toml), as always; any other is <c>config://NAME/KEY</c>:
/// <list type="bullet">
/// <item>NAME a <c>[config.NAME]</c> table: backend = "embedded" is the embedded store NAME; backend = "etcd" (or a url
/// http://, https://, etcd://) is that etcd server, with user, password (a secret reference), ca, tls, timeout.</item>
/// <item>NAME <c>local</c> without a table: the embedded default store, <c>local</c>.</item>
/// <item>NAME host:port: an etcd server named inline (no auth).</item>
/// </list>
/// The key is the rest of the target as written (etcd keys are bytes: config://NAME//app/x is the key /app/x).
/// </summary>
internal static partial class KvTarget
{
    public const string DefaultStore = "local";

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex StoreName();

    /// <summary>True when the target names a key-value store rather than a file.</summary>
    public static bool IsKv(string target) => target.Length > 0 && target[0] != '/' && target[0] != '~';

    /// <summary>The store, the key (or prefix) and how the target is shown.</summary>
    public static async Task<(IKvStore Store, string Key, string Display)> OpenAsync(VerbContext ctx, bool prefix)
    {
        var target = ctx.Target;
        var slash = target.IndexOf('/');
        var authority = slash < 0 ? target : target[..slash];
        var key = slash < 0 ? "" : target[(slash + 1)..];
        string Show(string k) => $"config://{authority}/{k}";
        var display = Show(key);
        KvRules.CheckKey(display, key, prefix);

        var table = ctx.Runtime.Config.Section($"config.{authority}");
        var backend = table?["backend"] is JsonValue b && b.TryGetValue<string>(out var bs) ? bs : null;
        if ((table is null && authority == DefaultStore) || backend == "embedded")
        {
            if (!StoreName().IsMatch(authority))
                throw ReshError.Usage($"`{authority}` is not a store name for the embedded store: letters, digits, `_` and `-`, at most 64.", "Example: [config.app] with backend = \"embedded\".").ToException();
            return (new EmbeddedKvStore(ctx.Runtime.Paths, authority, Show), key, display);
        }
        if (backend is not null and not "etcd")
            throw ReshError.Usage($"backend = \"{backend}\" in [config.{authority}] is not a key-value store.", "Use backend = \"etcd\" (with url = \"http://HOST:2379\") or backend = \"embedded\".").ToException();
        Endpoint? endpoint;
        try { endpoint = EndpointResolver.Resolve(ctx, "config", authority); }
        catch (ReshException e) when (e.Error.Code == ErrorCode.NotFound)
        {
            var names = EndpointResolver.ProfileNames(ctx, "config");
            throw ReshError.NotFound($"`{authority}` in {display} is neither a [config.{authority}] table, the embedded store `{DefaultStore}`, nor an etcd host:port.",
                $"Add [config.{authority}] with backend = \"etcd\" and url = \"http://HOST:2379\" (or backend = \"embedded\"), or use config://{DefaultStore}/KEY."
                + (names.Count > 0 ? $" Configured: {string.Join(", ", names)}." : ""),
                new JsonObject { ["configured"] = new JsonArray(names.Select(n => (JsonNode?)n).ToArray()) }).ToException();
        }
        if (endpoint is null) throw ReshError.Usage($"{display} names no store.", $"Example: config://{DefaultStore}/app/key").ToException();
        if (endpoint.Setting("url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is not ("http" or "https" or "etcd"))
            throw ReshError.Usage($"The url scheme `{uri.Scheme}` of [config.{authority}] names no key-value store.", "Use url = \"http://HOST:2379\", \"https://HOST:2379\" or \"etcd://HOST:2379\".").ToException();
        var client = await EtcdClient.ConnectAsync(ctx, endpoint, prefix || key.Length == 0 ? $"the prefix {key}" : $"the key {key}", ctx.Cancellation).ConfigureAwait(false);
        return (new EtcdKvStore(client, Show), key, display);
    }
}
