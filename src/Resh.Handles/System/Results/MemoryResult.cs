using System.ComponentModel;

namespace Resh.Handles.Sys;

[Description("Memory and swap from /proc/meminfo, in bytes; the same figures as free -b (procps 4).")]
public sealed record MemoryResult(
    [property: Description("Usable RAM (MemTotal).")] long Total,
    [property: Description("RAM not used for anything (MemFree).")] long Free,
    [property: Description("Estimate of RAM available for new work without swapping (MemAvailable).")] long Available,
    [property: Description("total - available, as free(1) computes it.")] long Used,
    [property: Description("Buffers.")] long Buffers,
    [property: Description("Page cache and reclaimable slab (Cached + SReclaimable), as free(1) shows it.")] long Cached,
    [property: Description("buffers + cached: free(1)'s buff/cache column.")] long BuffCache,
    [property: Description("Shared memory, mostly tmpfs (Shmem).")] long Shared,
    [property: Description("used / total * 100.")] double UsedPercent,
    [property: Description("available / total * 100.")] double AvailablePercent,
    [property: Description("Swap space (SwapTotal).")] long SwapTotal,
    [property: Description("Unused swap (SwapFree).")] long SwapFree,
    [property: Description("swap_total - swap_free.")] long SwapUsed,
    [property: Description("swap_used / swap_total * 100; null without swap.")] double? SwapUsedPercent,
    [property: Description("Data written back soon (Dirty).")] long? Dirty,
    [property: Description("Configured huge pages (a count, not bytes).")] long? HugepagesTotal,
    [property: Description("Huge page size in bytes.")] long? HugepageSize,
    [property: Description("The memory limit of resh's cgroup (container), when one can be read.")] CgroupMemory? Cgroup,
    [property: Description("One line for people.")] string Human);

[Description("Memory accounting of the cgroup resh runs in.")]
public sealed record CgroupMemory(
    [property: Description("v1 or v2.")] string Version,
    [property: Description("The cgroup path from /proc/self/cgroup.")] string Path,
    [property: Description("Memory limit in bytes; null when unlimited.")] long? Limit,
    [property: Description("Memory charged to the cgroup now, in bytes.")] long? Usage);
