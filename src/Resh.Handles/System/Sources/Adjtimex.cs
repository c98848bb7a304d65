using System.Runtime.InteropServices;

namespace Resh.Handles.Sys;

/// <summary>The kernel's NTP discipline state as adjtimex(2) reads it (modes = 0 changes nothing).</summary>
public readonly record struct KernelClock(int State, int Status, long OffsetUs, long FrequencyPpm65536, long MaxErrorUs, long EstErrorUs,
    long TimeConstant, int TaiOffset)
{
    public const int STA_PLL = 0x0001, STA_PPSFREQ = 0x0002, STA_PPSTIME = 0x0004, STA_FLL = 0x0008, STA_INS = 0x0010, STA_DEL = 0x0020,
        STA_UNSYNC = 0x0040, STA_FREQHOLD = 0x0080, STA_NANO = 0x2000;
    public const int TIME_ERROR = 5;

    /// <summary>As timedatectl's "System clock synchronized": an NTP daemon cleared STA_UNSYNC and the clock is not in error.</summary>
    public bool Synchronized => (Status & STA_UNSYNC) == 0 && State != TIME_ERROR;

    public string StateName => State switch
    {
        0 => "ok",
        1 => "insert_leap",
        2 => "delete_leap",
        3 => "leap_in_progress",
        4 => "leap_done",
        5 => "error",
        _ => State.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public List<string> StatusNames()
    {
        var names = new List<string>();
        (int Bit, string Name)[] bits = [(STA_PLL, "PLL"), (STA_PPSFREQ, "PPSFREQ"), (STA_PPSTIME, "PPSTIME"), (STA_FLL, "FLL"), (STA_INS, "INS"),
            (STA_DEL, "DEL"), (STA_UNSYNC, "UNSYNC"), (STA_FREQHOLD, "FREQHOLD"), (0x100, "PPSSIGNAL"), (0x200, "PPSJITTER"),
            (0x400, "PPSWANDER"), (0x800, "PPSERROR"), (0x1000, "CLOCKERR"), (STA_NANO, "NANO"), (0x4000, "MODE"), (0x8000, "CLK")];
        foreach (var (bit, name) in bits) if ((Status & bit) != 0) names.Add(name);
        return names;
    }
}

public static partial class Adjtimex
{
    // struct timex on x86_64 is 208 bytes: modes (uint) @0, offset @8, freq @16, maxerror @24, esterror @32,
    // status (int) @40, constant @48, precision @56, tolerance @64, time (timeval) @72, tick @88, ppsfreq @96,
    // jitter @104, shift (int) @112, stabil @120, jitcnt @128, calcnt @136, errcnt @144, stbcnt @152,
    // tai (int) @160, then padding to 208. Read by offset so layout mistakes cannot hide in a C# struct.
    const int Size = 208;

    [LibraryImport("libc", EntryPoint = "adjtimex", SetLastError = true)]
    private static unsafe partial int AdjtimexNative(byte* timex);

    public static unsafe KernelClock? Read(out int errno)
    {
        byte* t = stackalloc byte[Size];
        new Span<byte>(t, Size).Clear(); // modes = 0: read only
        var state = AdjtimexNative(t);
        if (state < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        var status = *(int*)(t + 40);
        var offset = *(long*)(t + 8);
        // With STA_NANO the offset is in nanoseconds; report microseconds either way.
        if ((status & KernelClock.STA_NANO) != 0) offset /= 1000;
        return new KernelClock(state, status, offset, *(long*)(t + 16), *(long*)(t + 24), *(long*)(t + 32), *(long*)(t + 48), *(int*)(t + 160));
    }
}
