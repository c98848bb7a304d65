using System.ComponentModel;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

[Description("Memory and swap from /proc/meminfo, in bytes; the same figures as free -b (procps 4).")]
public sealed record MemoryResult(
    [property: Description("Usable RAM (MemTotal)."), Unit(UnitAttribute.Bytes)] long Total,
    [property: Description("RAM not used for anything (MemFree)."), Unit(UnitAttribute.Bytes)] long Free,
    [property: Description("Estimate of RAM available for new work without swapping (MemAvailable)."), Unit(UnitAttribute.Bytes)] long Available,
    [property: Description("total - available, as free(1) computes it."), Unit(UnitAttribute.Bytes)] long Used,
    [property: Description("Buffers."), Unit(UnitAttribute.Bytes)] long Buffers,
    [property: Description("Page cache and reclaimable slab (Cached + SReclaimable), as free(1) shows it."), Unit(UnitAttribute.Bytes)] long Cached,
    [property: Description("buffers + cached: free(1)'s buff/cache column."), Unit(UnitAttribute.Bytes)] long BuffCache,
    [property: Description("Shared memory, mostly tmpfs (Shmem)."), Unit(UnitAttribute.Bytes)] long Shared,
    [property: Description("used / total * 100.")] double UsedPercent,
    [property: Description("available / total * 100.")] double AvailablePercent,
    [property: Description("Swap space (SwapTotal)."), Unit(UnitAttribute.Bytes)] long SwapTotal,
    [property: Description("Unused swap (SwapFree)."), Unit(UnitAttribute.Bytes)] long SwapFree,
    [property: Description("swap_total - swap_free."), Unit(UnitAttribute.Bytes)] long SwapUsed,
    [property: Description("swap_used / swap_total * 100; null without swap.")] double? SwapUsedPercent,
    [property: Description("Data written back soon (Dirty)."), Unit(UnitAttribute.Bytes)] long? Dirty,
    [property: Description("Configured huge pages (a count, not bytes).")] long? HugepagesTotal,
    [property: Description("Huge page size in bytes.")] long? HugepageSize,
    [property: Description("The memory limit of resh's cgroup (container), when one can be read.")] CgroupMemory? Cgroup,
    [property: Description("One line for people.")] string Human);

[Description("Memory accounting of the cgroup resh runs in.")]
public sealed record CgroupMemory(
    [property: Description("v1 or v2.")] string Version,
    [property: Description("The cgroup path from /proc/self/cgroup.")] string Path,
    [property: Description("Memory limit in bytes; null when unlimited."), Unit(UnitAttribute.Bytes)] long? Limit,
    [property: Description("Memory charged to the cgroup now, in bytes."), Unit(UnitAttribute.Bytes)] long? Usage);
