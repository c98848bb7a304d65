using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Handles.Config.Formats;

namespace Resh.Handles.Config.Kv;

/// <summary>get, set and delete on a key-value store (the file verbs hand a config://NAME/KEY target here).</summary>
internal static class KvVerbs
{
    public static readonly Arg<long?> Revision = Arg.Int("revision",
        "Key-value stores: compare-and-set. set/delete write only if the key was last changed at this revision (0: only if the key is absent); watch starts after it. Refused for files.",
        min: 0, examples: ["0", "42"]);

    /// <summary>A key whose path has a secret-looking segment (password, token...) shows its value as "***" unless reveal=true.</summary>
    static bool Secret(string key) => ConfigSecrets.IsSecretPath(key.Split('/'));

    public static JsonNode? Shown(string key, JsonNode? value, bool reveal) => !reveal && Secret(key) ? ConfigSecrets.Masked(value, true) : value;

    /// <summary>key= belongs to files; a store's key is in the target.</summary>
    public static void NoFileKey(VerbContext ctx, string? key, string display)
    {
        if (key is not null)
            throw ReshError.Usage($"key= names a key inside a file; {display} is a key-value store, whose key is in the target.", $"Write the key after the store: {display.TrimEnd('/')}/{key.Replace('.', '/')}").ToException();
    }

    public static async ValueTask<Outcome<ConfigGetResult>> GetAsync(VerbContext ctx, string? fileKey, bool reveal)
    {
        var (store, key, display) = await KvTarget.OpenAsync(ctx, prefix: false).ConfigureAwait(false);
        NoFileKey(ctx, fileKey, display);
        var entry = await store.GetAsync(key, ctx.Cancellation).ConfigureAwait(false);
        var value = entry is null ? null : KvRules.Typed(entry.Value);
        if (entry is not null && !reveal && Secret(key) && ctx.WantsRaw)
            return ReshError.Usage($"{display} holds a secret; --format raw prints it only with reveal=true.", $"resh {display}.get reveal=true --format raw");
        var shown = Shown(key, value, reveal);
        var result = new ConfigGetResult(display, store.Backend, key, entry is not null, entry is null ? null : ConfigFormat.TypeName(value), shown?.DeepClone(), entry?.Revision);
        var raw = entry is null ? null : shown is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : JsonText.Pretty(shown, "  ", "");
        return new Outcome<ConfigGetResult>(result, false).WithRaw(raw is null ? null : RawPayload.FromText(raw));
    }

    public static async ValueTask<Outcome<ConfigChangeResult>> SetAsync(VerbContext ctx, string? fileKey, JsonNode? value)
    {
        var text = KvRules.Text(value); // the size check comes before any connection
        var (store, key, display) = await KvTarget.OpenAsync(ctx, prefix: false).ConfigureAwait(false);
        NoFileKey(ctx, fileKey, display);
        var write = await store.PutAsync(key, text, ctx.Get(Revision), ctx.DryRun, ctx.Cancellation).ConfigureAwait(false);
        var previous = write.Previous is null ? null : Shown(key, KvRules.Typed(write.Previous.Value), false);
        var result = new ConfigChangeResult(display, store.Backend, key, previous, Shown(key, KvRules.Typed(text), false), write.Previous is null && write.Changed, null,
            write.Revision > 0 ? write.Revision : null, write.Previous?.Revision);
        return Outcome.Changed(result, write.Changed);
    }

    public static async ValueTask<Outcome<ConfigChangeResult>> DeleteAsync(VerbContext ctx, string? fileKey)
    {
        var (store, key, display) = await KvTarget.OpenAsync(ctx, prefix: false).ConfigureAwait(false);
        NoFileKey(ctx, fileKey, display);
        var write = await store.DeleteAsync(key, ctx.Get(Revision), ctx.DryRun, ctx.Cancellation).ConfigureAwait(false);
        var previous = write.Previous is null ? null : Shown(key, KvRules.Typed(write.Previous.Value), false);
        return Outcome.Changed(new ConfigChangeResult(display, store.Backend, key, previous, null, false, null,
            write.Revision > 0 ? write.Revision : null, write.Previous?.Revision), write.Changed);
    }

    /// <summary>revision= on a file is refused rather than ignored.</summary>
    public static void NoRevisionForFiles(VerbContext ctx)
    {
        if (ctx.Get(Revision) is not null)
            throw ReshError.Usage("revision= is a compare-and-set for key-value stores (config://NAME/KEY); a file has no revisions.", "Drop revision=, or name a store: config://local/app/key").ToException();
    }
}
