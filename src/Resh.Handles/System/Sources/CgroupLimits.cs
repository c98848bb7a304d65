using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>The memory and CPU limits of the cgroup resh runs in (and so, usually, of its container).</summary>
public sealed record CgroupInfo(string Version, string Path, long? MemoryLimit, long? MemoryUsage, double? CpuLimit);

/// <summary>
/// Reads /proc/self/cgroup and the limit files of the controllers: cgroup v2 memory.max / cpu.max,
/// else v1 memory.limit_in_bytes / cpu.cfs_quota_us. A few small reads; any gap gives null.
/// </summary>
public static class CgroupLimits
{
    const string Root = "/sys/fs/cgroup";

    /// <summary>Lines "ID:CONTROLLERS:PATH" → (controllers, path); v2 is "0::PATH".</summary>
    public static List<(string Controllers, string Path)> ParseProcCgroup(string text)
    {
        var result = new List<(string, string)>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var first = line.IndexOf(':');
            var second = first < 0 ? -1 : line.IndexOf(':', first + 1);
            if (second < 0) continue;
            result.Add((line[(first + 1)..second], line[(second + 1)..]));
        }
        return result;
    }

    public static CgroupInfo? Read(bool memory, bool cpu)
    {
        var text = ProcFile.ReadText("/proc/self/cgroup", 64 << 10);
        if (text is null) return null;
        var groups = ParseProcCgroup(text);
        string? v2 = null, v1Memory = null, v1Cpu = null;
        foreach (var (controllers, path) in groups)
        {
            if (controllers.Length == 0) v2 = path;
            else
            {
                var names = controllers.Split(',');
                if (names.Contains("memory")) v1Memory = path;
                if (names.Contains("cpu")) v1Cpu = path;
            }
        }

        // Pure v2 (one "0::" line), or v1 controllers (hybrid hosts keep memory and cpu in v1).
        if (v2 is not null && v1Memory is null && v1Cpu is null)
        {
            var dir = Existing(Root, v2);
            long? limit = null, usage = null;
            double? cpus = null;
            if (dir is not null && memory)
            {
                limit = ParseLimit(ProcFile.ReadTrimmed(System.IO.Path.Combine(dir, "memory.max")));
                usage = ProcFile.ReadLong(System.IO.Path.Combine(dir, "memory.current"));
            }
            if (dir is not null && cpu) cpus = ParseCpuMax(ProcFile.ReadTrimmed(System.IO.Path.Combine(dir, "cpu.max")));
            return new CgroupInfo("v2", v2, limit, usage, cpus);
        }

        long? v1Limit = null, v1Usage = null;
        double? v1Cpus = null;
        if (memory && v1Memory is not null && Existing(System.IO.Path.Combine(Root, "memory"), v1Memory) is { } md)
        {
            v1Limit = ParseLimit(ProcFile.ReadTrimmed(System.IO.Path.Combine(md, "memory.limit_in_bytes")));
            v1Usage = ProcFile.ReadLong(System.IO.Path.Combine(md, "memory.usage_in_bytes"));
        }
        if (cpu && v1Cpu is not null && (Existing(System.IO.Path.Combine(Root, "cpu,cpuacct"), v1Cpu) ?? Existing(System.IO.Path.Combine(Root, "cpu"), v1Cpu)) is { } cd)
        {
            var quota = ProcFile.ReadLong(System.IO.Path.Combine(cd, "cpu.cfs_quota_us"));
            var period = ProcFile.ReadLong(System.IO.Path.Combine(cd, "cpu.cfs_period_us"));
            if (quota is > 0 && period is > 0) v1Cpus = Math.Round((double)quota.Value / period.Value, 2);
        }
        return new CgroupInfo("v1", (memory ? v1Memory : v1Cpu) ?? v1Memory ?? v1Cpu ?? "/", v1Limit, v1Usage, v1Cpus);
    }

    /// <summary>The group's directory; inside a container without a cgroup namespace the path is the host's, so fall back to the mount root.</summary>
    static string? Existing(string mount, string path)
    {
        var dir = System.IO.Path.Combine(mount, path.TrimStart('/'));
        if (Directory.Exists(dir)) return dir;
        return Directory.Exists(mount) ? mount : null;
    }

    /// <summary>"max" (v2) or a value near 2^63 (v1's "no limit") mean unlimited.</summary>
    public static long? ParseLimit(string? text)
    {
        if (text is null or "max") return null;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return null;
        return v >= 1L << 62 ? null : v;
    }

    /// <summary>cpu.max "QUOTA PERIOD" (or "max PERIOD") as a number of CPUs.</summary>
    public static double? ParseCpuMax(string? text)
    {
        var f = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f is null || f.Length < 2 || f[0] == "max") return null;
        if (!long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var quota)
            || !long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var period) || period <= 0) return null;
        return Math.Round((double)quota / period, 2);
    }
}
