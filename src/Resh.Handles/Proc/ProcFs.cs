using System.Buffers;
using System.Text;

namespace Resh.Handles.Proc;

/// <summary>One process as /proc/PID/stat (and, when asked, status and cmdline) describe it.</summary>
internal sealed class ProcEntry
{
    public int Pid;
    public string Comm = "";
    public char State;
    public int Ppid;
    public int Pgrp;
    public int Session;
    public int TtyNr;
    public long Utime;
    public long Stime;
    public int Nice;
    public int Threads;
    public long StartTicks;
    public long VsizeBytes;
    public long RssPages;
    public uint Uid = uint.MaxValue;
    public uint Gid = uint.MaxValue;
    public string[]? Argv;

    public long CpuTicks => Utime + Stime;
    public bool IsZombie => State is 'Z' or 'X';
    /// <summary>VmRSS from /proc/PID/status in bytes, when status was read (-1 otherwise).</summary>
    public long VmRssBytes = -1;
    /// <summary>Resident memory as ps and top show it: VmRSS (the stat field can lag behind, from per-thread counters), else stat's pages.</summary>
    public long RssBytes => VmRssBytes >= 0 ? VmRssBytes : RssPages * Environment.SystemPageSize;

    /// <summary>The command line joined by spaces, or [comm] for kernel threads (as ps shows them).</summary>
    public string Command => Argv is { Length: > 0 } a ? string.Join(' ', a) : $"[{Comm}]";

    /// <summary>argv[0] without its directory (what `pidof` and `killall` also match).</summary>
    public string? Argv0Base => Argv is { Length: > 0 } a && a[0].Length > 0 ? Path.GetFileName(a[0].Split(' ')[0]) : null;
}

/// <summary>
/// Reads /proc directly. Files are read with one pread into a shared buffer and parsed as bytes, so a
/// listing of all processes costs a few syscalls per process and no tool start.
/// </summary>
internal static class ProcFs
{
    [ThreadStatic] static byte[]? _buffer;

    static byte[] Buffer => _buffer ??= new byte[64 * 1024];

    /// <summary>The PIDs under /proc, ascending.</summary>
    public static List<int> Pids()
    {
        var pids = new List<int>(512);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = dir.AsSpan(6);
            if (name.Length > 0 && char.IsAsciiDigit(name[0]) && int.TryParse(name, out var pid)) pids.Add(pid);
        }
        pids.Sort();
        return pids;
    }

    public static bool Exists(int pid) => ReadStat(pid) is { IsZombie: false };

    /// <summary>
    /// Reads a /proc file into the buffer with plain open/read/close: a listing reads three files per process,
    /// and FileStream's extra fstat and flock calls per file would double the system calls.
    /// Returns the length, or -1 when the file cannot be read.
    /// </summary>
    static unsafe int ReadInto(string path, byte[] buffer)
    {
        var fd = Resh.Core.Platform.LibC.Open(path, Resh.Core.Platform.LibC.O_RDONLY | Resh.Core.Platform.LibC.O_CLOEXEC, 0);
        if (fd < 0) return -1;
        try
        {
            int total = 0;
            fixed (byte* b = buffer)
            {
                while (total < buffer.Length)
                {
                    var n = ProcNative.Read(fd, b + total, buffer.Length - total);
                    if (n <= 0) break;
                    total += (int)n;
                }
            }
            return total;
        }
        finally
        {
            Resh.Core.Platform.LibC.Close(fd);
        }
    }

    public static string? ReadText(string path, int max = 1024 * 1024)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buf = new byte[max];
            int total = 0, n;
            while (total < max && (n = fs.Read(buf, total, max - total)) > 0) total += n;
            return Encoding.UTF8.GetString(buf, 0, total);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Parses /proc/PID/stat; null when the process is gone.</summary>
    public static ProcEntry? ReadStat(int pid, bool withStatus = false, bool withCmdline = false, int cmdlineMax = 4096)
    {
        var buf = Buffer;
        var n = ReadInto($"/proc/{pid}/stat", buf);
        if (n <= 0) return null;
        var s = buf.AsSpan(0, n);
        int open = s.IndexOf((byte)'(');
        int close = s.LastIndexOf((byte)')');
        if (open < 0 || close < open || close + 2 >= n) return null;
        var e = new ProcEntry { Pid = pid, Comm = Encoding.UTF8.GetString(s[(open + 1)..close]) };
        var rest = s[(close + 2)..];
        // Fields after the comm, numbered as in proc(5): 3 state, 4 ppid, ... 24 rss.
        int field = 3;
        while (rest.Length > 0 && field <= 24)
        {
            int sp = rest.IndexOf((byte)' ');
            var tok = sp < 0 ? rest : rest[..sp];
            switch (field)
            {
                case 3: e.State = (char)tok[0]; break;
                case 4: e.Ppid = (int)ParseLong(tok); break;
                case 5: e.Pgrp = (int)ParseLong(tok); break;
                case 6: e.Session = (int)ParseLong(tok); break;
                case 7: e.TtyNr = (int)ParseLong(tok); break;
                case 14: e.Utime = ParseLong(tok); break;
                case 15: e.Stime = ParseLong(tok); break;
                case 19: e.Nice = (int)ParseLong(tok); break;
                case 20: e.Threads = (int)ParseLong(tok); break;
                case 22: e.StartTicks = ParseLong(tok); break;
                case 23: e.VsizeBytes = ParseLong(tok); break;
                case 24: e.RssPages = ParseLong(tok); break;
            }
            if (sp < 0) break;
            rest = rest[(sp + 1)..];
            field++;
        }
        if (withStatus) ReadIds(e);
        if (withCmdline) e.Argv = ReadArgv(pid, cmdlineMax);
        return e;
    }

    static void ReadIds(ProcEntry e)
    {
        var buf = Buffer;
        var n = ReadInto($"/proc/{e.Pid}/status", buf);
        if (n <= 0) return;
        var s = buf.AsSpan(0, n);
        e.Uid = SecondNumber(s, "\nUid:"u8);
        e.Gid = SecondNumber(s, "\nGid:"u8);
        // Kernel threads have no VmRSS line: their resident memory is 0.
        e.VmRssBytes = KiloBytes(s, "\nVmRSS:"u8) is { } kb ? kb * 1024 : 0;
    }

    /// <summary>The number of a `Key:   1234 kB` line of /proc/PID/status.</summary>
    static long? KiloBytes(ReadOnlySpan<byte> s, ReadOnlySpan<byte> key)
    {
        var i = s.IndexOf(key);
        if (i < 0) return null;
        var line = s[(i + key.Length)..];
        var nl = line.IndexOf((byte)'\n');
        if (nl >= 0) line = line[..nl];
        long v = 0;
        bool any = false;
        foreach (var b in line)
        {
            if (b >= (byte)'0' && b <= (byte)'9') { v = v * 10 + (b - '0'); any = true; }
            else if (any) break;
        }
        return any ? v : null;
    }

    /// <summary>The effective id: the second number of a `Uid:` / `Gid:` line (real, effective, saved, fs).</summary>
    static uint SecondNumber(ReadOnlySpan<byte> s, ReadOnlySpan<byte> key)
    {
        var i = s.IndexOf(key);
        if (i < 0) return uint.MaxValue;
        var line = s[(i + key.Length)..];
        var nl = line.IndexOf((byte)'\n');
        if (nl >= 0) line = line[..nl];
        int count = 0;
        foreach (var part in Encoding.ASCII.GetString(line).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            if (++count == 2 && uint.TryParse(part, out var v)) return v;
        }
        return uint.MaxValue;
    }

    public static string[] ReadArgv(int pid, int max = 1 << 20)
    {
        byte[] buf = max <= Buffer.Length ? Buffer : ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var n = ReadInto($"/proc/{pid}/cmdline", buf.Length > max ? buf : buf);
            if (n <= 0) return [];
            n = Math.Min(n, max);
            var s = buf.AsSpan(0, n);
            if (s[^1] == 0) s = s[..^1];
            var parts = new List<string>();
            while (true)
            {
                var z = s.IndexOf((byte)0);
                parts.Add(Encoding.UTF8.GetString(z < 0 ? s : s[..z]));
                if (z < 0) break;
                s = s[(z + 1)..];
            }
            // A password on a command line is readable by every user in /proc, but resh does not repeat it (SPEC §8).
            return SecretNames.MaskArgv(parts.ToArray());
        }
        finally
        {
            if (!ReferenceEquals(buf, _buffer)) ArrayPool<byte>.Shared.Return(buf);
        }
    }

    static long ParseLong(ReadOnlySpan<byte> tok)
    {
        long v = 0;
        bool neg = false;
        int i = 0;
        if (tok.Length > 0 && tok[0] == '-') { neg = true; i = 1; }
        for (; i < tok.Length; i++)
        {
            var c = tok[i];
            if (c < '0' || c > '9') break;
            v = v * 10 + (c - '0');
        }
        return neg ? -v : v;
    }

    /// <summary>Seconds since boot, from /proc/uptime.</summary>
    public static double Uptime()
    {
        var t = ReadText("/proc/uptime", 256);
        if (t is null) return 0;
        var first = t.Split(' ')[0];
        return double.TryParse(first, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var u) ? u : 0;
    }

    /// <summary>Boot time (Unix seconds) from the btime line of /proc/stat.</summary>
    public static long BootTime()
    {
        var t = ReadText("/proc/stat", 64 * 1024);
        if (t is null) return 0;
        foreach (var line in t.Split('\n'))
            if (line.StartsWith("btime ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(6), out var b)) return b;
        return 0;
    }

    /// <summary>The process's start time as an RFC 3339 UTC string.</summary>
    public static string StartTime(ProcEntry e, long bootTime)
    {
        var secs = bootTime + (double)e.StartTicks / ProcNative.ClockTicks;
        return DateTimeOffset.FromUnixTimeMilliseconds((long)(secs * 1000)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Lifetime average CPU use, as ps computes %CPU: cpu time over time since start.</summary>
    public static double CpuPercent(ProcEntry e, double uptime)
    {
        var hz = (double)ProcNative.ClockTicks;
        var elapsed = uptime - e.StartTicks / hz;
        if (elapsed <= 0) return 0;
        return Math.Round(e.CpuTicks / hz / elapsed * 100, 1);
    }

    public static string? ReadLink(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    public static string StateName(char state) => state switch
    {
        'R' => "running",
        'S' => "sleeping",
        'D' => "disk-sleep",
        'Z' => "zombie",
        'T' => "stopped",
        't' => "tracing-stop",
        'X' or 'x' => "dead",
        'I' => "idle",
        'P' => "parked",
        'W' => "waking",
        'K' => "wakekill",
        _ => "unknown",
    };
}
