using Resh.Core.Errors;
using Resh.Core.Execution;
using Resh.Core.Model;

namespace Resh.Handles.Sys;

public static class SystemInfo
{
    static readonly Arg<TimeSpan?> Interval = Arg.Duration("interval",
        "Sample CPU usage for this long; 0 (the default) answers at once and leaves cpu.usage_percent null (see load).",
        TimeSpan.Zero, examples: ["0", "200ms"]);

    public static readonly VerbInfo Verb = VerbInfo.Define("info", Effect.Read,
        "A summary of this machine: OS, CPU, memory, load, uptime, disks, network, users, limits and time.",
        [Interval], () => SystemJson.Default.InfoResult, RunAsync, human: Human,
        examples: [new("system://.info", "Everything at a glance."), new("'system://.info(interval=200ms)'", "With CPU usage sampled over 200 ms.")],
        notes: "Each part is a short form of the verb of the same name (system://.os, .cpu, .memory, ...); ask that verb for the details.");

    static async ValueTask<Outcome<InfoResult>> RunAsync(VerbContext ctx)
    {
        var interval = ctx.Get(Interval)!.Value;
        if (interval > SystemCpu.MaxInterval) return SystemCpu.IntervalTooLong(interval);

        var cpu = await SystemCpu.CollectAsync(interval, perCpu: false, ctx.Cancellation).ConfigureAwait(false);
        var memory = SystemMemory.Collect(includeCgroup: false);
        var load = SystemLoad.Collect();
        var uptime = SystemUptime.Collect();
        if (cpu is null || memory is null || load is null || uptime is null)
            return ReshError.Unavailable("/proc cannot be read.", "Is /proc mounted?");

        var os = SystemOs.Collect();
        var disks = await SystemDisk.CollectAsync(false, null, [], ctx.Cancellation).ConfigureAwait(false);
        var network = SystemNetwork.Summaries(ctx.Warn);
        // No utmp is common in containers; info says so with users.file = null rather than a warning on every call.
        var users = SystemUsers.CollectSystem(static _ => { });
        var nofile = ResourceLimits.Get(0, 7, out _);
        var nproc = ResourceLimits.Get(0, 6, out _);
        var time = SystemTime.Collect(ctx.Warn);

        return new InfoResult(
            os.Hostname,
            CanonicalName.Of(os.Hostname, TimeSpan.FromSeconds(2)),
            new InfoOs(os.PrettyName, os.Id, os.VersionId, os.Kernel.Release, os.Architecture, os.Virtualization.Vm, os.Virtualization.Container),
            new InfoCpu(cpu.Model, cpu.LogicalCpus, cpu.OnlineCpus, cpu.PhysicalCores, cpu.Usage?.UsagePercent),
            new InfoMemory(memory.Total, memory.Available, memory.Used, memory.UsedPercent, memory.SwapTotal, memory.SwapUsed),
            load,
            new InfoUptime(uptime.Seconds, uptime.BootTime, uptime.Human),
            disks?.Filesystems.Select(f => new InfoDisk(f.MountPoint, f.Fstype, f.Device, f.Size, f.Used, f.Available, f.UsedPercent)).ToList() ?? [],
            network,
            new InfoUsers(users.Count, users.Users, users.File),
            new InfoLimits(nofile?.Soft, nofile?.Hard, nproc?.Soft, nproc?.Hard),
            new InfoTime(time.Utc, time.Timezone, time.UtcOffset, time.Ntp.Synchronized));
    }

    /// <summary>The table view: one line per area, in human units.</summary>
    static string Human(InfoResult r)
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var lines = new List<(string, string)>
        {
            ("host", r.Fqdn is { } f && f != r.Hostname ? $"{r.Hostname} ({f})" : r.Hostname),
            ("os", string.Join(" · ", new[] { r.Os.PrettyName, "kernel " + r.Os.Kernel, r.Os.Architecture,
                string.Join(", ", new[] { r.Os.Vm, r.Os.Container }.OfType<string>()) }.Where(s => !string.IsNullOrEmpty(s)))),
            ("cpu", $"{r.Cpu.Model} · {r.Cpu.OnlineCpus} cpus" + (r.Cpu.PhysicalCores is { } c ? $" ({c} cores)" : "")
                + (r.Cpu.UsagePercent is { } u ? $" · {u.ToString(ci)}% busy" : "")),
            ("load", string.Create(ci, $"{r.Load.Load1:0.00} {r.Load.Load5:0.00} {r.Load.Load15:0.00} ({r.Load.Load1PerCpu:0.00} per cpu)")),
            ("memory", $"{SystemText.Size(r.Memory.Used)} used of {SystemText.Size(r.Memory.Total)} ({r.Memory.UsedPercent.ToString(ci)}%), " +
                $"{SystemText.Size(r.Memory.Available)} available; " +
                (r.Memory.SwapTotal > 0 ? $"swap {SystemText.Size(r.Memory.SwapUsed)} of {SystemText.Size(r.Memory.SwapTotal)}" : "no swap")),
            ("uptime", $"{r.Uptime.Human}, since {r.Uptime.BootTime}"),
        };
        foreach (var d in r.Disks)
            lines.Add(("disk", $"{d.MountPoint} {d.Fstype} {(d.UsedPercent is { } p ? p.ToString(ci) + "%" : "?")} of {(d.Size is { } s ? SystemText.Size(s) : "?")}"));
        foreach (var n in r.Network)
            lines.Add(("net", $"{n.Name} {n.State ?? "?"}" + (n.Addresses.Count > 0 ? " " + string.Join(" ", n.Addresses) : "")));
        lines.Add(("users", r.Users.Sessions == 0 ? "no sessions" : $"{r.Users.Sessions} sessions: {string.Join(", ", r.Users.Users)}"));
        lines.Add(("limits", $"open files {Limit(r.Limits.OpenFilesSoft)}/{Limit(r.Limits.OpenFilesHard)}, processes {Limit(r.Limits.ProcessesSoft)}/{Limit(r.Limits.ProcessesHard)}"));
        lines.Add(("time", $"{r.Time.Utc} · {r.Time.Timezone ?? "?"} ({r.Time.UtcOffset}) · NTP " +
            (r.Time.Synchronized switch { true => "synchronized", false => "not synchronized", null => "unknown" })));
        var sb = new System.Text.StringBuilder();
        foreach (var (k, v) in lines) sb.Append(k.PadRight(8)).Append(v).Append('\n');
        return sb.ToString();
    }

    static string Limit(ulong? v) => v is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unlimited";
}
