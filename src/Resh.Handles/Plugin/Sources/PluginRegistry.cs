using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Resh.Core.Errors;
using Resh.Core.Execution;

namespace Resh.Handles.Plugin.Sources;

/// <summary>One version of a registry entry.</summary>
public sealed record RegistryVersion(string Version, SemVer Parsed, Uri Url, string Sha256);

/// <summary>One plugin of a registry index.</summary>
public sealed record RegistryPlugin(string Name, string? Summary, IReadOnlyList<RegistryVersion> Versions)
{
    /// <summary>The highest release (pre-releases only when there is no release).</summary>
    public RegistryVersion? Latest =>
        Versions.Where(v => v.Parsed.Pre.Count == 0).MaxBy(v => v.Parsed, Comparer<SemVer>.Default)
        ?? Versions.MaxBy(v => v.Parsed, Comparer<SemVer>.Default);
}

/// <summary>A fetched index and how far it is trusted.</summary>
/// <param name="Key">The trusted key that verified it (ed25519:BASE64), recorded with an install so update checks against the same key.</param>
public sealed record RegistryIndex(Uri Url, IReadOnlyList<RegistryPlugin> Plugins, bool Verified, string? KeyId, string? Key, IReadOnlyList<string> Warnings);

/// <summary>
/// A plugin registry: a static index.json over HTTP(S) signed by a detached Ed25519 signature at URL + ".sig". The
/// index is trusted only when the signature verifies against a trusted key (key= or [plugin] trusted_keys); unsigned,
/// unknown key, bad signature, and an archive whose sha256 differs from the index are refused with permission_denied,
/// unless force=true (then each is a warning in the envelope). Archive URLs may be relative to the index.
/// </summary>
public static partial class PluginRegistry
{
    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$")]
    public static partial Regex NameRule();

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Rule();

    /// <summary>registry= or [plugin] registry; null when neither is set.</summary>
    public static string? RegistryUrl(VerbContext ctx, string? given = null) =>
        given ?? (ctx.IsSet(PluginSourceArgs.Registry) ? ctx.Get(PluginSourceArgs.Registry) : null)
        ?? (ctx.Runtime.Config.Section("plugin")?["registry"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null);

    /// <summary>key= then [plugin] trusted_keys.</summary>
    public static List<PluginSignature.TrustedKey> TrustedKeys(VerbContext ctx)
    {
        var keys = new List<PluginSignature.TrustedKey>();
        foreach (var k in ctx.Get(PluginSourceArgs.Key)) keys.Add(PluginSignature.ParseKey(k, "key="));
        if (ctx.Runtime.Config.Section("plugin")?["trusted_keys"] is { } node)
        {
            var list = node is JsonArray a ? a.ToList() : [node];
            foreach (var item in list)
            {
                if (item is JsonValue v && v.TryGetValue<string>(out var text)) keys.Add(PluginSignature.ParseKey(text, "[plugin] trusted_keys"));
                else throw ReshError.Usage("[plugin] trusted_keys must be a list of strings.", "Write trusted_keys = [\"ed25519:BASE64\"].").ToException();
            }
        }
        return keys;
    }

    public static async Task<RegistryIndex> FetchIndexAsync(VerbContext ctx, string registryUrl, bool force, IEnumerable<string>? recordedKeys = null, string refusal = " Nothing was installed.")
    {
        var url = PluginHttp.ParseUrl(registryUrl, "registry index");
        var shown = PluginHttp.Display(url.ToString());
        var bytes = await PluginHttp.GetBytesAsync(ctx, url, PluginHttp.MaxIndexBytes, "registry index").ConfigureAwait(false);
        using var sigStream = new MemoryStream();
        var signed = await PluginHttp.GetAsync(ctx, new Uri(url + ".sig"), sigStream, PluginHttp.MaxSignatureBytes, "index signature", missingOk: true).ConfigureAwait(false);
        var keys = TrustedKeys(ctx);
        foreach (var k in recordedKeys ?? []) keys.Add(PluginSignature.ParseKey(k, "the plugin's recorded source"));
        var warnings = new List<string>();
        string? keyId = null, keyText = null;
        void Distrust(string message, string hint, JsonObject details)
        {
            if (!force) throw ReshError.PermissionDenied(message + refusal, hint, details).ToException();
            warnings.Add(message + " Used anyway because force=true.");
        }
        var details = new JsonObject { ["registry"] = shown };
        if (!signed)
            Distrust($"The registry index {shown} is not signed (no {shown}.sig).", "Ask the registry's publisher to sign it, or pass force=true to trust it unsigned.", details);
        else if (keys.Count == 0)
            Distrust($"No trusted key is configured to check the signature of the registry index {shown}.",
                "Pass key=ed25519:BASE64 (the publisher's public key) or set [plugin] trusted_keys in the config.", details);
        else
        {
            var sig = PluginSignature.DecodeSignature(sigStream.ToArray());
            var by = sig is null ? null : PluginSignature.Verify(bytes, sig, keys);
            if (by is null)
                Distrust(sig is null
                        ? $"The signature file of the registry index {shown} does not hold an Ed25519 signature."
                        : $"The signature of the registry index {shown} does not verify with any trusted key (a changed index, or another key).",
                    "Check the key with the registry's publisher; pass force=true only if you trust this index as it is.", details);
            else (keyId, keyText) = (by.Id, "ed25519:" + Convert.ToBase64String(by.Raw));
        }
        return new RegistryIndex(url, ParseIndex(bytes, url, shown), keyId is not null, keyId, keyText, warnings);
    }

    static List<RegistryPlugin> ParseIndex(byte[] bytes, Uri indexUrl, string shown)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException) { throw Bad(shown, "it is not valid JSON"); }
        if (root is not JsonObject obj || obj["plugins"] is not JsonArray plugins) throw Bad(shown, "it has no \"plugins\" array");
        var result = new List<RegistryPlugin>();
        foreach (var p in plugins.Take(10_000))
        {
            if (p is not JsonObject po || Str(po["name"]) is not { } name || !NameRule().IsMatch(name)) continue; // an entry resh cannot use is skipped
            var versions = new List<RegistryVersion>();
            if (po["versions"] is JsonArray va)
                foreach (var v in va.Take(1000))
                {
                    if (v is not JsonObject vo || SemVer.Parse(Str(vo["version"])) is not { } ver || Str(vo["url"]) is not { } u || Str(vo["sha256"]) is not { } sha) continue;
                    if (!Sha256Rule().IsMatch(sha) || !Uri.TryCreate(indexUrl, u, out var abs) || (abs.Scheme != "http" && abs.Scheme != "https")) continue;
                    versions.Add(new RegistryVersion(ver.Text, ver, abs, sha.ToLowerInvariant()));
                }
            result.Add(new RegistryPlugin(name, Str(po["summary"]), versions));
        }
        return result;
    }

    static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static ReshException Bad(string shown, string why) =>
        ReshError.Failed($"The registry index {shown} cannot be read: {why}.", "Check the registry URL; an index is {\"plugins\":[{\"name\",\"summary\",\"versions\":[{\"version\",\"url\",\"sha256\"}]}]}.").ToException();

    public static RegistryPlugin Find(RegistryIndex index, string name)
    {
        var p = index.Plugins.FirstOrDefault(x => x.Name == name);
        if (p is null)
        {
            var near = Resh.Core.Text.Suggest.Closest(name, index.Plugins.Select(x => x.Name));
            throw ReshError.NotFound($"The registry has no plugin `{name}`.",
                near is not null ? $"Did you mean `{near}`?" : "List what it has: resh plugin://.search",
                new JsonObject { ["name"] = name, ["registry"] = PluginHttp.Display(index.Url.ToString()) }).ToException();
        }
        return p;
    }

    public static RegistryVersion Pick(RegistryPlugin plugin, string? version)
    {
        if (version is null)
            return plugin.Latest ?? throw ReshError.NotFound($"The registry lists no usable version of `{plugin.Name}`.", "Ask the registry's publisher.").ToException();
        var v = plugin.Versions.FirstOrDefault(x => x.Version == version || x.Parsed.CompareTo(SemVer.Parse(version)) == 0);
        return v ?? throw ReshError.NotFound($"The registry has no version {version} of `{plugin.Name}`.",
            "Versions: " + string.Join(", ", plugin.Versions.OrderByDescending(x => x.Parsed).Take(10).Select(x => x.Version)),
            new JsonObject { ["name"] = plugin.Name, ["version"] = version }).ToException();
    }

    /// <summary>Installs-to-be: downloads the version's archive, checks its sha256, extracts it.</summary>
    public static async Task<PluginFetch> FetchAsync(VerbContext ctx, RegistryIndex index, RegistryPlugin plugin, RegistryVersion version, bool force)
    {
        var work = PluginArchives.WorkDir();
        try
        {
            var file = Path.Combine(work.Path, "download");
            var shown = PluginHttp.Display(version.Url.ToString());
            await using (var fs = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
                await PluginHttp.GetAsync(ctx, version.Url, fs, PluginHttp.MaxArchiveBytes, "plugin archive").ConfigureAwait(false);
            string actual;
            await using (var fs = File.OpenRead(file))
                actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, ctx.Cancellation).ConfigureAwait(false));
            if (actual != version.Sha256)
            {
                var message = $"The archive of {plugin.Name} {version.Version} ({shown}) has sha256 {actual}, not the {version.Sha256} the index lists: it was changed.";
                if (!force)
                    throw ReshError.PermissionDenied(message + " Nothing was installed.", "Tell the registry's publisher; pass force=true only if you trust this archive as it is.",
                        new JsonObject { ["url"] = shown, ["expected"] = version.Sha256, ["actual"] = actual }).ToException();
                ctx.Warn(message + " Installed anyway because force=true.");
            }
            var (dir, _) = PluginArchives.Extract(file, work.Path, shown, ctx.Cancellation);
            var source = new JsonObject
            {
                ["kind"] = "registry",
                ["from"] = plugin.Name,
                ["registry"] = PluginHttp.Display(index.Url.ToString()),
                ["name"] = plugin.Name,
                ["version"] = version.Version,
                ["url"] = shown,
                ["sha256"] = actual,
                ["verified"] = index.Verified && actual == version.Sha256,
                ["key"] = index.Key,
            };
            return new PluginFetch(dir, source, plugin.Name, version.Version, work);
        }
        catch
        {
            work.Dispose();
            throw;
        }
    }
}
