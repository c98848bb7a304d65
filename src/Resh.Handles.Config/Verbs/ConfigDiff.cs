using System.Globalization;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Config;

public static class ConfigDiff
{
    static readonly Arg<string?> Other = Arg.String("other", "The file to compare with (any format config:// reads).", aliases: ["with"], path: PathUse.Read).WithPathConfinement();
    static readonly Arg<JsonNode?> Desired = Arg.Json("desired", "A document to compare with instead, as JSON: what the file should hold.");

    public static readonly VerbInfo Verb = VerbInfo.Define("diff", Effect.Read,
        "Compare the file's data with another file's or with a desired document, key by key (formats may differ).",
        [Other, Desired, ConfigFiles.FormatArg], () => ConfigJson.Default.ConfigDiffResult, RunAsync,
        examples:
        [
            new("config:///etc/app/config.yaml diff other=/etc/app/config.yaml.rpmnew", "What a package update changes."),
            new("config:///etc/app/config.json diff desired:='{\"server\":{\"port\":8080}}'", "Drift from a desired document."),
        ],
        notes: "Differences are data: `add` is only on the other side, `remove` only in this file, `change` differs. Arrays are compared item by item. Values of secret-looking keys show as \"***\" (a changed secret is still listed). "
            + "With desired=, keys the desired document leaves out are not reported (a desired document states what must hold, as merge would apply it).").WithPathConfinement();

    static ValueTask<Outcome<ConfigDiffResult>> RunAsync(VerbContext ctx)
    {
        var otherPath = ctx.Get(Other);
        var desired = ctx.Get(Desired);
        if ((otherPath is null) == (desired is null))
            return ValueTask.FromResult<Outcome<ConfigDiffResult>>(ReshError.Usage("diff needs one of other= or desired=.", "other=PATH or desired:='{...}'."));
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), false, "read");
        JsonNode? theirs;
        string label;
        if (otherPath is not null)
        {
            using var other = ConfigFiles.OpenArg(ctx, otherPath, "other");
            theirs = other.Data;
            label = other.Display;
        }
        else
        {
            theirs = desired;
            label = "desired";
        }
        var list = new List<ConfigDifference>();
        Compare(doc.Data, theirs, [], list, onlyTheirs: desired is not null);
        return ValueTask.FromResult<Outcome<ConfigDiffResult>>(new ConfigDiffResult(doc.Display, label, list.Count == 0, list.Count, list));
    }

    /// <summary>A value as shown: masked when its key (or a key above it) looks secret.</summary>
    static JsonNode? Shown(JsonNode? v, List<string> at) => ConfigSecrets.Masked(v, ConfigSecrets.IsSecretPath(at));

    static void Compare(JsonNode? mine, JsonNode? theirs, List<string> at, List<ConfigDifference> into, bool onlyTheirs)
    {
        if (mine is JsonObject a && theirs is JsonObject b)
        {
            foreach (var (k, v) in a)
            {
                if (b.TryGetPropertyValue(k, out var w)) Compare(v, w, [.. at, k], into, onlyTheirs);
                else if (!onlyTheirs) into.Add(new ConfigDifference(KeyPath.Pointer([.. at, k]), "remove", Shown(v, [.. at, k]), null));
            }
            foreach (var (k, w) in b)
                if (!a.ContainsKey(k)) into.Add(new ConfigDifference(KeyPath.Pointer([.. at, k]), "add", null, Shown(w, [.. at, k])));
            return;
        }
        if (mine is JsonArray x && theirs is JsonArray y)
        {
            for (int i = 0; i < Math.Max(x.Count, y.Count); i++)
            {
                var seg = i.ToString(CultureInfo.InvariantCulture);
                if (i >= y.Count) into.Add(new ConfigDifference(KeyPath.Pointer([.. at, seg]), "remove", Shown(x[i], [.. at, seg]), null));
                else if (i >= x.Count) into.Add(new ConfigDifference(KeyPath.Pointer([.. at, seg]), "add", null, Shown(y[i], [.. at, seg])));
                else Compare(x[i], y[i], [.. at, seg], into, onlyTheirs);
            }
            return;
        }
        if (!JsonNode.DeepEquals(mine, theirs))
            into.Add(new ConfigDifference(KeyPath.Pointer(at), "change", Shown(mine, at), Shown(theirs, at)));
    }
}
