using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>One logical processor of /proc/cpuinfo.</summary>
public readonly record struct CpuInfoProcessor(int Processor, int? PhysicalId, int? CoreId, double? Mhz);

/// <summary>What /proc/cpuinfo says about the processors (x86 and ARM spell the model differently).</summary>
public sealed record CpuInfoSummary(string? Model, string? Vendor, long? CacheBytes, bool Hypervisor, IReadOnlyList<CpuInfoProcessor> Processors)
{
    /// <summary>Distinct packages, when the file names them (x86).</summary>
    public int? Sockets => Processors.Any(p => p.PhysicalId is not null) ? Processors.Select(p => p.PhysicalId).Distinct().Count() : null;

    /// <summary>Distinct (package, core) pairs, when the file names them (x86).</summary>
    public int? PhysicalCores => Processors.Any(p => p.CoreId is not null) ? Processors.Select(p => (p.PhysicalId, p.CoreId)).Distinct().Count() : null;
}

public static class CpuInfo
{
    public const string Path = "/proc/cpuinfo";

    public static CpuInfoSummary Parse(string text)
    {
        string? model = null, vendor = null, armModel = null, hardware = null;
        long? cache = null;
        bool hypervisor = false;
        var processors = new List<CpuInfoProcessor>();
        int? processor = null, physicalId = null, coreId = null;
        double? mhz = null;

        void Flush()
        {
            if (processor is { } p) processors.Add(new CpuInfoProcessor(p, physicalId, coreId, mhz));
            processor = null; physicalId = null; coreId = null; mhz = null;
        }

        foreach (var rawLine in text.Split('\n'))
        {
            var colon = rawLine.IndexOf(':');
            if (colon < 0) continue;
            var key = rawLine.AsSpan(0, colon).Trim();
            var value = rawLine.AsSpan(colon + 1).Trim();
            switch (key)
            {
                case "processor":
                    Flush();
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) processor = n;
                    break;
                case "model name": model ??= value.ToString(); break;
                case "vendor_id": vendor ??= value.ToString(); break;
                case "CPU implementer": vendor ??= ArmImplementer(value.ToString()); break;
                case "Model": armModel ??= value.ToString(); break;     // ARM boards (Raspberry Pi)
                case "Hardware": hardware ??= value.ToString(); break;
                case "physical id": physicalId = ParseInt(value); break;
                case "core id": coreId = ParseInt(value); break;
                case "cpu MHz":
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var m)) mhz = m;
                    break;
                case "cache size" when cache is null:
                    var kb = value.EndsWith(" KB") ? value[..^3] : value;
                    if (long.TryParse(kb, NumberStyles.None, CultureInfo.InvariantCulture, out var c)) cache = c * 1024;
                    break;
                case "flags" when !hypervisor:
                    hypervisor = (" " + value.ToString() + " ").Contains(" hypervisor ", StringComparison.Ordinal);
                    break;
            }
        }
        Flush();
        return new CpuInfoSummary(model ?? armModel ?? hardware, vendor, cache, hypervisor, processors);
    }

    static int? ParseInt(ReadOnlySpan<char> s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    // The few implementer codes an operator meets (the kernel prints them as hex).
    static string ArmImplementer(string code) => code.ToLowerInvariant() switch
    {
        "0x41" => "ARM",
        "0x42" => "Broadcom",
        "0x43" => "Cavium",
        "0x46" => "Fujitsu",
        "0x48" => "HiSilicon",
        "0x4e" => "NVIDIA",
        "0x50" => "APM",
        "0x51" => "Qualcomm",
        "0x61" => "Apple",
        "0xc0" => "Ampere",
        _ => code,
    };
}
