using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Text;

namespace Resh.Handles.Plugin.Sources;

/// <summary>
/// Turns install's `from=` into a directory holding plugin.json:
/// <list type="bullet">
/// <item>a directory: used as it is;</item>
/// <item>an archive file or http(s) URL (.tar.gz, .tgz, .zip, .tar, .tar.xz, .tar.zst): extracted safely (<see cref="PluginArchives"/>);</item>
/// <item>`git+URL[#REF]`, git://..., or a URL ending .git[#REF]: a shallow clone (<see cref="PluginGitSource"/>);</item>
/// <item>a NAME (or registry:NAME): looked up in the signed registry index (<see cref="PluginRegistry"/>).</item>
/// </list>
/// </summary>
public static class PluginSources
{
    /// <summary>
    /// Called once by the CLI's HandleCatalog: install takes these sources and arguments, plugin:// gets update and
    /// search, and archives are extracted by <paramref name="extractor"/> (archive://'s, which this project cannot reference).
    /// </summary>
    public static void Register(Func<string, string, string, long, CancellationToken, PluginExtraction> extractor)
    {
        PluginArchives.Extractor = extractor;
        PluginSourcesHook.Fetch = async (ctx, from, force, ct) =>
        {
            var sha = ctx.Get(PluginSourceArgs.Sha256);
            if (!IsPlainDirectory(from)) return await FetchAsync(ctx, from, force, ct, sha).ConfigureAwait(false);
            if (sha is not null) throw ShaNotArchive();
            CheckLocalOwner(Path.GetFullPath(from), force);
            return null;
        };
        PluginSourcesHook.InstallArgs = PluginSourceArgs.Install;
        PluginSourcesHook.Verbs = [PluginUpdate.Verb, PluginSearch.Verb];
    }

    /// <summary>A local directory given as it is (install reads it directly); only a path form names a local source.</summary>
    static bool IsPlainDirectory(string from) =>
        !from.StartsWith("registry:", StringComparison.Ordinal) && !PluginGitSource.IsGit(from) && !PluginHttp.IsUrl(from)
        && IsPathForm(from) && Directory.Exists(Path.GetFullPath(from));

    /// <summary>
    /// A local source must look like a path (holds '/', starts with '.', or is absolute): a bare NAME is always the registry's,
    /// so a directory or file named NAME in the current directory (which another user may have put there) never wins over it.
    /// </summary>
    public static bool IsPathForm(string from) => from.Contains('/') || from.StartsWith('.');

    /// <summary>
    /// As root, a local source directory (every directory and file in it) or archive file that another user owns, or that
    /// group or others may write, is refused unless force=true: its owner could swap the code root is about to install.
    /// </summary>
    public static void CheckLocalOwner(string path, bool force)
    {
        if (force || Resh.Core.Platform.LibC.GetEUid() != 0) return;
        var pending = new Stack<string>();
        pending.Push(path);
        var seen = 0;
        while (pending.Count > 0 && seen++ < PluginInstaller.MaxFiles * 2)
        {
            var p = pending.Pop();
            var st = Resh.Core.Platform.Posix.Stat(p, follow: p == path, out _);
            if (st is not { } s) continue;
            if (s.Uid != 0 || (!s.IsSymlink && (s.Permissions & 0x12) != 0))
                throw ReshError.PermissionDenied(
                    $"The plugin source {PathBytes.Display(p)} is owned by uid {s.Uid} or writable by group or others; resh (running as root) does not install code another user can change.",
                    "Copy the plugin to a directory root owns alone (chown -R root, chmod -R go-w), or pass force=true if you trust that user.",
                    new JsonObject { ["path"] = PathBytes.Display(p), ["uid"] = s.Uid, ["mode"] = Convert.ToString(s.Permissions, 8) }).ToException();
            if (s.IsDirectory)
                foreach (var e in Directory.EnumerateFileSystemEntries(p)) pending.Push(e);
        }
    }

    static ReshException ShaNotArchive() =>
        ReshError.Usage("sha256= applies to an archive file or URL.", "Drop sha256=, or give the archive itself (from=./plugin.tar.gz or an https URL).").ToException();

    /// <summary>Refuses an archive whose SHA-256 differs from the one the caller gave.</summary>
    static void CheckSha(string file, string shown, string? expected)
    {
        if (expected is null) return;
        var want = expected.Trim().ToLowerInvariant();
        if (want.StartsWith("sha256:", StringComparison.Ordinal)) want = want[7..];
        if (want.Length != 64 || !want.All(Uri.IsHexDigit))
            throw ReshError.Usage("sha256= is not a SHA-256 (64 hex digits).", "Give it as printed by sha256sum: sha256=9f86d0…").ToException();
        var got = Sha256(file);
        if (got != want)
            throw ReshError.PermissionDenied($"The archive {shown} has SHA-256 {got}, not the {want} given; nothing was installed.",
                "Check where the archive came from; pass the right sha256= only if you trust this one.",
                new JsonObject { ["expected"] = want, ["actual"] = got }).ToException();
    }

    public static async Task<PluginFetch> FetchAsync(VerbContext ctx, string from, bool force, CancellationToken ct = default, string? sha256 = null)
    {
        if (string.IsNullOrWhiteSpace(from))
            throw ReshError.Usage("`from` is empty.", "Give a directory, an archive, git+URL or a registry name: plugin://.install from=./hello").ToException();
        var isArchiveSource = !from.StartsWith("registry:", StringComparison.Ordinal) && !PluginGitSource.IsGit(from)
            && (PluginHttp.IsUrl(from) || (IsPathForm(from) && File.Exists(Path.GetFullPath(from))));
        if (sha256 is not null && !isArchiveSource) throw ShaNotArchive();
        if (from.StartsWith("registry:", StringComparison.Ordinal)) return await FromRegistryAsync(ctx, from[9..], force).ConfigureAwait(false);
        if (PluginGitSource.IsGit(from)) return await PluginGitSource.FetchAsync(ctx, from).ConfigureAwait(false);
        if (PluginHttp.IsUrl(from)) return await FromUrlAsync(ctx, from, force, sha256).ConfigureAwait(false);
        if (!IsPathForm(from))
        {
            if (PluginRegistry.NameRule().IsMatch(from)) return await FromRegistryAsync(ctx, from, force).ConfigureAwait(false);
            throw ReshError.Usage($"`{PathBytes.Display(from)}` is neither a plugin name nor a path.",
                $"Write a local directory or archive as a path (from=./{PathBytes.Display(from)}), or give a registry name, git+URL or an https URL.").ToException();
        }
        var local = Path.GetFullPath(from);
        if (Directory.Exists(local)) CheckLocalOwner(local, force);
        else if (File.Exists(local)) CheckLocalOwner(local, force);
        if (Directory.Exists(local))
            return new PluginFetch(local, new JsonObject { ["kind"] = "directory", ["from"] = PathBytes.Display(local) }, null, null, null);
        if (File.Exists(local)) return FromArchiveFile(ctx, local, sha256);
        throw ReshError.NotFound($"{PathBytes.Display(local)} does not exist.",
            "Give a plugin directory, an archive (.tar.gz, .zip), git+URL, an http(s) URL of an archive, or a registry name.",
            new JsonObject { ["from"] = PathBytes.Display(from) }).ToException();
    }

    static PluginFetch FromArchiveFile(VerbContext ctx, string path, string? sha256)
    {
        CheckSha(path, PathBytes.Display(path), sha256);
        var work = PluginArchives.WorkDir();
        try
        {
            var (dir, report) = PluginArchives.Extract(path, work.Path, PathBytes.Display(path), ctx.Cancellation);
            return new PluginFetch(dir, new JsonObject { ["kind"] = "archive", ["from"] = PathBytes.Display(path), ["format"] = report.Format, ["sha256"] = Sha256(path) }, null, null, work);
        }
        catch
        {
            work.Dispose();
            throw;
        }
    }

    static async Task<PluginFetch> FromUrlAsync(VerbContext ctx, string from, bool force, string? sha256)
    {
        var url = PluginHttp.ParseUrl(from, "plugin archive URL");
        var shown = PluginHttp.Display(url.ToString());
        // Plain http carries no integrity: anyone on the way (or on this host, for loopback) chooses the code. Refused
        // before anything is fetched unless the caller pins the content (sha256=) or accepts it (force=true).
        if (url.Scheme == "http" && sha256 is null && !force)
            throw ReshError.PermissionDenied($"{shown} is a plain http:// URL, and nothing checks what it serves; nothing was installed.",
                "Give the archive's sha256=HEX, use https or a signed registry, or pass force=true if you trust the network path.",
                new JsonObject { ["url"] = shown }).ToException();
        var work = PluginArchives.WorkDir();
        try
        {
            var file = Path.Combine(work.Path, "download");
            await using (var fs = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
                await PluginHttp.GetAsync(ctx, url, fs, PluginHttp.MaxArchiveBytes, "plugin archive", bearer: ctx.GetSecret(Resh.Handles.Git.GitAuth.TokenArg)).ConfigureAwait(false);
            CheckSha(file, shown, sha256);
            var (dir, report) = PluginArchives.Extract(file, work.Path, shown, ctx.Cancellation);
            var sha = Sha256(file);
            if (url.Scheme == "http" && sha256 is null)
                ctx.Warn($"{shown} was fetched over plain http with no checksum to check it against (force=true): anyone on the way could have changed it. Prefer https, sha256= or a signed registry.");
            return new PluginFetch(dir, new JsonObject { ["kind"] = "archive", ["from"] = shown, ["url"] = shown, ["format"] = report.Format, ["sha256"] = sha }, null, null, work);
        }
        catch
        {
            work.Dispose();
            throw;
        }
    }

    static async Task<PluginFetch> FromRegistryAsync(VerbContext ctx, string name, bool force)
    {
        if (!PluginRegistry.NameRule().IsMatch(name))
            throw ReshError.Usage($"`{name}` is not a plugin name.", "A plugin name is lowercase letters, digits and '-', starting with a letter (at most 32).").ToException();
        var registry = PluginRegistry.RegistryUrl(ctx)
            ?? throw ReshError.Usage($"`{name}` is a registry name, and no plugin registry is configured to look it up.",
                $"Pass registry=https://.../index.json (and key=ed25519:...), set [plugin] registry and trusted_keys in the config, or write a local directory as a path: from=./{name}").ToException();
        var index = await PluginRegistry.FetchIndexAsync(ctx, registry, force).ConfigureAwait(false);
        foreach (var w in index.Warnings) ctx.Warn(w);
        var plugin = PluginRegistry.Find(index, name);
        var version = PluginRegistry.Pick(plugin, ctx.Get(PluginSourceArgs.Version));
        return await PluginRegistry.FetchAsync(ctx, index, plugin, version, force).ConfigureAwait(false);
    }

    static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(fs));
    }
}
