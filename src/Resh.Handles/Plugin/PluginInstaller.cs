using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Plugin;

/// <summary>
/// Installs a plugin from a directory: the manifest is checked, every file is hashed against its checksums (a file
/// the manifest does not list, a symbolic link, a device or a FIFO is refused), the files are copied into a fresh
/// directory in the store, hashed again there, and the directory is renamed into place. The old version stays until
/// the new one is in place; a failure at any step leaves the store as it was.
/// </summary>
public static class PluginInstaller
{
    public const long MaxTotalBytes = 256L << 20;
    public const int MaxFiles = 10_000;

    /// <summary>Schemes plugins may not take (the built-in handles); set by the CLI's catalog.</summary>
    public static Func<string, bool> IsBuiltInScheme { get; set; } = s => s is "resh" or "plugin";

    /// <summary>
    /// Installs (or, under <paramref name="dryRun"/>, plans) the plugin in <paramref name="sourceDir"/>.
    /// Errors are thrown as ReshException with SPEC §3 codes (usage: bad manifest; conflict: checksum mismatch, a
    /// downgrade or a changed same version without force, a scheme another plugin has; not_found: no directory).
    /// </summary>
    /// <param name="expectedName">When set, the manifest's name must equal it (a registry entry named hello must install hello).</param>
    /// <param name="origin">Where it came from, recorded in the store's state (a path, an archive, git+URL, registry:NAME).</param>
    /// <param name="source">Anything else a source wants recorded for update (URL, ref, index, sha256); kept in the state as given.</param>
    public static Task<PluginInstallResult> InstallDirectoryAsync(string sourceDir, bool force, bool dryRun, string? expectedName,
        CancellationToken ct, string? origin = null, JsonObject? source = null, PluginStore? store = null)
        => Task.Run(() => Install(sourceDir, force, dryRun, expectedName, ct, origin ?? Path.GetFullPath(sourceDir), source, store ?? PluginStore.Default), ct);

    static PluginInstallResult Install(string sourceDir, bool force, bool dryRun, string? expectedName, CancellationToken ct,
        string origin, JsonObject? source, PluginStore store)
    {
        var dir = Path.GetFullPath(sourceDir);
        var st = Posix.Stat(dir, follow: true, out _);
        if (st is null) throw ReshError.NotFound($"No plugin directory {dir}.", "Name a directory that holds plugin.json.").ToException();
        if (!st.Value.IsDirectory) throw ReshError.Usage($"{dir} is not a directory.", "Name the plugin's directory (the one that holds plugin.json).").ToException();
        if (PluginStore.CheckParents(store.Root) is { } unsafeParent) throw unsafeParent.ToException();
        var manifestPath = Path.Combine(dir, PluginManifest.FileName);
        var manifest = PluginManifest.Load(manifestPath);
        var warnings = new List<string>();
        if (expectedName is not null && manifest.Name != expectedName)
            throw ReshError.Conflict($"The plugin in {dir} is named {manifest.Name}, not {expectedName}.", "Install it by its own name, or check the source.",
                new JsonObject { ["expected"] = expectedName, ["found"] = manifest.Name }).ToException();
        if (IsBuiltInScheme(manifest.Scheme) || manifest.Scheme == "plugin")
            throw ReshError.Conflict($"The plugin's scheme {manifest.Scheme}:// is a built-in handle of resh.", "Give the plugin another scheme in plugin.json.").ToException();

        var files = Enumerate(dir, manifest, ct);
        var mismatch = PluginStore.Mismatches(dir, manifest);
        if (mismatch.Count > 0)
            throw ReshError.PermissionDenied($"{mismatch.Count} file(s) of the plugin do not match the manifest's checksums: {string.Join(", ", mismatch.Take(5))}.",
                "Rebuild the checksums after an edit: resh plugin://.checksums path=DIR (only for a plugin you wrote yourself).",
                new JsonObject { ["files"] = new JsonArray(mismatch.Select(m => (JsonNode?)m).ToArray()) }).ToException();

        // Another installed plugin may not own the scheme.
        foreach (var other in store.Names())
        {
            if (other == manifest.Name) continue;
            try
            {
                var m = PluginManifest.Load(Path.Combine(store.DirOf(other), PluginManifest.FileName));
                if (m.Scheme == manifest.Scheme)
                    throw ReshError.Conflict($"The installed plugin {other} already has the scheme {manifest.Scheme}://.", $"Remove it first: resh plugin://{other}.remove").ToException();
            }
            catch (ReshException ex) when (ex.Error.Code != ErrorCode.Conflict) { }
        }

        var target = store.DirOf(manifest.Name);
        string? previous = null;
        bool identical = false;
        if (Directory.Exists(target))
        {
            try
            {
                var old = PluginManifest.Load(Path.Combine(target, PluginManifest.FileName));
                previous = old.Version;
                identical = File.ReadAllBytes(Path.Combine(target, PluginManifest.FileName)).AsSpan()
                    .SequenceEqual(File.ReadAllBytes(manifestPath)) && PluginStore.Mismatches(target, old).Count == 0;
                if (!identical && !force)
                {
                    var cmp = PluginManifest.CompareVersions(manifest.Version, old.Version);
                    if (cmp < 0)
                        throw ReshError.Conflict($"{manifest.Name} {old.Version} is installed; {manifest.Version} is older.", "Pass force=true to downgrade.",
                            new JsonObject { ["installed"] = old.Version, ["new"] = manifest.Version }).ToException();
                    if (cmp == 0)
                        throw ReshError.Conflict($"{manifest.Name} {old.Version} is installed with other content than this {manifest.Version}.", "Raise the version, or pass force=true to replace it.",
                            new JsonObject { ["installed"] = old.Version, ["new"] = manifest.Version }).ToException();
                }
            }
            catch (ReshException ex) when (ex.Error.Code != ErrorCode.Conflict)
            {
                warnings.Add($"the installed copy of {manifest.Name} is broken ({ex.Error.Message}); it is replaced.");
            }
        }

        var result = new PluginInstallResult(manifest.Name, manifest.Version, manifest.Scheme, target, previous, manifest.Verbs.Count, files.Count,
            manifest.Verbs.Select(v => v.Name).ToList(), origin, warnings);
        if (identical) return result with { Changed = false };
        if (dryRun) return result with { Changed = true };

        store.EnsureRoot();
        store.SweepLeftovers();
        var tmp = Path.Combine(store.Root, PluginStore.WorkName("install", manifest.Name));
        using var tracked = Cleanup.Track(tmp, directory: true);
        Directory.CreateDirectory(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            foreach (var f in files)
            {
                ct.ThrowIfCancellationRequested();
                Copy(Path.Combine(dir, f.Path), Path.Combine(tmp, f.Path), tmp, f.Executable || f.Path == manifest.Executable);
            }
            // Hash the copy: the source may have changed between the check and the copy.
            var copied = PluginManifest.Load(Path.Combine(tmp, PluginManifest.FileName));
            var after = PluginStore.Mismatches(tmp, copied);
            if (after.Count > 0 || copied.Name != manifest.Name || copied.Version != manifest.Version)
                throw ReshError.Conflict("The plugin's files changed while they were copied.", "Install again once nothing writes to the source.").ToException();
            LibC.FSyncDirectory(tmp);
            Swap(store, tmp, target, manifest.Name);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
        var state = store.ReadState(manifest.Name);
        store.WriteState(manifest.Name, new PluginState(previous is null || state.Enabled, DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"), origin, source));
        return result with { Changed = true };
    }

    sealed record FileEntry(string Path, bool Executable);

    /// <summary>Every file of the plugin directory: regular files and directories only, each file listed in checksums.</summary>
    static List<FileEntry> Enumerate(string dir, PluginManifest manifest, CancellationToken ct)
    {
        var list = new List<FileEntry>();
        long total = 0;
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var rel = pending.Pop();
            foreach (var entry in Directory.EnumerateFileSystemEntries(Path.Combine(dir, rel)))
            {
                var name = Path.GetFileName(entry);
                var relPath = rel.Length == 0 ? name : rel + "/" + name;
                var st = Posix.Stat(entry, follow: false, out _) ?? throw ReshError.Failed($"Cannot read {entry}.").ToException();
                if (st.IsSymlink)
                    throw ReshError.PermissionDenied($"The plugin holds a symbolic link ({relPath}); plugins are installed from regular files only.",
                        "Replace the link with the file itself.", new JsonObject { ["file"] = relPath }).ToException();
                if (st.IsDirectory)
                {
                    if (relPath == ".git" || relPath.EndsWith("/.git", StringComparison.Ordinal)) continue;
                    pending.Push(relPath);
                    continue;
                }
                if (!st.IsRegular)
                    throw ReshError.PermissionDenied($"The plugin holds a {st.TypeName} ({relPath}); only regular files are installed.", "Remove it from the plugin directory.").ToException();
                if (relPath != PluginManifest.FileName && !manifest.Checksums.ContainsKey(relPath))
                    throw ReshError.Conflict($"The plugin's file {relPath} is not listed in the manifest's checksums.",
                        "List every file in checksums (resh plugin://.checksums path=DIR), or remove the file.", new JsonObject { ["file"] = relPath }).ToException();
                total += st.Size;
                if (list.Count >= MaxFiles || total > MaxTotalBytes)
                    throw ReshError.Usage($"The plugin is larger than {MaxFiles} files or {MaxTotalBytes >> 20} MiB.", "Ship only what the plugin needs at run time.").ToException();
                list.Add(new FileEntry(relPath, (st.Permissions & 0x49) != 0));
            }
        }
        return list;
    }

    static void Copy(string from, string to, string root, bool executable)
    {
        var parent = Path.GetDirectoryName(to)!;
        if (!Directory.Exists(parent))
        {
            var rel = Path.GetRelativePath(root, parent);
            var cur = root;
            foreach (var part in rel.Split('/'))
            {
                cur = Path.Combine(cur, part);
                if (!Directory.Exists(cur)) Directory.CreateDirectory(cur, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | (executable ? UnixFileMode.UserExecute : 0);
        using (var src = new FileStream(from, FileMode.Open, FileAccess.Read))
        using (var dst = new FileStream(to, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            src.CopyTo(dst);
            dst.Flush(flushToDisk: true);
        }
        File.SetUnixFileMode(to, mode);
    }

    /// <summary>Puts <paramref name="tmp"/> at <paramref name="target"/>; the old copy is renamed aside first and back if that fails.</summary>
    static void Swap(PluginStore store, string tmp, string target, string name)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(tmp, target);
            LibC.FSyncDirectory(store.Root);
            return;
        }
        var aside = Path.Combine(store.Root, PluginStore.WorkName("old", name));
        Directory.Move(target, aside);
        try { Directory.Move(tmp, target); }
        catch
        {
            Directory.Move(aside, target);
            throw;
        }
        LibC.FSyncDirectory(store.Root);
        TryDelete(aside);
    }

    internal static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
