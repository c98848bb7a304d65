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
        PluginSourcesHook.Fetch = async (ctx, from, force, ct) => IsPlainDirectory(from) ? null : await FetchAsync(ctx, from, force, ct).ConfigureAwait(false);
        PluginSourcesHook.InstallArgs = PluginSourceArgs.Install;
        PluginSourcesHook.Verbs = [PluginUpdate.Verb, PluginSearch.Verb];
    }

    /// <summary>A local directory given as it is (install reads it directly).</summary>
    static bool IsPlainDirectory(string from) =>
        !from.StartsWith("registry:", StringComparison.Ordinal) && !PluginGitSource.IsGit(from) && !PluginHttp.IsUrl(from)
        && from.Length > 0 && Directory.Exists(Path.GetFullPath(from));

    public static async Task<PluginFetch> FetchAsync(VerbContext ctx, string from, bool force, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(from))
            throw ReshError.Usage("`from` is empty.", "Give a directory, an archive, git+URL or a registry name: plugin://.install from=./hello").ToException();
        if (from.StartsWith("registry:", StringComparison.Ordinal)) return await FromRegistryAsync(ctx, from[9..], force).ConfigureAwait(false);
        if (PluginGitSource.IsGit(from)) return await PluginGitSource.FetchAsync(ctx, from).ConfigureAwait(false);
        if (PluginHttp.IsUrl(from)) return await FromUrlAsync(ctx, from).ConfigureAwait(false);
        var local = Path.GetFullPath(from);
        if (Directory.Exists(local))
            return new PluginFetch(local, new JsonObject { ["kind"] = "directory", ["from"] = PathBytes.Display(local) }, null, null, null);
        if (File.Exists(local)) return FromArchiveFile(ctx, local);
        if (PluginRegistry.NameRule().IsMatch(from) && !from.Contains('/')) return await FromRegistryAsync(ctx, from, force).ConfigureAwait(false);
        throw ReshError.NotFound($"{PathBytes.Display(local)} does not exist.",
            "Give a plugin directory, an archive (.tar.gz, .zip), git+URL, an http(s) URL of an archive, or a registry name.",
            new JsonObject { ["from"] = PathBytes.Display(from) }).ToException();
    }

    static PluginFetch FromArchiveFile(VerbContext ctx, string path)
    {
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

    static async Task<PluginFetch> FromUrlAsync(VerbContext ctx, string from)
    {
        var url = PluginHttp.ParseUrl(from, "plugin archive URL");
        var shown = PluginHttp.Display(url.ToString());
        var work = PluginArchives.WorkDir();
        try
        {
            var file = Path.Combine(work.Path, "download");
            await using (var fs = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
                await PluginHttp.GetAsync(ctx, url, fs, PluginHttp.MaxArchiveBytes, "plugin archive").ConfigureAwait(false);
            var (dir, report) = PluginArchives.Extract(file, work.Path, shown, ctx.Cancellation);
            var sha = Sha256(file);
            if (url.Scheme == "http" && !url.IsLoopback)
                ctx.Warn($"{shown} was fetched over plain http with no checksum to check it against: anyone on the way could have changed it. Prefer https or a signed registry.");
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
            ?? throw ReshError.Usage($"`{name}` is not a directory or file here, and no plugin registry is configured to look it up.",
                "Pass registry=https://.../index.json (and key=ed25519:...), or set [plugin] registry and trusted_keys in the config.").ToException();
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
