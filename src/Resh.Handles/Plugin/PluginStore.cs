using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Resh.Core.Config;
using Resh.Core.Errors;
using Resh.Core.Platform;

namespace Resh.Handles.Plugin;

/// <summary>What the store keeps about an installed plugin besides its files (plugins/.state/NAME.json).</summary>
public sealed record PluginState(bool Enabled, string? InstalledAt, string? Origin, JsonObject? Source, string? Problem = null);

/// <summary>
/// The plugin store in the state dir (SPEC §7): <c>plugins/NAME/</c> is the installed copy of the plugin directory (0700,
/// exactly the files its manifest's checksums list plus plugin.json), <c>plugins/.state/NAME.json</c> whether it is
/// enabled and where it came from. Installs build <c>plugins/.install-NAME-RANDOM/</c> and rename it into place.
/// </summary>
public sealed class PluginStore(string root)
{
    public string Root { get; } = root;

    /// <summary>
    /// The store of this user (RESH_HOME, else the default state dir), named by its real path (every symbolic link on
    /// the way resolved once, here): the ownership checks (<see cref="CheckParents"/>) and the exec then name the same
    /// directories, so whoever owns a directory that held a link on the given path cannot swap the store between the
    /// checks and the exec (s36 attacker #1). A store that does not exist yet is named below its parent's real path.
    /// </summary>
    public static PluginStore FromPaths(ReshPaths paths) => new(Resolved(Path.Combine(paths.StateDir, "plugins")));

    /// <summary><paramref name="path"/> with its directories' symbolic links resolved (the kernel's name of an open descriptor).</summary>
    internal static string Resolved(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        if (full.Length == 0) return "/";
        if (RealDirectory(full) is { } real) return real;
        // Not there yet (the first install): the nearest existing parent resolved, the rest as given.
        var rest = new List<string>();
        for (var dir = full; Path.GetDirectoryName(dir) is { } parent; dir = parent)
        {
            rest.Insert(0, Path.GetFileName(dir));
            if (RealDirectory(parent) is { } p) return (p == "/" ? "" : p) + "/" + string.Join('/', rest);
        }
        return full;
    }

    public static PluginStore Default => FromPaths(ReshPaths.FromEnvironment());

    /// <summary>What install recorded about the plugin's source (for update); null when not installed or nothing recorded.</summary>
    public static JsonObject? ReadSource(ReshPaths paths, string name) =>
        FromPaths(paths) is var s && s.IsInstalled(name) ? s.ReadState(name).Source : null;

    /// <summary>The installed version, or null when the plugin is not installed (or its manifest does not load).</summary>
    public static string? InstalledVersion(ReshPaths paths, string name)
    {
        var store = FromPaths(paths);
        if (!store.IsInstalled(name)) return null;
        try { return PluginManifest.Load(Path.Combine(store.DirOf(name), PluginManifest.FileName)).Version; }
        catch (ReshException) { return null; }
    }

    public string DirOf(string name) => Path.Combine(Root, name);
    string StateFile(string name) => Path.Combine(Root, ".state", name + ".json");

    /// <summary>Names of installed plugins (directories with a valid name), sorted.</summary>
    public IReadOnlyList<string> Names()
    {
        if (!Directory.Exists(Root)) return [];
        var names = new List<string>();
        foreach (var d in Directory.EnumerateDirectories(Root))
        {
            var n = Path.GetFileName(d);
            if (PluginManifest.IsValidName(n)) names.Add(n);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public bool IsInstalled(string name) => PluginManifest.IsValidName(name) && Directory.Exists(DirOf(name));

    /// <summary>
    /// The plugin's state. A missing, unreadable or damaged state file fails closed: the plugin counts as disabled and
    /// <see cref="PluginState.Problem"/> says why (a disable must not be undone by a truncated or unreadable file).
    /// </summary>
    public PluginState ReadState(string name)
    {
        var path = StateFile(name);
        PluginState Broken(string why) => new(false, null, null, null,
            $"its state file {path} {why}, so it is treated as disabled; check it, then resh plugin://{name}.enable");
        try
        {
            if (!File.Exists(path))
                return Directory.Exists(DirOf(name)) ? Broken("is missing") : new PluginState(true, null, null, null);
            if (JsonNode.Parse(File.ReadAllBytes(path)) is not JsonObject o) return Broken("is not a JSON object");
            if (!(o["enabled"] is JsonValue e && e.TryGetValue<bool>(out var en))) return Broken("has no enabled: true/false");
            return new PluginState(en,
                o["installed_at"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? o["installed_at"]!.GetValue<string>() : null,
                o["origin"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? o["origin"]!.GetValue<string>() : null,
                o["source"] as JsonObject is { } s ? (JsonObject)s.DeepClone() : null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return Broken(ex is System.Text.Json.JsonException ? "is damaged (not valid JSON)" : $"cannot be read ({ExceptionTranslation.OneLine(ex.Message)})");
        }
    }

    public void WriteState(string name, PluginState state)
    {
        EnsureRoot();
        var dir = Path.Combine(Root, ".state");
        ReshPaths.EnsurePrivateDir(dir);
        var o = new JsonObject { ["enabled"] = state.Enabled, ["installed_at"] = state.InstalledAt, ["origin"] = state.Origin };
        if (state.Source is not null) o["source"] = state.Source.DeepClone();
        AtomicFile.Write(StateFile(name), Encoding.UTF8.GetBytes(o.ToJsonString() + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void DeleteState(string name)
    {
        try { File.Delete(StateFile(name)); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// The name of a work directory in the store: <c>.KIND-PID-NAME-RANDOM</c> (KIND install, old or remove), so a later
    /// call can tell whether its creator is still alive (<see cref="SweepLeftovers"/>).
    /// </summary>
    public static string WorkName(string kind, string name) => $".{kind}-{Environment.ProcessId}-{name}-{Guid.NewGuid():N}"[..(kind.Length + name.Length + 32)];

    /// <summary>
    /// Removes the work directories of installs and removes whose process is gone (killed with SIGKILL, power loss): a
    /// <c>.install-</c> or <c>.remove-</c> directory is deleted; an <c>.old-</c> directory is the previous version moved aside
    /// during a swap, so it is put back when its plugin has no directory, else deleted. Names without a PID (older resh)
    /// count as dead after an hour. Best effort: a directory that cannot be removed stays for the next call.
    /// </summary>
    public void SweepLeftovers()
    {
        // The temp-dir work directories of fetches (a clone with its token) a killed resh left behind go too.
        Sources.PluginArchives.SweepWorkDirs(Path.GetTempPath());
        IEnumerable<string> dirs;
        try { if (!Directory.Exists(Root)) return; dirs = Directory.EnumerateDirectories(Root).ToList(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return; }
        foreach (var d in dirs)
        {
            var n = Path.GetFileName(d);
            var kind = n.StartsWith(".install-", StringComparison.Ordinal) ? "install" : n.StartsWith(".old-", StringComparison.Ordinal) ? "old"
                : n.StartsWith(".remove-", StringComparison.Ordinal) ? "remove" : null;
            if (kind is null) continue;
            string? plugin = null;
            if (CreatorPid.Parse(n[(kind.Length + 2)..], out var tail) is { } pid)
            {
                if (CreatorPid.Runs(pid)) continue;
                var last = tail.LastIndexOf('-');
                plugin = last > 0 ? tail[..last] : null;
            }
            else
            {
                try { if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(d) < TimeSpan.FromHours(1)) continue; }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
            }
            try
            {
                if (kind == "old" && plugin is not null && PluginManifest.IsValidName(plugin) && !Directory.Exists(DirOf(plugin)))
                {
                    Directory.Move(d, DirOf(plugin));
                    continue;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            PluginInstaller.TryDelete(d);
        }
    }

    public void EnsureRoot()
    {
        try { ReshPaths.EnsurePrivateDir(Path.GetDirectoryName(Root)!); ReshPaths.EnsurePrivateDir(Root); }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw ReshError.PermissionDenied($"resh cannot create its plugin store {Root}: {ExceptionTranslation.OneLine(ex.Message)}",
                "Set RESH_HOME to a directory this user may write.").ToException();
        }
    }

    /// <summary>
    /// Refuses a store directory that another user owns or others may write: a plugin run from there could be swapped
    /// under this user (root running a file another user can change is a privilege escalation).
    /// </summary>
    public static ReshError? CheckOwnership(string path)
    {
        var st = Posix.Stat(path, follow: false, out _);
        if (st is not { } s) return null;
        var euid = LibC.GetEUid();
        if (s.IsSymlink)
            return ReshError.PermissionDenied($"{path} is a symbolic link; resh runs plugins only from its own store.", "Remove it and install the plugin again.");
        if (s.Uid != euid || (s.Permissions & 0x12) != 0)
            return ReshError.PermissionDenied($"{path} is owned by uid {s.Uid} or writable by others; resh runs plugins only from a store this user owns alone.",
                $"Fix it: chown -R {euid} {path} && chmod -R go-w {path}, or install the plugin again.",
                new JsonObject { ["path"] = path, ["uid"] = s.Uid, ["mode"] = Convert.ToString(s.Permissions, 8) });
        return null;
    }

    /// <summary>
    /// Refuses a store below a directory that another user (not root) owns, or that group or others may write without the
    /// sticky bit: whoever may rename entries there can swap the whole store for one of their own, whatever the store's own
    /// owner and mode say. Every directory from the store's parent up to / is checked on the real path (symbolic links
    /// resolved), as SecretFile and OwnedStateDir check their parents. A parent that does not exist yet is skipped.
    /// </summary>
    public static ReshError? CheckParents(string path)
    {
        var euid = LibC.GetEUid();
        var start = Path.GetDirectoryName(Path.GetFullPath(path).TrimEnd('/'));
        while (start is not null && !Directory.Exists(start)) start = Path.GetDirectoryName(start);
        if (start is null) return null;
        var real = RealDirectory(start) ?? start;
        for (var dir = real; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (Posix.Stat(dir, follow: false, out _) is not { } s) continue;
            var foreign = s.Uid != 0 && s.Uid != euid;
            var open = (s.Permissions & 0x12) != 0 && (s.Permissions & 0x200) == 0;
            if (!foreign && !open) continue;
            return ReshError.PermissionDenied(
                $"The plugin store {path} lies below {dir}, which {(foreign ? $"uid {s.Uid} owns" : "group or others may write")}: whoever may rename entries there could swap the store, so resh runs no plugin from it.",
                $"Fix {dir} (owned by root or uid {euid}; chmod go-w, or +t for a shared directory), or set RESH_HOME to a directory below safe ones.",
                new JsonObject { ["path"] = path, ["parent"] = dir, ["uid"] = s.Uid, ["mode"] = Convert.ToString(s.Permissions, 8) });
        }
        return null;
    }

    /// <summary>The directory's path with every symbolic link resolved (the kernel's name of an open handle), or null.</summary>
    static string? RealDirectory(string dir)
    {
        var fd = Posix.OpenAt(Posix.AT_FDCWD, dir, Posix.O_PATH | Posix.O_DIRECTORY | Posix.O_CLOEXEC);
        if (fd < 0) return null;
        try { return Posix.DescriptorPath(fd); }
        finally { Posix.Close(fd); }
    }

    /// <summary>sha256:HEX of a file, read in constant memory.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.SequentialScan });
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The files whose content differs from the manifest's checksums (missing, not a regular file, or changed).</summary>
    public static List<string> Mismatches(string dir, PluginManifest manifest)
    {
        var bad = new List<string>();
        foreach (var (file, sum) in manifest.Checksums)
        {
            var path = Path.Combine(dir, file);
            var st = Posix.Stat(path, follow: false, out _);
            if (st is not { IsRegular: true }) { bad.Add(file); continue; }
            try { if (Sha256(path) != sum) bad.Add(file); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { bad.Add(file); }
        }
        return bad;
    }
}
