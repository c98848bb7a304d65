using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Resh.Handles.Proc;

[Description("One process in a listing.")]
public sealed record ProcSummary(
    int Pid,
    int Ppid,
    [property: Description("Effective user name (the uid when it has no name).")] string User,
    long Uid,
    [property: Description("Kernel state letter: R running, S sleeping, D disk sleep, Z zombie, T stopped, I idle.")] string State,
    [property: Description("Command name (comm, at most 15 characters).")] string Name,
    [property: Description("Full command line, or [name] for kernel threads.")] string Command,
    [property: Description("CPU time over lifetime, as ps %CPU computes it.")] double CpuPercent,
    [property: Description("Resident memory in bytes.")] long RssBytes,
    [property: Description("Virtual memory size in bytes.")] long VszBytes,
    int Threads,
    int Nice,
    [property: Description("Start time, RFC 3339 UTC.")] string StartTime);

public sealed record ProcListResult(
    [property: Description("Number of processes returned (after filters and limit).")] int Count,
    [property: Description("Number that matched before the limit.")] int Matched,
    IReadOnlyList<ProcSummary> Processes);

[Description("Details of one process.")]
public sealed record ProcInfoResult(
    int Pid,
    int Ppid,
    [property: Description("Command name of the parent.")] string? ParentName,
    string Name,
    [property: Description("The executable (readlink /proc/PID/exe); null when not permitted or a kernel thread.")] string? Exe,
    string? Cwd,
    string Command,
    IReadOnlyList<string> Argv,
    string User,
    long Uid,
    long Gid,
    string State,
    [property: Description("running, sleeping, disk-sleep, zombie, stopped, idle...")] string StateName,
    string StartTime,
    [property: Description("Seconds since the process started.")] double ElapsedSeconds,
    int Threads,
    long RssBytes,
    long VszBytes,
    double CpuPercent,
    [property: Description("Open file descriptors; null when not permitted.")] int? FdCount,
    [property: Description("The cgroup path (unified hierarchy when present).")] string? Cgroup,
    int Nice,
    int Session,
    int Pgrp,
    [property: Description("Environment, only with env=true; values of secret-looking names are replaced by ***.")] IReadOnlyDictionary<string, string>? Env,
    [property: Description("Names whose values were redacted.")] IReadOnlyList<string>? EnvRedacted);

[Description("A process and its descendants.")]
public sealed record ProcTreeNode(int Pid, string Name, string User, string Command, IReadOnlyList<ProcTreeNode> Children);

public sealed record ProcTreeResult(
    [property: Description("Number of processes in the tree(s).")] int Count,
    IReadOnlyList<ProcTreeNode> Roots);

public sealed record ProcChildrenResult(int Pid, bool Recursive, int Count, IReadOnlyList<ProcSummary> Processes);

public sealed record ProcSignalOutcome(int Pid, string Name, bool Sent, [property: Description("Why the signal was not sent.")] string? Error);

public sealed record ProcSignalResult(
    [property: Description("Signal name (TERM, KILL, HUP...), Linux numbering.")] string Signal,
    int SignalNumber,
    IReadOnlyList<ProcSignalOutcome> Processes);

public sealed record ProcKillOutcome(
    int Pid,
    string Name,
    [property: Description("Signals sent in order: [\"TERM\"] or [\"TERM\", \"KILL\"].")] IReadOnlyList<string> Signals,
    [property: Description("True when TERM was not enough within the grace period and KILL was sent.")] bool Escalated,
    [property: Description("True when the process is gone (or a zombie awaiting its parent).")] bool Exited,
    double WaitedMs);

public sealed record ProcKillResult(double GraceSeconds, IReadOnlyList<ProcKillOutcome> Processes);

public sealed record ProcWaitResult(IReadOnlyList<int> Pids, [property: Description("True when every process has exited.")] bool Exited, double WaitedMs);

public sealed record ProcNiceEntry(int Pid, string Name, [property: Description("Nice value before the change (nice.set only).")] int? Previous, int Nice);

public sealed record ProcNiceResult(IReadOnlyList<ProcNiceEntry> Processes);

[Description("One resource limit. soft/hard are null when unlimited.")]
public sealed record ProcLimit(
    string Resource,
    long? Soft,
    long? Hard,
    [property: Description("bytes, seconds, count, microseconds or nice/priority.")] string Unit,
    [property: Description("Values before the change (limits.set only).")] long? PreviousSoft = null,
    long? PreviousHard = null);

public sealed record ProcLimitsEntry(int Pid, string Name, IReadOnlyList<ProcLimit> Limits);

public sealed record ProcLimitsResult(IReadOnlyList<ProcLimitsEntry> Processes);

[Description("One socket from /proc/net and the process that owns it.")]
public sealed record ProcPort(
    [property: Description("tcp, tcp6, udp or udp6.")] string Protocol,
    [property: Description("Local address (0.0.0.0 or :: means all interfaces).")] string Address,
    int Port,
    [property: Description("listen, established, ... (udp: unconnected/established).")] string State,
    string? RemoteAddress,
    int? RemotePort,
    [property: Description("Owning PID; null when not visible (other users without root).")] int? Pid,
    string? Process,
    string? User,
    long Inode);

public sealed record ProcPortsResult(int Count, IReadOnlyList<ProcPort> Ports);

public sealed record ProcOpenFile(int Fd, [property: Description("file, directory, socket, pipe, anon_inode, device, deleted...")] string Type, string Target);

public sealed record ProcFilesResult(int Pid, string Name, int Count, IReadOnlyList<ProcOpenFile> Files);

public sealed record ProcSpawnResult(
    int Pid,
    IReadOnlyList<string> Argv,
    string? Cwd,
    [property: Description("Where stdout is appended.")] string Stdout,
    [property: Description("Where stderr is appended.")] string Stderr,
    [property: Description("Names of the environment variables passed (values are not echoed).")] IReadOnlyList<string> EnvNames);

[Description("One process in a sampled snapshot.")]
public sealed record ProcTopEntry(
    int Pid,
    string Name,
    string User,
    string State,
    [property: Description("CPU use over the sampling interval (100 = one full core).")] double CpuPercent,
    long RssBytes,
    string Command);

public sealed record ProcTopResult(
    double IntervalMs,
    [property: Description("Whole-machine CPU use over the interval, 0-100.")] double CpuTotalPercent,
    int Cores,
    [property: Description("Processes seen in both samples.")] int Processes,
    IReadOnlyList<ProcTopEntry> Top);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProcListResult))]
[JsonSerializable(typeof(ProcInfoResult))]
[JsonSerializable(typeof(ProcTreeResult))]
[JsonSerializable(typeof(ProcChildrenResult))]
[JsonSerializable(typeof(ProcSignalResult))]
[JsonSerializable(typeof(ProcKillResult))]
[JsonSerializable(typeof(ProcWaitResult))]
[JsonSerializable(typeof(ProcNiceResult))]
[JsonSerializable(typeof(ProcLimitsResult))]
[JsonSerializable(typeof(ProcPortsResult))]
[JsonSerializable(typeof(ProcFilesResult))]
[JsonSerializable(typeof(ProcSpawnResult))]
[JsonSerializable(typeof(ProcTopResult))]
internal sealed partial class ProcJson : JsonSerializerContext;
