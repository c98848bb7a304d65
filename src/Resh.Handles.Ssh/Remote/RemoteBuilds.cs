using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Resh.Core.Errors;
using Resh.Handles.Ssh.Transport;

namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// The resh builds this machine can copy to hosts, one per architecture a host reports (<c>uname -m</c>).
/// This process's own architecture is served by <c>[ssh] binary</c> or this very executable. Another one is
/// <c>[ssh.binaries] ARCH = "PATH"</c> when configured, else a build next to this executable, laid out as an
/// operator copies it (<c>DIR/resh-linux-arm64</c>) or as scripts/build-native.sh leaves it in a clone
/// (<c>.build/resh/resh</c> and <c>.build/resh-linux-arm64/resh</c>). A build is located and hashed only when
/// a host of its architecture asks for it.
/// </summary>
public sealed class RemoteBuilds
{
    /// <summary>The architectures resh is built for (uname -m spelling) and the RID that builds each.</summary>
    public static readonly IReadOnlyDictionary<string, string> Rids = new Dictionary<string, string>
    {
        ["x86_64"] = "linux-x64",
        ["aarch64"] = "linux-arm64",
    };

    readonly SshSettings? _settings;
    readonly ConcurrentDictionary<string, Lazy<RemoteBinary?>> _others = new(StringComparer.Ordinal);

    public RemoteBuilds(RemoteBinary local, SshSettings? settings = null) => (Local, _settings) = (local, settings);

    /// <summary>The build for this process's architecture (what a host of the same architecture receives).</summary>
    public RemoteBinary Local { get; }

    /// <summary><c>uname -m</c> in the spelling resh uses (arm64 is what some systems call aarch64), or null for another architecture.</summary>
    public static string? Normalize(string unameM) => unameM switch
    {
        "x86_64" or "amd64" => "x86_64",
        "aarch64" or "arm64" => "aarch64",
        _ => null,
    };

    /// <summary>The build for <paramref name="arch"/> (normalized), or null when none is configured or found.</summary>
    public RemoteBinary? For(string arch)
    {
        if (arch == Local.Arch) return Local;
        if (_settings is null || !Rids.ContainsKey(arch)) return null;
        return _others.GetOrAdd(arch, a => new Lazy<RemoteBinary?>(() =>
            Candidates(a).FirstOrDefault(File.Exists) is { } path ? RemoteBinary.At(path, a, _settings) : null)).Value;
    }

    /// <summary>Where a build for <paramref name="arch"/> is looked for, in order (the configured path alone when there is one).</summary>
    public IReadOnlyList<string> Candidates(string arch)
    {
        if (_settings?.Binaries.TryGetValue(arch, out var configured) == true) return [configured];
        if (!Rids.TryGetValue(arch, out var rid)) return [];
        var self = Environment.ProcessPath is { } p && Path.GetFileName(p) != "dotnet" ? p : Local.LocalPath;
        var dir = Path.GetDirectoryName(Path.GetFullPath(self)) ?? "/";
        return [Path.Combine(dir, $"resh-{rid}"), Path.GetFullPath(Path.Combine(dir, "..", $"resh-{rid}", "resh"))];
    }

    /// <summary>
    /// The <c>unsupported</c> answer for a host no build here can serve: an architecture resh is not built for, or
    /// one it is built for whose build this machine does not have (the hint says how to make it and where to put it).
    /// </summary>
    public ReshError NoBuild(string alias, RemotePlatform platform)
    {
        var arch = Normalize(platform.Arch);
        var details = new JsonObject
        {
            ["host"] = alias, ["phase"] = "platform", ["os"] = platform.Os, ["arch"] = platform.Arch, ["libc"] = platform.Libc,
            ["supported_arch"] = new JsonArray([.. Rids.Keys.Select(k => (JsonNode)k)]),
        };
        if (platform.Os != "Linux" || arch is null || !Rids.TryGetValue(arch, out var rid))
            return ReshError.Unsupported($"{alias} is {platform.Os} {platform.Arch}; resh is built for Linux x86_64 and aarch64 only.",
                $"Run commands there with ssh://{alias}.exec (it needs only sshd).", details);
        var looked = Candidates(arch);
        details["looked_for"] = new JsonArray([.. looked.Select(l => (JsonNode)l)]);
        return ReshError.Unsupported($"{alias} is Linux {platform.Arch}; there is no resh build for {arch} here (looked for {string.Join(", ", looked)}).",
            $"Build it with scripts/build-native.sh {rid} and copy .build/resh-{rid}/resh next to resh as resh-{rid}, " +
            $"or set [ssh.binaries] {arch} = \"PATH\" in the config; ssh://{alias}.exec works without it.", details);
    }
}
