using System.ComponentModel;

namespace Resh.Handles.Sys;

[Description("Processors: model, topology, frequency, and usage sampled over an interval.")]
public sealed record CpuResult(
    [property: Description("Model name from /proc/cpuinfo.")] string? Model,
    [property: Description("Vendor, e.g. GenuineIntel, AuthenticAMD, ARM.")] string? Vendor,
    [property: Description("Machine hardware name (uname -m).")] string Architecture,
    [property: Description("Logical CPUs the kernel knows (present).")] int LogicalCpus,
    [property: Description("Logical CPUs online now (what nproc --all counts).")] int OnlineCpus,
    [property: Description("Online CPUs in kernel list form, e.g. 0-7.")] string? Online,
    [property: Description("Distinct physical cores, when the topology is known.")] int? PhysicalCores,
    [property: Description("Distinct CPU packages (sockets), when known.")] int? Sockets,
    [property: Description("Hardware threads per core (2 with SMT/Hyper-Threading), when known.")] int? ThreadsPerCore,
    [property: Description("Average current frequency in MHz over online CPUs, when the kernel reports it.")] double? Mhz,
    [property: Description("Highest frequency in MHz (cpufreq cpuinfo_max_freq), when available.")] double? MaxMhz,
    [property: Description("Cache size in bytes as /proc/cpuinfo reports it (usually the last level).")] long? CacheBytes,
    [property: Description("CPU limit of resh's cgroup in CPUs (quota/period); null when unlimited or unknown.")] double? CgroupLimitCpus,
    [property: Description("Usage of all CPUs over the sampling interval; null when interval=0.")] CpuUsage? Usage,
    [property: Description("One row per logical CPU (with per_cpu=true).")] IReadOnlyList<CpuCore>? PerCpu);

[Description("Share of CPU time per state over the interval, in percent of all CPUs' time.")]
public sealed record CpuUsage(
    [property: Description("Length of the sample in seconds.")] double IntervalSeconds,
    [property: Description("Busy time: everything but idle and iowait.")] double UsagePercent,
    [property: Description("User-space time (niced excluded).")] double UserPercent,
    [property: Description("User-space time of niced processes.")] double NicePercent,
    [property: Description("Kernel time.")] double SystemPercent,
    [property: Description("Idle while waiting for I/O.")] double IowaitPercent,
    [property: Description("Hard and soft interrupt time.")] double IrqPercent,
    [property: Description("Time stolen by the hypervisor for other guests.")] double StealPercent,
    [property: Description("Idle, not waiting for I/O.")] double IdlePercent);

[Description("One logical CPU.")]
public sealed record CpuCore(
    [property: Description("Logical CPU number.")] int Cpu,
    [property: Description("Physical package id.")] int? Socket,
    [property: Description("Core id within the package.")] int? Core,
    [property: Description("Current frequency in MHz.")] double? Mhz,
    [property: Description("Busy percent of this CPU over the interval; null when interval=0.")] double? UsagePercent,
    double? UserPercent,
    double? SystemPercent,
    double? IowaitPercent,
    double? StealPercent,
    double? IdlePercent);
