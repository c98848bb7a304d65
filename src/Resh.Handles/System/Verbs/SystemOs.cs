using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemOs
{
    public static readonly VerbInfo Verb = VerbInfo.Define("os", Effect.Read,
        "The distribution, kernel, architecture and virtualization hints.",
        [], () => SystemJson.Default.OsResult, Run,
        examples: [new("system://.os", "Distribution and kernel."), new("system://.os --format raw", "Only PRETTY_NAME.")],
        notes: "Distribution from /etc/os-release (else /usr/lib/os-release), kernel from uname(2). " +
               "`virtualization` is best effort (CPUID, DMI, container marker files) and lists its evidence.");

    static Outcome<OsResult> Run(VerbContext ctx)
    {
        var result = Collect();
        return new Outcome<OsResult>(result, false).WithRaw(RawPayload.FromText(result.PrettyName ?? $"{result.Kernel.Name} {result.Kernel.Release}"));
    }

    public static OsResult Collect()
    {
        var release = OsRelease.Read();
        var uname = Uname.Read() ?? new UnameInfo(
            ProcFile.ReadTrimmed("/proc/sys/kernel/ostype") ?? "Linux", ProcFile.ReadTrimmed("/proc/sys/kernel/hostname") ?? "",
            ProcFile.ReadTrimmed("/proc/sys/kernel/osrelease") ?? "", ProcFile.ReadTrimmed("/proc/sys/kernel/version") ?? "",
            System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(), null);
        var hints = Virtualization.Detect();
        return new OsResult(
            release.GetValueOrDefault("ID"),
            release.GetValueOrDefault("NAME"),
            release.GetValueOrDefault("PRETTY_NAME"),
            release.GetValueOrDefault("VERSION"),
            release.GetValueOrDefault("VERSION_ID"),
            release.GetValueOrDefault("VERSION_CODENAME"),
            release.TryGetValue("ID_LIKE", out var like) ? like.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [],
            new KernelInfo(uname.SysName, uname.Release, uname.Version),
            uname.Machine,
            uname.NodeName,
            ProcFile.ReadTrimmed("/etc/machine-id"),
            new VirtualizationInfo(hints.Vm, hints.Container, hints.Evidence));
    }
}
