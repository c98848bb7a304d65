using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Registry;

namespace Resh.Handles.Plugin;

/// <summary>An installed plugin whose manifest loaded: where it is and what it declares.</summary>
public sealed record LoadedPlugin(string Dir, PluginManifest Manifest);

/// <summary>
/// The installed plugins as handles of the registry (<see cref="IExternalHandles"/>). The store is read only when the
/// registry asks: for a scheme no built-in has, or for a listing (help, schema, docs, completion, MCP tools).
/// </summary>
public sealed class PluginHandles(Func<ReshPaths> paths) : IExternalHandles
{
    Dictionary<string, HandleInfo>? _byScheme;
    Dictionary<string, string>? _problems; // scheme or name -> why it is not available

    /// <summary>Bumped by install, enable, disable and remove, so a batch or an MCP session sees the change.</summary>
    internal static int Generation;

    /// <summary>Tells the registry the store changed (an install, update or removal in this process): the next lookup reads it again.</summary>
    public static void Changed() => Interlocked.Increment(ref Generation);
    int _loadedGeneration = -1;

    /// <summary>Registers the installed plugins with <paramref name="registry"/> (the CLI's catalog calls this once).</summary>
    public static void Attach(HandleRegistry registry)
    {
        registry.External = new PluginHandles(ReshPaths.FromEnvironment);
        PluginInstaller.IsBuiltInScheme = registry.IsBuiltIn;
    }

    public HandleInfo? Find(string scheme)
    {
        if (!PluginManifest.IsValidName(scheme)) return null;
        Load();
        return _byScheme!.GetValueOrDefault(scheme);
    }

    public IReadOnlyList<HandleInfo> All()
    {
        Load();
        return _byScheme!.Values.OrderBy(h => h.Scheme, StringComparer.Ordinal).ToList();
    }

    public string? UnknownHint(string scheme)
    {
        if (!PluginManifest.IsValidName(scheme)) return null;
        Load();
        return _problems!.GetValueOrDefault(scheme);
    }

    /// <summary>Each installed plugin's name, manifest (inode, size, change time) and state file: any install, update, toggle or removal changes it.</summary>
    public string Fingerprint()
    {
        var store = PluginStore.FromPaths(paths());
        var text = new System.Text.StringBuilder();
        IReadOnlyList<string> names;
        try { names = store.Names(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return "unreadable"; }
        foreach (var name in names)
        {
            text.Append(name);
            foreach (var file in new[] { Path.Combine(store.DirOf(name), PluginManifest.FileName), Path.Combine(store.Root, ".state", name + ".json") })
                text.Append(Resh.Core.Platform.Posix.Stat(file, follow: false, out _) is { } st ? $":{st.Inode}:{st.Size}:{st.ChangeTime.UtcTicks}" : ":-");
            text.Append(';');
        }
        return text.ToString();
    }

    void Load()
    {
        if (_byScheme is not null && _loadedGeneration == Generation) return;
        _loadedGeneration = Generation;
        var byScheme = new Dictionary<string, HandleInfo>(StringComparer.Ordinal);
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        var store = PluginStore.FromPaths(paths());
        IReadOnlyList<string> names;
        try { names = store.Names(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { names = []; }
        foreach (var name in names)
        {
            var (plugin, problem) = TryLoad(store, name, out var scheme);
            if (problem is not null)
            {
                problems[scheme] = problem;
                problems.TryAdd(name, problem);
                continue;
            }
            if (store.ReadState(name) is { Enabled: false } st)
            {
                problems[scheme] = st.Problem is { } why ? $"The plugin {name} that provides {scheme}:// is disabled: {why}"
                    : $"The plugin {name} that provides {scheme}:// is disabled: resh plugin://{name}.enable";
                continue;
            }
            if (PluginInstaller.IsBuiltInScheme(scheme) || byScheme.ContainsKey(scheme)) continue;
            try { byScheme[scheme] = Build(plugin!); }
            catch (Exception ex) when (ex is InvalidOperationException or ReshException)
            {
                problems[scheme] = $"The plugin {name} does not load ({ex.Message}): resh plugin://{name}.info";
            }
        }
        _byScheme = byScheme;
        _problems = problems;
    }

    /// <summary>Loads an installed plugin's manifest after checking who owns its files; the problem says why not.</summary>
    public static (LoadedPlugin? Plugin, string? Problem) TryLoad(PluginStore store, string name) => TryLoad(store, name, out _);

    /// <summary>As above; <paramref name="scheme"/> is the manifest's scheme even when the plugin may not run (for the hint of an unknown scheme).</summary>
    public static (LoadedPlugin? Plugin, string? Problem) TryLoad(PluginStore store, string name, out string scheme)
    {
        var dir = store.DirOf(name);
        scheme = name;
        PluginManifest manifest;
        try
        {
            manifest = PluginManifest.Load(Path.Combine(dir, PluginManifest.FileName));
            scheme = manifest.Scheme;
        }
        catch (ReshException ex) { return (null, $"The plugin {name} does not load: {ex.Error.Message} (resh plugin://{name}.info)"); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return (null, $"The plugin {name} cannot be read: {ex.Message}"); }
        if (PluginStore.CheckOwnership(store.Root) is { } rootError) return (null, rootError.Message + " " + rootError.Hint);
        if (PluginStore.CheckParents(store.Root) is { } parentError) return (null, parentError.Message + " " + parentError.Hint);
        if (PluginStore.CheckOwnership(dir) is { } dirError) return (null, dirError.Message + " " + dirError.Hint);
        if (manifest.Name != name) return (null, $"The plugin in {dir} names itself {manifest.Name}; install it again.");
        return (new LoadedPlugin(dir, manifest), null);
    }

    /// <summary>The handle a plugin declares: one verb per manifest verb, arguments typed from the args schema.</summary>
    public static HandleInfo Build(LoadedPlugin plugin)
    {
        var m = plugin.Manifest;
        var verbs = m.Verbs.Select(v => BuildVerb(plugin, v)).ToList();
        return new HandleInfo(m.Scheme, m.Summary, m.Target, verbs)
        {
            RunsPrograms = true, // every verb runs the plugin's executable, whatever its manifest claims
            Notes = $"A plugin: {m.Name} {m.Version}, installed in {plugin.Dir}. "
                + (m.Mode == "ndjson"
                    ? $"{m.Executable} is started once per resh process and answers one JSON request per line (protocol 1, mode ndjson; see resh help plugin). "
                    : $"Each call runs {m.Executable} once with one JSON request on stdin (protocol 1; see resh help plugin). ")
                + "Manage it with plugin://: info, test, disable, remove.",
        };
    }

    static VerbInfo BuildVerb(LoadedPlugin plugin, PluginVerb v)
    {
        var args = PluginArgs.FromSchema(v.Args);
        var effect = v.Effect switch { "write" => Effect.Mutate, "destroy" => Effect.Destroy, _ => Effect.Read };
        var examples = v.Examples.Select(e => new Example(e.Call, e.Description ?? (v.Summary.Length > 0 ? v.Summary : v.Name))).ToArray();
        return VerbInfo.Define(v.Name, effect, v.Summary.Length > 0 ? v.Summary : $"The {v.Name} verb of the {plugin.Manifest.Name} plugin.",
            args.Select(a => a.Arg).ToArray(), () => PluginJson.Default.JsonNode,
            ctx => RunVerbAsync(ctx, plugin, v, args), examples: examples, notes: v.Notes).WithResultSchema((JsonObject)v.Result.DeepClone());
    }

    static async ValueTask<Outcome<JsonNode>> RunVerbAsync(VerbContext ctx, LoadedPlugin plugin, PluginVerb v, IReadOnlyList<PluginArg> args)
    {
        if (ctx.DryRun && v.Effect is "write" or "destroy" && !v.DryRun)
            return ReshError.Unsupported($"The {v.Name} verb of the plugin {plugin.Manifest.Name} does not declare that it honours --dry-run; it was not run.",
                $"Run it without --dry-run, or (as its author) declare \"dry_run\": true on the verb in plugin.json once it changes nothing when the request says dry_run.",
                new JsonObject { ["plugin"] = plugin.Manifest.Name, ["verb"] = v.Name, ["effect"] = v.Effect });
        if (CheckIntegrity(plugin) is { } refused) return refused;
        var json = new JsonObject();
        foreach (var a in args)
        {
            if (a.Arg is Arg<Resh.Core.Secrets.SecretRef?> secret)
            {
                // Resolved from its source (secret:NAME, env:, file:, @-) now; the value travels only in the stdin request
                // and is masked wherever the plugin's answer or error repeats it (the resolved value is registered for scrubbing).
                if (ctx.GetSecret(secret) is { } value)
                {
                    json[a.Arg.Name] = value.Reveal();
                    // s37 user #17: masking every "1" or "ab" would garble the output, so short values are not masked: say so.
                    if (value.Length < Resh.Core.Secrets.SecretRedactor.MinLength)
                        ctx.Warn($"The secret argument `{a.Arg.Name}` is shorter than {Resh.Core.Secrets.SecretRedactor.MinLength} characters, so it is not masked (***) in output: masking every short string would garble it.");
                }
            }
            else if (ctx.IsSet(a.Arg))
            {
                var value = ctx.Args.Given.First(g => ReferenceEquals(g.Key, a.Arg)).Value;
                json[a.Arg.Name] = ArgsForwarding.ToJson(a.Arg, value, $"the plugin {plugin.Manifest.Name}");
            }
            else if (a.Default is not null) json[a.Arg.Name] = a.Default.DeepClone();
        }
        var request = Request(plugin.Manifest, ctx.Target, v.Name, json, ctx.DryRun);
        var answer = await PluginRunner.RunAsync(plugin, request, ctx.Timeout, () => ctx.TimedOut, ctx.Cancellation).ConfigureAwait(false);
        foreach (var w in answer.Warnings) ctx.Warn(w);
        if (!answer.Ok) return answer.Error!;
        return Outcome.Changed(answer.Result!, answer.Changed);
    }

    /// <summary>The protocol-1 request.</summary>
    public static JsonObject Request(PluginManifest m, string target, string verb, JsonObject args, bool dryRun) => new()
    {
        ["protocol"] = PluginManifest.CurrentProtocol,
        ["scheme"] = m.Scheme,
        ["target"] = target,
        ["verb"] = verb,
        ["args"] = args,
        ["dry_run"] = dryRun,
    };

    /// <summary>Refuses to run a plugin whose store copy another user may change or whose files differ from the checksums.</summary>
    public static ReshError? CheckIntegrity(LoadedPlugin plugin)
    {
        if (PluginStore.CheckOwnership(plugin.Dir) is { } owner) return owner;
        var bad = PluginStore.Mismatches(plugin.Dir, plugin.Manifest);
        if (bad.Count == 0) return null;
        return ReshError.PermissionDenied($"The installed plugin {plugin.Manifest.Name} was changed after install ({string.Join(", ", bad.Take(5))} differ from the checksums); resh will not run it.",
            $"Install it again from its source (resh plugin://.install from=DIR force=true), or remove it: resh plugin://{plugin.Manifest.Name}.remove",
            new JsonObject { ["files"] = new JsonArray(bad.Select(b => (JsonNode?)b).ToArray()) });
    }
}
