using System.ComponentModel;

namespace Resh.Handles.Sys;

[Description("Time since boot (/proc/uptime).")]
public sealed record UptimeResult(
    [property: Description("Seconds since boot.")] double Seconds,
    [property: Description("Boot time, RFC 3339 UTC (now - uptime, to the second).")] string BootTime,
    [property: Description("Boot time in Unix seconds.")] long BootTimeUnix,
    [property: Description("Sum of all CPUs' idle seconds since boot.")] double IdleSeconds,
    [property: Description("e.g. \"3 days, 4:05\"-style text: 3d 4h 5m.")] string Human);

[Description("Load averages (/proc/loadavg): runnable plus uninterruptible tasks, averaged over 1, 5 and 15 minutes.")]
public sealed record LoadResult(
    [property: Description("Average over 1 minute.")] double Load1,
    [property: Description("Average over 5 minutes.")] double Load5,
    [property: Description("Average over 15 minutes.")] double Load15,
    [property: Description("Tasks runnable right now.")] long Runnable,
    [property: Description("Tasks (threads) that exist.")] long Tasks,
    [property: Description("The most recently assigned PID.")] long LastPid,
    [property: Description("Online CPUs, to judge the averages by.")] int Cpus,
    [property: Description("load1 / cpus: above 1 means more demand than CPUs.")] double Load1PerCpu,
    double Load5PerCpu,
    double Load15PerCpu);

[Description("Logged-in sessions from utmp, like who(1).")]
public sealed record UsersResult(
    [property: Description("The utmp file read; null when none exists.")] string? File,
    [property: Description("One entry per login session.")] IReadOnlyList<UserSession> Sessions,
    [property: Description("Number of sessions.")] int Count,
    [property: Description("Distinct user names, sorted.")] IReadOnlyList<string> Users);

[Description("One login session (a USER_PROCESS record).")]
public sealed record UserSession(
    [property: Description("Login name.")] string User,
    [property: Description("Terminal line, e.g. pts/0, tty1.")] string Tty,
    [property: Description("Remote host or display; null for local logins.")] string? Host,
    [property: Description("Login time, RFC 3339 UTC.")] string LoginTime,
    [property: Description("PID of the login process (the shell or sshd).")] int Pid,
    [property: Description("Whether that process still exists; null when the record has no PID.")] bool? ProcessAlive,
    [property: Description("The record's ut_id (terminal suffix or inittab id).")] string Id,
    [property: Description("Remote IP address, when recorded.")] string? Address);

[Description("Resource limits (getrlimit/prlimit) of a process; unlimited values are null with *_unlimited true.")]
public sealed record LimitsResult(
    [property: Description("The process whose limits these are (resh itself inherits them from its caller).")] int Pid,
    [property: Description("One entry per RLIMIT_* resource.")] IReadOnlyList<LimitEntry> Limits);

[Description("One resource limit.")]
public sealed record LimitEntry(
    [property: Description("Short name, as prlimit(1) names it: nofile, nproc, stack, ...")] string Name,
    [property: Description("The RLIMIT_* constant.")] string Resource,
    [property: Description("The flag of bash's ulimit builtin, e.g. -n.")] string? UlimitFlag,
    [property: Description("bytes, seconds, microseconds, files, processes, signals, locks or priority.")] string Unit,
    [property: Description("What the resource limits.")] string Description,
    [property: Description("Soft limit (enforced); null when unlimited.")] ulong? Soft,
    [property: Description("Hard limit (ceiling for the soft one); null when unlimited.")] ulong? Hard,
    [property: Description("True when the soft limit is RLIM_INFINITY.")] bool SoftUnlimited,
    [property: Description("True when the hard limit is RLIM_INFINITY.")] bool HardUnlimited);

[Description("Clock, time zone and NTP synchronisation.")]
public sealed record TimeResult(
    [property: Description("Now, RFC 3339 UTC.")] string Utc,
    [property: Description("Now in the local time zone, RFC 3339 with offset.")] string Local,
    [property: Description("Now as Unix time in seconds (with milliseconds).")] double Unix,
    [property: Description("IANA zone name, e.g. Europe/Berlin; null when /etc/localtime is a plain file with no name.")] string? Timezone,
    [property: Description("Where the zone came from: TZ, /etc/localtime, /etc/timezone or default.")] string TimezoneSource,
    [property: Description("Zone abbreviation in effect, e.g. CET, EDT, UTC.")] string? Abbreviation,
    [property: Description("Offset from UTC, e.g. +01:00.")] string UtcOffset,
    [property: Description("Offset from UTC in seconds (east positive).")] int UtcOffsetSeconds,
    [property: Description("Daylight saving time in effect.")] bool? Dst,
    [property: Description("The kernel's NTP discipline state (adjtimex).")] NtpStatus Ntp,
    [property: Description("Kernel clock source, e.g. tsc, kvm-clock, hpet.")] string? Clocksource,
    [property: Description("Clock sources the kernel could switch to.")] IReadOnlyList<string> AvailableClocksources,
    [property: Description("Hardware clock (RTC) time, RFC 3339, read as UTC; null without an RTC.")] string? RtcTime);

[Description("The kernel's NTP state from adjtimex(2).")]
public sealed record NtpStatus(
    [property: Description("True when an NTP daemon keeps the clock synchronised (STA_UNSYNC clear); null when unknown.")] bool? Synchronized,
    [property: Description("Kernel clock state: ok, insert_leap, delete_leap, leap_in_progress, leap_done, error.")] string? ClockState,
    [property: Description("STA_* status flags that are set, e.g. PLL, UNSYNC, NANO.")] IReadOnlyList<string> Status,
    [property: Description("Current offset being corrected, microseconds.")] long? OffsetUs,
    [property: Description("Maximum error, microseconds (grows while unsynchronised).")] long? MaxErrorUs,
    [property: Description("Estimated error, microseconds.")] long? EstErrorUs,
    [property: Description("TAI - UTC in seconds, when an NTP daemon set it.")] int? TaiOffset);
