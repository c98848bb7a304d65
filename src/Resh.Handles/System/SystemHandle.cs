using Resh.Core.Model;

namespace Resh.Handles.Sys;

/// <summary>system:// — facts about this machine, read from /proc, /sys and syscalls.</summary>
public static class SystemHandle
{
    public static HandleInfo Create() => new("system",
        "This machine: OS, CPU, memory, disks, network, uptime, load, users, limits, time.",
        "Empty: system://.info (or `system:// info`). The target is ignored.",
        [
            SystemHostname.Verb,
        ])
    {
        Notes = "Everything is read from /proc, /sys and system calls; no tool output is scraped.",
    };
}
