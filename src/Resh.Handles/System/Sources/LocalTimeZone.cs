using System.Runtime.InteropServices;

namespace Resh.Handles.Sys;

/// <summary>The local time zone as the C library applies it: name (and where it came from), abbreviation, offset, DST.</summary>
public sealed record ZoneState(string? Name, string Source, string? Abbreviation, int UtcOffsetSeconds, bool? Dst);

public static partial class LocalTimeZone
{
    [LibraryImport("libc", EntryPoint = "tzset")]
    private static partial void TzSet();

    [LibraryImport("libc", EntryPoint = "localtime_r")]
    private static unsafe partial byte* LocalTimeR(long* time, byte* tm);

    /// <summary>The zone name and its source: TZ, the /etc/localtime symlink, /etc/timezone, else the C library's default (UTC).</summary>
    public static (string? Name, string Source) Name(string? tzVariable)
    {
        // Set but empty means UTC to the C library (POSIX), not "unset".
        if (tzVariable is "" or ":") return ("UTC", "TZ");
        if (tzVariable is not null)
        {
            var tz = tzVariable.TrimStart(':');
            var at = tz.IndexOf("zoneinfo/", StringComparison.Ordinal);
            return (at >= 0 ? tz[(at + 9)..] : tz, "TZ");
        }
        var link = ProcFile.LinkTarget("/etc/localtime");
        if (link is not null)
        {
            var at = link.IndexOf("zoneinfo/", StringComparison.Ordinal);
            if (at >= 0) return (link[(at + 9)..], "/etc/localtime");
        }
        var file = ProcFile.ReadTrimmed("/etc/timezone");
        if (file is not null) return (file, "/etc/timezone");
        if (System.IO.File.Exists("/etc/localtime")) return (null, "/etc/localtime");
        return ("UTC", "default");
    }

    // struct tm on x86_64: nine ints (tm_sec..tm_isdst, isdst @32), padding, long tm_gmtoff @40, char* tm_zone @48; 56 bytes.
    public static unsafe ZoneState Read(long unixSeconds)
    {
        var (name, source) = Name(Environment.GetEnvironmentVariable("TZ"));
        TzSet();
        byte* tm = stackalloc byte[64];
        long t = unixSeconds;
        if (LocalTimeR(&t, tm) == null) return new ZoneState(name, source, null, 0, null);
        var isDst = *(int*)(tm + 32);
        var offset = *(long*)(tm + 40);
        var zone = Marshal.PtrToStringUTF8(*(nint*)(tm + 48));
        return new ZoneState(name, source, zone, (int)offset, isDst < 0 ? null : isDst > 0);
    }
}
