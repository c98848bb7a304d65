using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Secrets;

namespace Resh.Handles.Net.Webhook;

/// <summary>One path the listener serves: how requests are checked, and what an accepted one runs.</summary>
internal sealed class WebhookRoute : IDisposable
{
    public required string Name { get; init; }
    public required string Path { get; init; }
    public required string Style { get; init; }
    public required SecretValue Secret { get; init; }
    public required long MaxBody { get; init; }
    public required TimeSpan Window { get; init; }
    /// <summary>The stage an accepted request runs (`file:///tmp/x.write`), or null: the delivery is only reported.</summary>
    public StageAction? Action { get; init; }
    public required WebhookReplayStore Replays { get; init; }

    public void Dispose() => Replays.Dispose();


    public static List<WebhookRoute> Build(VerbContext ctx, WebhookListenTarget target, RouteDefaults defaults)
    {
        var routes = new List<WebhookRoute>();
        var section = ctx.Runtime.Config.Section("webhook");
        var wanted = ctx.Get(WebhookListenArgs.Route);
        var dir = ctx.Runtime.Paths.RequiredStateSubdir("webhook");
        Resh.Core.Config.OwnedStateDir.Check(dir, Resh.Core.Platform.Posix.Stat(dir, false, out _), "webhook state directory", "replay logs");
        try
        {
            if (target.Path is not null)
            {
                var fromConfig = section?.Where(kv => kv.Value is JsonObject t && t["path"] is JsonValue p && p.TryGetValue<string>(out var s) && s == target.Path)
                    .Select(kv => (kv.Key, (JsonObject)kv.Value!)).FirstOrDefault();
                if (!ctx.IsSet(WebhookArgs.Secret) && fromConfig is { } cfg && cfg.Key is not null)
                    routes.Add(FromTable(ctx, cfg.Key, cfg.Item2, defaults, dir));
                else
                    routes.Add(FromArgs(ctx, target.Path, defaults, dir));
            }
            else
            {
                if (section is null || !section.Any(kv => kv.Value is JsonObject))
                    throw ReshError.Usage("No route to serve: the target has no path and the config has no [webhook.NAME] tables.",
                        "Give a path (webhook://127.0.0.1:9000/deploy.listen secret=env:HOOK_SECRET) or add [webhook.deploy] with path, secret and action to the config.").ToException();
                foreach (var name in wanted)
                    if (section[name] is not JsonObject)
                        throw ReshError.NotFound($"The config has no [webhook.{name}] table.",
                            Resh.Core.Text.Suggest.Hint(name, section.Where(kv => kv.Value is JsonObject).Select(kv => kv.Key)) ?? "Add it, or leave route= out to serve them all.").ToException();
                foreach (var (name, node) in section)
                    if (node is JsonObject table && (wanted.Count == 0 || wanted.Contains(name)))
                        routes.Add(FromTable(ctx, name, table, defaults, dir));
            }
            var dup = routes.GroupBy(r => r.Path).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null)
                throw ReshError.Usage($"Two routes have the path {dup.Key}: {string.Join(", ", dup.Select(r => r.Name))}.", "Give each [webhook.NAME] table its own path.").ToException();
            return routes;
        }
        catch
        {
            foreach (var r in routes) r.Dispose();
            throw;
        }
    }

    public sealed record RouteDefaults(string Style, long MaxBody, TimeSpan Window, TimeSpan Remember);

    static WebhookRoute FromArgs(VerbContext ctx, string path, RouteDefaults d, string dir)
    {
        var secret = ctx.GetSecret(WebhookArgs.Secret)
            ?? throw ReshError.Usage($"The route {path} has no secret.", "Give secret=env:HOOK_SECRET (or secret:NAME, file:PATH); a webhook listener never runs unsigned requests.").ToException();
        CheckSecret(secret, path);
        var action = ctx.Get(WebhookListenArgs.Action);
        var args = ctx.Get(WebhookListenArgs.ActionArgs);
        if (args is not null and not JsonObject) throw ReshError.Usage("with= must be a JSON object of argument templates.", "Write with:={\"content\":\"{{payload.ref}}\"}.").ToException();
        if (args is not null && action is null) throw ReshError.Usage("with= needs action=.", "Add action=STAGE, e.g. action=file:///tmp/last.write.").ToException();
        var stage = action is null ? null : StageAction.Create(Registry(ctx), action, (JsonObject?)args);
        CheckRemember(d.Style, d.Window, d.Remember, $"The route {path}");
        return new WebhookRoute
        {
            Name = path, Path = path, Style = d.Style, Secret = secret, MaxBody = d.MaxBody, Window = d.Window,
            Action = stage, Replays = new WebhookReplayStore(dir, ReplayKey(path, secret), d.Remember),
        };
    }

    static WebhookRoute FromTable(VerbContext ctx, string name, JsonObject table, RouteDefaults d, string dir)
    {
        var where = $"[webhook.{name}]";
        foreach (var (key, _) in table)
            if (key is not ("path" or "secret" or "style" or "action" or "with" or "args" or "max_body" or "window"))
                throw ReshError.Usage($"{where} has an unknown key `{key}`.",
                    Resh.Core.Text.Suggest.Hint(key, TableKeys) ?? $"Keys: {string.Join(", ", TableKeys)}.").ToException();
        var path = Text(table, "path", where) ?? throw ReshError.Usage($"{where} has no path.", "Add path = \"/deploy\".").ToException();
        WebhookListenTarget.CheckPath(path, $"{where} path");
        var secret = ctx.GetConfigSecret(table, "secret", $"webhook.{name}")
            ?? throw ReshError.Usage($"{where} has no secret.", "Add secret = \"secret:NAME\" (or env:VAR, file:PATH).").ToException();
        CheckSecret(secret, where);
        var style = Text(table, "style", where) ?? d.Style;
        if (!WebhookSignature.Styles.Contains(style))
            throw ReshError.Usage($"{where} style `{style}` is not github, gitlab or generic.", null).ToException();
        var action = Text(table, "action", where);
        // `with`, as on the command line (with:={...}); `args`, its first name, is still read (s32 user #6).
        if (table.ContainsKey("with") && table.ContainsKey("args"))
            throw ReshError.Usage($"{where} has both `with` and `args`.", "Keep `with` (`args` is its old name).").ToException();
        var args = table["with"] ?? table["args"];
        if (args is not null and not JsonObject) throw ReshError.Usage($"{where} with must be a table of argument templates.", "Write with = { content = \"{{payload.ref}}\" }.").ToException();
        StageAction? stage;
        try { stage = action is null ? null : StageAction.Create(Registry(ctx), action, (JsonObject?)args?.DeepClone()); }
        catch (ReshException e) { throw ReshError.Usage($"{where}: {e.Error.Message}", e.Error.Hint).ToException(); }
        long maxBody = d.MaxBody;
        if (Text(table, "max_body", where) is { } mb)
            maxBody = Resh.Core.Values.SizeValue.TryParse(mb, out var n) && n > 0 ? n : throw ReshError.Usage($"{where} max_body `{mb}` is not a size.", "Write max_body = \"1MiB\".").ToException();
        var window = d.Window;
        if (Text(table, "window", where) is { } w)
            window = Resh.Core.Values.DurationValue.TryParse(w, out var t) && t > TimeSpan.Zero ? t : throw ReshError.Usage($"{where} window `{w}` is not a duration.", "Write window = \"5m\".").ToException();
        CheckRemember(style, window, d.Remember, where);
        return new WebhookRoute
        {
            Name = name, Path = path, Style = style, Secret = secret, MaxBody = maxBody, Window = window,
            Action = stage, Replays = new WebhookReplayStore(dir, ReplayKey(path, secret), d.Remember),
        };
    }

    /// <summary>
    /// The replay log's identity: the path and the secret, so listeners of one route (the same secret) share it while a
    /// route of another secret on the same path keeps its own (s33 attacker #7: ids accepted there must not refuse ours).
    /// </summary>
    static string ReplayKey(string path, Resh.Core.Secrets.SecretValue secret) =>
        path + "\n" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(secret.RevealBytes().ToArray(), System.Text.Encoding.UTF8.GetBytes("resh webhook replay log")));

    static readonly string[] TableKeys = ["path", "secret", "style", "action", "with", "max_body", "window"];

    /// <summary>
    /// A generic delivery is acceptable for window= after its timestamp; forgetting its id and signature sooner would let a
    /// captured copy in again inside that window (s32 attacker #11).
    /// </summary>
    static void CheckRemember(string style, TimeSpan window, TimeSpan remember, string where)
    {
        if (style == "generic" && remember < window)
            throw ReshError.Usage($"{where}: remember= ({Resh.Core.Values.DurationValue.Format(remember)}) is shorter than window= ({Resh.Core.Values.DurationValue.Format(window)}), so a captured delivery could be replayed inside its window.",
                $"Give remember= at least window= (remember={Resh.Core.Values.DurationValue.Format(window)} or more; the default is 7d), or a shorter window=.").ToException();
    }

    static Resh.Core.Registry.HandleRegistry Registry(VerbContext ctx) => ctx.Runtime.Handles
        ?? throw ReshError.Unsupported("Webhook actions need the handle registry, which this runtime does not have.", null).ToException();

    static void CheckSecret(SecretValue secret, string where)
    {
        SecretRedactor.Register(secret);
        if (secret.Length < 8)
            throw ReshError.Usage($"The secret of {where} is shorter than 8 bytes.", "Use a long random secret: secret://hook.generate, or openssl rand -hex 32.").ToException();
    }

    static string? Text(JsonObject table, string key, string where)
    {
        if (!table.TryGetPropertyValue(key, out var node) || node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (node is JsonValue n && n.TryGetValue<long>(out var l)) return l.ToString(System.Globalization.CultureInfo.InvariantCulture);
        throw ReshError.Usage($"{where} {key} must be a string.", null).ToException();
    }
}
