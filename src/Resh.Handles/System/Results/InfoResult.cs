using System.ComponentModel;

namespace Resh.Handles.Sys;

[Description("A summary of this machine: one line of each system:// verb.")]
public sealed record InfoResult(
    [property: Description("The kernel host name.")] string Hostname,
    [property: Description("The fully qualified name as `hostname -f` gives it, else null (as system://.hostname).")] string? Fqdn,
    [property: Description("Distribution, kernel and platform, as system://.os.")] InfoOs Os,
    [property: Description("Processor summary, as system://.cpu.")] InfoCpu Cpu,
    [property: Description("Memory in bytes, as system://.memory.")] InfoMemory Memory,
    [property: Description("Load averages, as system://.load.")] LoadResult Load,
    [property: Description("Time since boot, as system://.uptime.")] InfoUptime Uptime,
    [property: Description("Mounted file systems (pseudo ones left out), as system://.disk.")] IReadOnlyList<InfoDisk> Disks,
    [property: Description("Interfaces, as system://.network.")] IReadOnlyList<InfoInterface> Network,
    [property: Description("Logged-in sessions, as system://.users.")] InfoUsers Users,
    [property: Description("The most consulted limits, as system://.limits.")] InfoLimits Limits,
    [property: Description("Clock and NTP state, as system://.time.")] InfoTime Time);

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

public sealed record InfoUsers(
    [property: Description("Logged-in sessions.")] int Sessions,
    [property: Description("Distinct user names, sorted.")] IReadOnlyList<string> Users,
    [property: Description("The utmp file read; null when the system keeps none (then nothing records logins).")] string? File);

public sealed record InfoLimits(
    [property: Description("Soft limit of open files (ulimit -n); null when unlimited.")] ulong? OpenFilesSoft,
    ulong? OpenFilesHard,
    [property: Description("Soft limit of processes (ulimit -u); null when unlimited.")] ulong? ProcessesSoft,
    ulong? ProcessesHard);

public sealed record InfoTime(string Utc, string? Timezone, string UtcOffset, [property: Description("NTP synchronised (adjtimex); null when unknown.")] bool? Synchronized);
