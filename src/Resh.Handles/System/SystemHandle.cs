using Resh.Core.Model;

namespace Resh.Handles.Sys;

/// <summary>system:// — facts about this machine, read from /proc, /sys and syscalls.</summary>
public static class SystemHandle
{
    public static HandleInfo Create() => new("system",
        "This machine: OS, CPU, memory, disks, network, uptime, load, users, limits, time.",
        "Empty: system://.info (or `system:// info`). The target is ignored.",
        [
            SystemInfo.Verb,
            SystemOs.Verb,
            SystemHostname.Verb,
            SystemCpu.Verb,
            SystemMemory.Verb,
            SystemDisk.Verb,
            SystemNetwork.Verb,
            SystemUptime.Verb,
            SystemLoad.Verb,
            SystemUsers.Verb,
            SystemLimits.Verb,
            SystemTime.Verb,
        ])
    {
        Notes = "Everything is read from /proc, /sys and system calls; no tool output is scraped and nothing is spawned. " +
                "Numbers are machine units (bytes, seconds, percent); a `human` text is added where it helps. " +
                "Only `cpu` (and `info` with an interval) waits, to sample usage.",
    };
}
