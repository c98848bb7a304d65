using System.ComponentModel;

namespace Resh.Handles.Sys;

[Description("A summary of this machine: one line of each system:// verb.")]
public sealed record InfoResult(
    string Hostname,
    InfoOs Os,
    InfoCpu Cpu,
    InfoMemory Memory,
    LoadResult Load,
    InfoUptime Uptime,
    [property: Description("Mounted file systems (pseudo ones left out), as system://.disk.")] IReadOnlyList<InfoDisk> Disks,
    [property: Description("Interfaces, as system://.network.")] IReadOnlyList<InfoInterface> Network,
    InfoUsers Users,
    InfoLimits Limits,
    InfoTime Time);

public sealed record InfoOs(
    string? PrettyName,
    string? Id,
    string? VersionId,
    [property: Description("Kernel release.")] string Kernel,
    string Architecture,
    [property: Description("Hypervisor hint (best effort).")] string? Vm,
    [property: Description("Container hint (best effort).")] string? Container);

public sealed record InfoCpu(
    string? Model,
    int LogicalCpus,
    int OnlineCpus,
    int? PhysicalCores,
    [property: Description("Busy percent over `interval`; null when interval=0 (the default: see load instead).")] double? UsagePercent);

public sealed record InfoMemory(long Total, long Available, long Used, double UsedPercent, long SwapTotal, long SwapUsed);

public sealed record InfoUptime(double Seconds, string BootTime, string Human);

public sealed record InfoDisk(string MountPoint, string Fstype, string Device, long? Size, long? Used, long? Available, double? UsedPercent);

public sealed record InfoInterface(string Name, string? State, string? Mac, [property: Description("address/prefix, IPv4 and IPv6.")] IReadOnlyList<string> Addresses);

public sealed record InfoUsers([property: Description("Logged-in sessions.")] int Sessions, IReadOnlyList<string> Users);

public sealed record InfoLimits(
    [property: Description("Soft limit of open files (ulimit -n); null when unlimited.")] ulong? OpenFilesSoft,
    ulong? OpenFilesHard,
    [property: Description("Soft limit of processes (ulimit -u); null when unlimited.")] ulong? ProcessesSoft,
    ulong? ProcessesHard);

public sealed record InfoTime(string Utc, string? Timezone, string UtcOffset, [property: Description("NTP synchronised (adjtimex); null when unknown.")] bool? Synchronized);
