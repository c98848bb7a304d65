using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Plugin.Sources;

/// <summary>plugin://.search: the plugins of the (verified) registry index, filtered by a word.</summary>
public static class PluginSearch
{
    static readonly Arg<string?> Query = Arg.String("query", "Only plugins whose name or summary contains this text (case-insensitive).", aliases: ["q"]);
    static readonly Arg<bool> Force = Arg.Bool("force", "List an index that is unsigned or does not verify (a warning says so).");

    public static readonly VerbInfo Verb = VerbInfo.Define("search", Effect.Read,
        "List the plugins a signed registry index offers (its signature checked first), with the version installed here.",
        [Query, PluginSourceArgs.Registry, PluginSourceArgs.Key, Force], () => PluginSourcesJson.Default.PluginSearchResult, RunAsync,
        examples:
        [
            new("plugin://.search", "Everything the configured registry ([plugin] registry) offers."),
            new("plugin://.search query=dns registry=https://plugins.example.org/index.json key=ed25519:BASE64", "Search another registry."),
        ],
        notes: "The index is refused (permission_denied) when unsigned or when its signature does not verify with a trusted key (key= or [plugin] trusted_keys), unless force=true.");

    static async ValueTask<Outcome<PluginSearchResult>> RunAsync(VerbContext ctx)
    {
        var registry = PluginRegistry.RegistryUrl(ctx)
            ?? throw Resh.Core.Errors.ReshError.Usage("No plugin registry is configured.", "Pass registry=https://.../index.json, or set [plugin] registry in the config.").ToException();
        var index = await PluginRegistry.FetchIndexAsync(ctx, registry, ctx.Get(Force), refusal: "").ConfigureAwait(false);
        foreach (var w in index.Warnings) ctx.Warn(w);
        var q = ctx.Get(Query);
        var entries = index.Plugins
            .Where(p => string.IsNullOrEmpty(q) || p.Name.Contains(q, StringComparison.OrdinalIgnoreCase) || (p.Summary?.Contains(q, StringComparison.OrdinalIgnoreCase) ?? false))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => new PluginSearchEntry(p.Name, p.Summary, p.Latest?.Version,
                p.Versions.OrderByDescending(v => v.Parsed).Select(v => v.Version).ToList(), PluginStore.InstalledVersion(ctx.Runtime.Paths, p.Name)))
            .ToList();
        return new PluginSearchResult(PluginHttp.Display(index.Url.ToString()), index.Verified, index.KeyId, entries.Count, entries);
    }
}
