using System.Text.Json.Nodes;
using Resh.Core.Errors;

namespace Resh.Handles.Ssh.Remote;

/// <summary>
/// What a host reported about itself when it had no copy of this build (the missing marker line:
/// <c>__RESH_MISSING__ OS ARCH LIBC TMPFILE</c>, LIBC being <c>glibc-2.36</c>, <c>musl</c> or <c>unknown</c>),
/// and whether this build can run there. Checked before anything is uploaded, so an old or foreign libc is
/// an <c>unsupported</c> answer that names both sides instead of a loader error from the host.
/// </summary>
public sealed record RemotePlatform(string Os, string Arch, string Libc, string TempFile)
{
    /// <summary>
    /// The shell that reports the libc: getconf names glibc and its version; musl has no GNU_LIBC_VERSION and
    /// says "musl" in ldd's banner (or has only its loader). POSIX sh, no output but the one word.
    /// </summary>
    public const string LibcProbe =
        "l=$(getconf GNU_LIBC_VERSION 2>/dev/null); case \"$l\" in \"glibc \"*) l=\"glibc-${l#glibc }\";; " +
        "*) case \"$(ldd --version 2>&1)\" in *musl*) l=musl;; *) if ls /lib/ld-musl-* >/dev/null 2>&1; then l=musl; else l=unknown; fi;; esac;; esac";

    public static RemotePlatform? Parse(string marker)
    {
        var parts = marker.Split(' ', 5);
        return parts.Length < 5 || parts[0] != RemoteRunner.MissingMarker ? null : new RemotePlatform(parts[1], parts[2], parts[3], parts[4].Trim());
    }

    /// <summary>The glibc version the host reported, or null (musl, unknown).</summary>
    public Version? Glibc => Libc.StartsWith("glibc-", StringComparison.Ordinal) && Version.TryParse(Libc["glibc-".Length..], out var v) ? v : null;

    /// <summary>
    /// Null when <paramref name="binaryArch"/>'s build (needing glibc <paramref name="requiredGlibc"/>, null when
    /// unknown) can run on this host; otherwise the <c>unsupported</c> error. A libc the probe could not name is
    /// given the benefit of the doubt: the loader's own error is still turned into a hint later.
    /// </summary>
    public ReshError? Check(string alias, string binaryArch, Version? requiredGlibc)
    {
        JsonObject Details() => new()
        {
            ["host"] = alias, ["phase"] = "platform", ["os"] = Os, ["arch"] = Arch, ["libc"] = Libc,
            ["supported_arch"] = binaryArch, ["required_glibc"] = requiredGlibc?.ToString(),
        };
        if (Os != "Linux" || (RemoteBuilds.Normalize(Arch) ?? Arch) != binaryArch)
            return ReshError.Unsupported($"{alias} is {Os} {Arch}; this resh build runs on Linux {binaryArch} only.",
                $"Build resh for that platform (scripts/build-native.sh linux-{(RemoteBuilds.Normalize(Arch) == "aarch64" ? "arm64" : Arch)}) and set [ssh.binaries] {Arch} to it, or run ssh://{alias}.exec instead.",
                Details());
        if (Libc == "musl")
            return ReshError.Unsupported($"{alias} uses musl libc; this resh build needs glibc {requiredGlibc?.ToString() ?? "(any)"} or newer.",
                $"resh has no musl build (docs/install.md says why): run commands there with ssh://{alias}.exec, or use a glibc-based host.", Details());
        if (Glibc is { } remote && requiredGlibc is { } required && remote < required)
            return ReshError.Unsupported($"{alias} has glibc {remote}; this resh build needs glibc {required} or newer.",
                $"Upgrade the host's distribution (glibc {required}+), or run commands there with ssh://{alias}.exec.", Details());
        return null;
    }
}
