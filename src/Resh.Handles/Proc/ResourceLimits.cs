using System.Globalization;
using Resh.Core.Values;

namespace Resh.Handles.Proc;

/// <summary>The RLIMIT_* resources of Linux with their numbers and units.</summary>
internal static class ResourceLimits
{
    public static readonly (string Name, int Number, string Unit)[] All =
    [
        ("cpu", 0, "seconds"), ("fsize", 1, "bytes"), ("data", 2, "bytes"), ("stack", 3, "bytes"), ("core", 4, "bytes"),
        ("rss", 5, "bytes"), ("nproc", 6, "count"), ("nofile", 7, "count"), ("memlock", 8, "bytes"), ("as", 9, "bytes"),
        ("locks", 10, "count"), ("sigpending", 11, "count"), ("msgqueue", 12, "bytes"), ("nice", 13, "nice"),
        ("rtprio", 14, "priority"), ("rttime", 15, "microseconds"),
    ];

    public static string[] Names { get; } = All.Select(a => a.Name).ToArray();

    public static (string Name, int Number, string Unit) Find(string name) => All.First(a => a.Name == name);

    public static long? ToJson(ulong v) => v == ProcNative.RlimInfinity || v > long.MaxValue ? null : (long)v;

    /// <summary>A limit value: "unlimited"/"infinity", an integer, or (for byte limits) a size such as 64MiB.</summary>
    public static bool TryParse(string text, string unit, out ulong value)
    {
        var t = text.Trim();
        if (t.Equals("unlimited", StringComparison.OrdinalIgnoreCase) || t.Equals("infinity", StringComparison.OrdinalIgnoreCase) || t == "-1")
        {
            value = ProcNative.RlimInfinity;
            return true;
        }
        if (ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value)) return true;
        if (unit == "bytes" && SizeValue.TryParse(t, out var bytes) && bytes >= 0) { value = (ulong)bytes; return true; }
        return false;
    }
}
