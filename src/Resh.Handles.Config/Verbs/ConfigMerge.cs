using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Config.Formats;

namespace Resh.Handles.Config;

public static class ConfigMerge
{
    static readonly Arg<JsonNode?> Document = Arg.Json("document", "The document to merge, as JSON (document:='{\"server\":{\"port\":8080}}').");
    static readonly Arg<string?> From = Arg.String("from", "A file to merge instead (any format config:// reads).", path: PathUse.Read).WithPathConfinement();

    public static readonly VerbInfo Verb = VerbInfo.Define("merge", Effect.Mutate,
        "Deep-merge a document into the file, key by key, keeping everything the merge does not change.",
        [Document, From, ConfigFiles.FormatArg], () => ConfigJson.Default.ConfigMergeResult, RunAsync,
        examples:
        [
            new("config:///etc/app/config.yaml merge document:='{\"server\":{\"port\":8080,\"debug\":null}}'", "Set server.port and delete server.debug."),
            new("config:///etc/app/config.toml merge from=overrides.yaml --dry-run", "Preview merging another file."),
        ],
        notes: "JSON Merge Patch semantics (RFC 7386): objects merge recursively, a null deletes the key, anything else (arrays included) replaces. "
            + "Each changed leaf is one in-place edit, as with set, so untouched lines stay byte for byte. Values of secret-looking keys show as \"***\" in the diff.").WithPathConfinement();

    static async ValueTask<Outcome<ConfigMergeResult>> RunAsync(VerbContext ctx)
    {
        var patch = ctx.Get(Document);
        var from = ctx.Get(From);
        if ((patch is null) == (from is null))
            return ReshError.Usage("merge needs one of document= or from=.", "document:='{\"key\": \"value\"}' or from=PATH.");
        if (from is not null)
        {
            using var other = ConfigFiles.OpenArg(ctx, from, "from");
            patch = other.Data?.DeepClone();
        }
        if (patch is not JsonObject obj) return ReshError.Usage("The document to merge must be an object.", "document:='{\"key\": \"value\"}'.");
        using var doc = ConfigFiles.Open(ctx, ConfigFiles.ResolvePath(ctx), ctx.Get(ConfigFiles.FormatArg), true, "edit");
        var text = doc.Text;
        var changed = new List<string>();
        Apply(doc.Format, ref text, [], obj, changed);
        doc.Format.Read(text);
        var diff = await ConfigFiles.CommitAsync(ctx, doc, text).ConfigureAwait(false);
        return Outcome.Changed(new ConfigMergeResult(doc.Display, doc.Format.Name, changed, diff), diff is not null || !doc.Exists);
    }

    static void Apply(ConfigFormat format, ref string text, List<string> at, JsonObject patch, List<string> changed)
    {
        foreach (var (k, v) in patch)
        {
            var segs = new List<string>(at) { k };
            var path = KeyPath.Of(segs);
            var data = format.Read(text);
            var current = ConfigFormat.Lookup(data, path, out var found);
            if (v is null)
            {
                if (!found) continue;
                text = format.Delete(text, path) ?? text;
                changed.Add(path.PointerText);
            }
            else if (v is JsonObject o && current is JsonObject)
            {
                Apply(format, ref text, segs, o, changed);
            }
            else if (!found || !JsonNode.DeepEquals(current, format.Normalize(v)))
            {
                text = format.Set(text, path, v.DeepClone());
                changed.Add(path.PointerText);
            }
        }
    }
}
