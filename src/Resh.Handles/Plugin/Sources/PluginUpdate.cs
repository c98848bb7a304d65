using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Plugin.Sources;

/// <summary>
/// plugin://NAME.update (or plugin://.update for every installed plugin): re-resolves each plugin from the source
/// recorded at install (the registry entry, the git URL and ref, the archive or directory) and installs what is there
/// when its version is higher than the installed one. `changed` is true only when a plugin was replaced.
/// </summary>
public static class PluginUpdate
{
    static readonly Arg<string?> Name = Arg.String("name", "The plugin to update (same as plugin://NAME.update); default: every installed plugin.");
    static readonly Arg<bool> Force = Arg.Bool("force", "Accept an unsigned or unverifiable registry index, an archive whose sha256 differs from the index (each a warning), a plain-http archive URL, and re-read a local directory or archive source (skipped without it).");

    public static readonly VerbInfo Verb = VerbInfo.Define("update", Effect.Mutate,
        "Update installed plugins from where they were installed (registry, git, archive, directory) when a higher version is there.",
        [Name, PluginSourceArgs.Version, PluginSourceArgs.Registry, PluginSourceArgs.Key, Force], () => PluginSourcesJson.Default.PluginUpdateResult, RunAsync,
        examples:
        [
            new("plugin://hello.update", "Update hello from its registry, git URL or archive."),
            new("plugin://.update --dry-run", "Show which plugins would move, from which version to which."),
            new("plugin://hello.update version=1.2.0", "Move hello to the registry's version 1.2.0 (an older one needs a remove first)."),
        ],
        notes: "A registry source is looked up again in the index it came from (registry= overrides it), with its signature checked as at install; " +
               "a git source is cloned again at the same URL and ref; an https archive URL is fetched again. A local directory or archive file is skipped " +
               "with a warning (whoever can re-create that path would choose the code): reinstall it with plugin://.install, or pass force=true. " +
               "Only a higher version is installed; the same or a lower one leaves the plugin as it is (up_to_date). --dry-run fetches the index " +
               "(and a git or archive source) but changes nothing, and reports from→to.",
        targetHelp: "The plugin's name; empty for every installed plugin.").WithRunsPrograms();

    static async ValueTask<Outcome<PluginUpdateResult>> RunAsync(VerbContext ctx)
    {
        var store = PluginStore.FromPaths(ctx.Runtime.Paths);
        var target = ctx.Target.Trim('/');
        var name = target.Length > 0 ? target : ctx.Get(Name);
        List<string> names;
        if (name is not null)
        {
            if (!PluginManifest.IsValidName(name))
                throw ReshError.Usage($"`{(name.Length > 40 ? name[..40] + "…" : name)}` is not a plugin name (a lower-case letter, then letters, digits or hyphens).", "Run resh plugin://.list for the installed ones.").ToException();
            if (!store.IsInstalled(name))
                throw ReshError.NotFound($"No plugin `{name}` is installed.", Resh.Core.Text.Suggest.Hint(name, store.Names()) ?? "List them: resh plugin://.list",
                    new JsonObject { ["name"] = name }).ToException();
            names = [name];
        }
        else names = store.Names().ToList();
        if (ctx.IsSet(PluginSourceArgs.Version) && names.Count != 1)
            throw ReshError.Usage("version= needs one plugin.", "Name it: plugin://NAME.update version=1.2.0").ToException();

        var entries = new List<PluginUpdateEntry>();
        foreach (var n in names)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            if (names.Count == 1) { entries.Add(await UpdateOneAsync(ctx, store, n, single: true).ConfigureAwait(false)); continue; }
            // Every plugin: one that cannot be updated (its registry is down, its source is gone) does not stop the others.
            try { entries.Add(await UpdateOneAsync(ctx, store, n, single: false).ConfigureAwait(false)); }
            catch (ReshException ex) when (ex.Error.Code is not ErrorCode.Interrupted and not ErrorCode.Timeout)
            {
                entries.Add(new PluginUpdateEntry(n, PluginStore.InstalledVersion(ctx.Runtime.Paths, n), null, "failed", Str(store.ReadState(n).Source?["kind"]), ex.Error.Message));
            }
        }
        var moved = entries.Count(e => e.Action is "updated" or "would_update");
        var result = new PluginUpdateResult(moved, entries);
        var failed = entries.Where(e => e.Action == "failed").ToList();
        if (failed.Count > 0)
            return Outcome.Partial(result, moved > 0, $"{failed.Count} of {entries.Count} plugins could not be updated ({string.Join(", ", failed.Select(f => f.Name))}).",
                "See result.plugins[].reason; update one alone for its full error: resh plugin://NAME.update",
                new JsonObject { ["failed"] = new JsonArray(failed.Select(f => (JsonNode?)f.Name).ToArray()) });
        return Outcome.Changed(result, moved > 0);
    }

    static async Task<PluginUpdateEntry> UpdateOneAsync(VerbContext ctx, PluginStore store, string name, bool single)
    {
        var installed = PluginStore.InstalledVersion(ctx.Runtime.Paths, name);
        var source = store.ReadState(name).Source;
        var kind = Str(source?["kind"]);
        var from = Str(source?["from"]) ?? store.ReadState(name).Origin;
        var force = ctx.Get(Force);
        if (installed is null)
            return Skip(name, installed, kind, "its manifest does not load; reinstall it", single);
        if (kind is null || from is null)
            return Skip(name, installed, kind, "no install source is recorded; install it again from its source", single);

        if (kind == "registry")
        {
            var registry = PluginRegistry.RegistryUrl(ctx, ctx.IsSet(PluginSourceArgs.Registry) ? null : Str(source!["registry"]));
            if (registry is null) return Skip(name, installed, kind, "no registry is recorded or configured", single);
            // The key that verified the index at install stays trusted for this plugin (with key= and [plugin] trusted_keys).
            var recorded = Str(source!["key"]) is { } k ? new[] { k } : [];
            var index = await PluginRegistry.FetchIndexAsync(ctx, registry, force, recorded, " Nothing was updated.").ConfigureAwait(false);
            foreach (var w in index.Warnings) ctx.Warn(w);
            var entry = PluginRegistry.Find(index, Str(source!["name"]) ?? name);
            var pick = PluginRegistry.Pick(entry, ctx.Get(PluginSourceArgs.Version));
            if (!Newer(pick.Version, installed)) return new PluginUpdateEntry(name, installed, installed, "up_to_date", kind, null);
            if (ctx.DryRun) return new PluginUpdateEntry(name, installed, pick.Version, "would_update", kind, null);
            await using var fetched = await PluginRegistry.FetchAsync(ctx, index, entry, pick, force).ConfigureAwait(false);
            return await InstallAsync(ctx, store, name, installed, kind, fetched, from).ConfigureAwait(false);
        }

        if (ctx.IsSet(PluginSourceArgs.Version))
            throw ReshError.Usage($"version= applies to registry sources; {name} was installed from a {kind}.", "Update it without version=.").ToException();
        // A local directory or archive file carries no trust of its own: whoever can re-create that path would choose what is
        // installed next. Only the registry (signature + key) and git (URL + ref) are followed without force=true.
        if (!force && (kind is "dir" or "directory" || (kind == "archive" && source!["url"] is null)))
        {
            var reason = $"it was installed from the local {(kind == "archive" ? "archive" : "directory")} {from}, which update does not trust; reinstall with plugin://.install from=PATH (or update with force=true)";
            ctx.Warn($"{name} was not updated: {reason}.");
            return new PluginUpdateEntry(name, installed, installed, "skipped", kind, reason);
        }
        var fetch = await PluginSources.FetchAsync(ctx, from, force).ConfigureAwait(false);
        await using (fetch)
        {
            var version = PluginManifest.Load(Path.Combine(fetch.Directory, PluginManifest.FileName)).Version;
            if (!Newer(version, installed)) return new PluginUpdateEntry(name, installed, installed, "up_to_date", kind, null);
            if (ctx.DryRun) return new PluginUpdateEntry(name, installed, version, "would_update", kind, null);
            return await InstallAsync(ctx, store, name, installed, kind, fetch, from).ConfigureAwait(false);
        }
    }

    static async Task<PluginUpdateEntry> InstallAsync(VerbContext ctx, PluginStore store, string name, string installed, string kind, IFetchedPlugin fetched, string origin)
    {
        var r = await PluginInstaller.InstallDirectoryAsync(fetched.Directory, force: false, dryRun: false, expectedName: name, ctx.Cancellation,
            origin: origin, source: fetched.Source, store: store).ConfigureAwait(false);
        foreach (var note in r.Notes) ctx.Warn(note);
        if (r.Changed) PluginHandles.Changed();
        return new PluginUpdateEntry(name, installed, r.Version, r.Changed ? "updated" : "up_to_date", kind, null);
    }

    static bool Newer(string candidate, string installed) =>
        SemVer.Parse(candidate) is { } c && SemVer.Parse(installed) is { } i ? c.CompareTo(i) > 0 : PluginManifest.CompareVersions(candidate, installed) > 0;

    static PluginUpdateEntry Skip(string name, string? installed, string? kind, string reason, bool single)
    {
        if (single)
            throw ReshError.Conflict($"{name} cannot be updated: {reason}.", $"Install it again: resh plugin://.install from=SOURCE",
                new JsonObject { ["name"] = name }).ToException();
        return new PluginUpdateEntry(name, installed, installed, "skipped", kind, reason);
    }

    static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
