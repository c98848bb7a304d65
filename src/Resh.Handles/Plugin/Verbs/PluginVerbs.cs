using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;
using Resh.Core.Platform;

namespace Resh.Handles.Plugin.Verbs;

public static class PluginInstall
{
    static readonly Arg<string?> From = Arg.String("from", "Where the plugin is: a directory holding plugin.json, written as a path (./hello; a bare NAME is the registry's), or FILE.tar.gz, git+URL, registry:NAME when this build has those sources.",
        required: true, aliases: ["path"], examples: ["./hello"], path: PathUse.Read);
    static readonly Arg<string?> Name = Arg.String("name", "The name the plugin must have (refused when its manifest says otherwise).");
    static readonly Arg<bool> Force = Arg.Bool("force", "Replace an installed plugin with an older version, or the same version with other content.");

    public static readonly VerbInfo Verb = VerbInfo.Define("install", Effect.Mutate,
        "Install a plugin into the store: its manifest checked, every file checked against the checksums, copied and renamed into place.",
        [From, Name, Force, .. PluginSourcesHook.InstallArgs], () => PluginJson.Default.PluginInstallResult, RunAsync,
        examples: [new("plugin://.install from=./hello", "Install the plugin in ./hello.")],
        notes: "A symbolic link, a device or a file the checksums do not list is refused; the copy is hashed again before it is renamed into "
            + "plugins/NAME, and the old version stays until then. Installing the same content again is changed: false. A lower version, or the same "
            + "version with other content, needs force=true. A scheme of a built-in handle or of another installed plugin is refused.").WithRunsPrograms();

    static async ValueTask<Outcome<PluginInstallResult>> RunAsync(VerbContext ctx)
    {
        var from = ctx.Get(From)!;
        var force = ctx.Get(Force);
        await using var fetched = PluginSourcesHook.Fetch is { } fetch ? await fetch(ctx, from, force, ctx.Cancellation).ConfigureAwait(false) : null;
        var result = await PluginInstaller.InstallDirectoryAsync(fetched?.Directory ?? from, force, ctx.DryRun, ctx.Get(Name) ?? fetched?.ExpectedName,
            // The state file and plugin://NAME.info show the origin: credentials in a URL are masked (s36 attacker #5).
            ctx.Cancellation, origin: fetched is null ? Path.GetFullPath(from) : Resh.Handles.Git.GitUrl.Display(from),
            source: fetched?.Source ?? new JsonObject { ["kind"] = "dir", ["from"] = Path.GetFullPath(from) },
            store: PluginHandle.Store(ctx)).ConfigureAwait(false);
        if (result.Changed && !ctx.DryRun) PluginHandles.Changed();
        return Outcome.Changed(result, result.Changed);
    }
}

public static class PluginList
{
    public static readonly VerbInfo Verb = VerbInfo.Define("list", Effect.Read,
        "The installed plugins: name, version, scheme, enabled, verb count, path, and why one does not load.",
        [], () => PluginJson.Default.PluginListResult, Run,
        examples: [new("plugin://.list", "Every installed plugin.")]);

    static Outcome<PluginListResult> Run(VerbContext ctx)
    {
        var store = PluginHandle.Store(ctx);
        store.SweepLeftovers();
        var list = new List<PluginListEntry>();
        foreach (var name in store.Names())
        {
            var (plugin, problem) = PluginHandles.TryLoad(store, name);
            var state = store.ReadState(name);
            var enabled = state.Enabled;
            if (plugin is null) { list.Add(new PluginListEntry(name, null, null, enabled, 0, store.DirOf(name), problem ?? state.Problem, null)); continue; }
            var m = plugin.Manifest;
            list.Add(new PluginListEntry(name, m.Version, m.Scheme, enabled, m.Verbs.Count, plugin.Dir, state.Problem, m.Summary));
        }
        return new PluginListResult(list);
    }
}

public static class PluginInfo
{
    static readonly Arg<string?> Name = Arg.String("name", "The plugin (or give it as the target).");

    public static readonly VerbInfo Verb = VerbInfo.Define("info", Effect.Read,
        "An installed plugin's manifest: version, scheme, executable, verbs with their arguments, and whether its files still match the checksums.",
        [Name], () => PluginJson.Default.PluginInfoResult, Run,
        examples: [new("plugin://hello.info", "The hello plugin's manifest and checksum status.")]);

    static Outcome<PluginInfoResult> Run(VerbContext ctx)
    {
        var store = PluginHandle.Store(ctx);
        var name = PluginHandle.NameOf(ctx, Name);
        if (!store.IsInstalled(name)) return PluginHandle.NotInstalled(store, name);
        var dir = store.DirOf(name);
        var manifest = PluginManifest.Load(Path.Combine(dir, PluginManifest.FileName));
        var state = store.ReadState(name);
        if (state.Problem is { } why) ctx.Warn($"{name}: {why}.");
        var bad = PluginStore.Mismatches(dir, manifest);
        var owner = PluginStore.CheckOwnership(dir)?.Message;
        var verbs = manifest.Verbs.Select(v => new PluginVerbSummary(v.Name, v.Effect, v.Summary,
            (v.Args["properties"] as JsonObject ?? []).Select(p => p.Key).ToList(), v.Examples.Count)).ToList();
        return new PluginInfoResult(manifest.Name, manifest.Version, manifest.Scheme, manifest.Summary, manifest.Target, manifest.Executable,
            manifest.Mode, manifest.Protocol, state.Enabled, dir, state.Origin, state.InstalledAt, verbs, bad.Count == 0, bad, owner);
    }
}

public static class PluginToggle
{
    static readonly Arg<string?> Name = Arg.String("name", "The plugin (or give it as the target).");

    public static readonly VerbInfo Enable = VerbInfo.Define("enable", Effect.Mutate,
        "Enable an installed plugin: its scheme answers again.", [Name], () => PluginJson.Default.PluginToggleResult, ctx => Run(ctx, true),
        examples: [new("plugin://hello.enable", "hello:// answers again.")]);

    public static readonly VerbInfo Disable = VerbInfo.Define("disable", Effect.Mutate,
        "Disable an installed plugin without removing it: its scheme is unknown (with a hint to enable it) until enabled.", [Name],
        () => PluginJson.Default.PluginToggleResult, ctx => Run(ctx, false),
        examples: [new("plugin://hello.disable", "hello:// stops answering; the files stay.")]);

    static Outcome<PluginToggleResult> Run(VerbContext ctx, bool enable)
    {
        var store = PluginHandle.Store(ctx);
        var name = PluginHandle.NameOf(ctx, Name);
        if (!store.IsInstalled(name)) return PluginHandle.NotInstalled(store, name);
        var state = store.ReadState(name);
        if (state.Enabled == enable) return Outcome.Unchanged(new PluginToggleResult(name, enable));
        if (!ctx.DryRun)
        {
            store.WriteState(name, state with { Enabled = enable });
            PluginHandles.Changed();
        }
        return Outcome.Changed(new PluginToggleResult(name, enable));
    }
}

public static class PluginRemove
{
    static readonly Arg<string?> Name = Arg.String("name", "The plugin (or give it as the target).");

    public static readonly VerbInfo Verb = VerbInfo.Define("remove", Effect.Destroy,
        "Remove an installed plugin: its files and state leave the store.", [Name], () => PluginJson.Default.PluginRemoveResult, Run,
        examples: [new("plugin://hello.remove", "Remove the hello plugin."), new("plugin://hello.remove --dry-run", "What would go.")]);

    static Outcome<PluginRemoveResult> Run(VerbContext ctx)
    {
        var store = PluginHandle.Store(ctx);
        var name = PluginHandle.NameOf(ctx, Name);
        if (!store.IsInstalled(name)) return PluginHandle.NotInstalled(store, name);
        var dir = store.DirOf(name);
        string? version = null;
        try { version = PluginManifest.Load(Path.Combine(dir, PluginManifest.FileName)).Version; } catch (ReshException) { }
        if (ctx.DryRun) return Outcome.Changed(new PluginRemoveResult(name, version, dir, false));
        // Renamed aside first, so a half-deleted plugin is never loaded.
        var aside = Path.Combine(store.Root, PluginStore.WorkName("remove", name));
        Directory.Move(dir, aside);
        store.DeleteState(name);
        PluginInstaller.TryDelete(aside);
        PluginHandles.Changed();
        return Outcome.Changed(new PluginRemoveResult(name, version, dir, true));
    }
}

public static class PluginNew
{
    static readonly Arg<string?> Name = Arg.String("name", "The plugin's name (and its scheme unless scheme= says otherwise).", required: true, examples: ["hello"]);
    static readonly Arg<string?> Language = Arg.Enum("language", "bash (needs python3 to read the JSON request, no jq), python (python3) or csharp (a .csproj and Program.cs; needs the .NET SDK).",
        PluginScaffold.Languages, "bash");
    static readonly Arg<string?> Dir = Arg.String("dir", "Where to write it (default ./NAME); must not exist or be empty.", path: PathUse.Write);
    static readonly Arg<string?> Scheme = Arg.String("scheme", "The scheme of its handle (default: the name).");
    static readonly Arg<string?> Mode = Arg.Enum("mode", "oneshot: one process per call; ndjson: one long-lived process per resh run that answers a JSON request per line (language=python).",
        ["oneshot", "ndjson"], "oneshot");

    public static readonly VerbInfo Verb = VerbInfo.Define("new", Effect.Mutate,
        "Write a working starter plugin: plugin.json with one verb, an example and checksums, and the executable.",
        [Name, Language, Dir, Scheme, Mode], () => PluginJson.Default.PluginNewResult, Run,
        examples:
        [
            new("plugin://.new name=hello language=bash", "A bash plugin in ./hello."),
            new("plugin://.new name=hello language=python dir=/tmp/hello", "A Python plugin in /tmp/hello."),
            new("plugin://.new name=hello language=python mode=ndjson", "A long-lived Python plugin (one process per resh run, a request per line)."),
        ],
        notes: "Then: resh plugin://.test path=./hello (runs its example), resh plugin://.install from=./hello, resh hello://world.greet. "
            + "After editing a file, resh plugin://.checksums path=./hello brings the manifest's checksums up to date.");

    static Outcome<PluginNewResult> Run(VerbContext ctx)
    {
        var name = ctx.Get(Name)!;
        if (!PluginManifest.IsValidName(name))
            return ReshError.Usage($"`{(name.Length > 40 ? name[..40] + "…" : name)}` is not a plugin name: a lower-case letter, then up to 31 lower-case letters, digits or hyphens.", "Example: name=hello");
        var scheme = ctx.Get(Scheme) ?? name;
        if (!PluginManifest.IsValidName(scheme)) return ReshError.Usage($"`{scheme}` is not a scheme: a lower-case letter, then letters, digits or hyphens.", "Example: scheme=hello");
        if (PluginInstaller.IsBuiltInScheme(scheme) || scheme == "plugin")
            return ReshError.Conflict($"{scheme}:// is a built-in handle of resh.", "Pick another name, or scheme=.");
        var language = ctx.Get(Language)!;
        var pluginMode = ctx.Get(Mode)!;
        if (pluginMode == "ndjson" && language != "python")
            return ReshError.Unsupported($"The {language} scaffold is oneshot only; the ndjson scaffold is written in Python.",
                "Use language=python mode=ndjson, or mode=oneshot (docs/plugins.md describes the ndjson protocol for any language).");
        var dir = Path.GetFullPath(ctx.Get(Dir) ?? name);
        if (File.Exists(dir) || (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any()))
            return ReshError.Conflict($"{dir} exists and is not empty.", "Pick another dir=, or remove it first.");
        var files = PluginScaffold.Files(name, scheme, language, pluginMode);
        var next = new List<string> { $"resh plugin://.test path={dir}", $"resh plugin://.install from={dir}", $"resh {scheme}://world.greet" };
        var result = new PluginNewResult(name, language, dir, files.Select(f => f.Path).ToList(), PluginScaffold.Requires(language), next);
        if (ctx.DryRun) return Outcome.Changed(result);
        Directory.CreateDirectory(dir);
        foreach (var (path, content, exec) in files)
        {
            var full = Path.Combine(dir, path);
            var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead
                | (exec ? UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : 0);
            AtomicFile.Write(full, Encoding.UTF8.GetBytes(content), mode);
        }
        return Outcome.Changed(result);
    }
}

public static class PluginChecksums
{
    static readonly Arg<string?> PathArg = Arg.String("path", "The plugin directory whose plugin.json gets the checksums of its files.", required: true, path: PathUse.Write);

    public static readonly VerbInfo Verb = VerbInfo.Define("checksums", Effect.Mutate,
        "Bring a plugin directory's manifest checksums up to date with its files (for a plugin you are writing).",
        [PathArg], () => PluginJson.Default.PluginChecksumsResult, Run,
        examples: [new("plugin://.checksums path=./hello", "After editing hello.sh.")],
        notes: "Every regular file except plugin.json is listed (a .git directory is skipped); a symbolic link or device is refused. Only for your own plugin: checksums protect what you install from changes after you reviewed it.");

    static Outcome<PluginChecksumsResult> Run(VerbContext ctx)
    {
        var dir = Path.GetFullPath(ctx.Get(PathArg)!);
        var manifestPath = Path.Combine(dir, PluginManifest.FileName);
        if (!File.Exists(manifestPath)) return ReshError.NotFound($"No plugin.json in {dir}.", "resh plugin://.new name=NAME writes a plugin.");
        var bytes = File.ReadAllBytes(manifestPath);
        if (bytes.Length > PluginManifest.MaxManifestBytes) return ReshError.Usage("plugin.json is larger than 1 MiB.", null);
        JsonObject root;
        try { root = JsonNode.Parse(bytes) as JsonObject ?? throw new System.Text.Json.JsonException(); }
        catch (System.Text.Json.JsonException) { return ReshError.Usage($"{manifestPath} is not a JSON object.", "Fix it, then run this again."); }
        var sums = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            var rel = pending.Pop();
            foreach (var entry in Directory.EnumerateFileSystemEntries(Path.Combine(dir, rel)))
            {
                var relPath = rel.Length == 0 ? Path.GetFileName(entry) : rel + "/" + Path.GetFileName(entry);
                var st = Posix.Stat(entry, follow: false, out _);
                if (st is { IsDirectory: true }) { if (Path.GetFileName(entry) != ".git") pending.Push(relPath); continue; }
                if (st is not { IsRegular: true }) return ReshError.PermissionDenied($"{relPath} is not a regular file (a link or device); plugins hold regular files only.", "Replace it with the file itself.");
                if (relPath == PluginManifest.FileName) continue;
                if (sums.Count >= PluginInstaller.MaxFiles) return ReshError.Usage($"More than {PluginInstaller.MaxFiles} files.", null);
                sums[relPath] = PluginStore.Sha256(entry);
            }
        }
        var old = root["checksums"] as JsonObject;
        var updated = sums.Where(kv => old?[kv.Key] is not JsonValue ov || ov.ToString() != kv.Value).Select(kv => kv.Key)
            .Concat(old?.Select(kv => kv.Key).Where(k => !sums.ContainsKey(k)) ?? []).ToList();
        var result = new PluginChecksumsResult(dir, root["name"]?.ToString() ?? "", sums, updated);
        if (updated.Count == 0) return result;
        if (ctx.DryRun) return Outcome.Changed(result);
        var o = new JsonObject();
        foreach (var (k, v) in sums) o[k] = v;
        root["checksums"] = o;
        var mode = File.GetUnixFileMode(manifestPath);
        AtomicFile.Write(manifestPath, Encoding.UTF8.GetBytes(root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, TypeInfoResolver = PluginJson.Default }) + "\n"), mode);
        return Outcome.Changed(result);
    }
}
