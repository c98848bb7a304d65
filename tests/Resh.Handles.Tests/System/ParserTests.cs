using System.Net;
using Resh.Handles.Sys;
using Resh.TestSupport;
using Xunit;

namespace Resh.Handles.Tests.Sys;

// Inside Resh.Handles.*, `File` would name the file:// handle's namespace.
using File = System.IO.File;

/// <summary>In-process tests of the /proc, /sys and utmp parsers, on samples in the kernel's own formats.</summary>
public sealed class ProcMeminfoTests
{
    const string Sample = """
        MemTotal:       16318576 kB
        MemFree:         1023456 kB
        MemAvailable:    9876543 kB
        Buffers:          123456 kB
        Cached:          5000000 kB
        SwapCached:            0 kB
        Shmem:            250000 kB
        SReclaimable:     400000 kB
        SwapTotal:       2097148 kB
        SwapFree:        2000000 kB
        Dirty:               120 kB
        HugePages_Total:       4
        HugePages_Free:        2
        Hugepagesize:       2048 kB
        """;

    [Fact]
    public void Kilobyte_fields_become_bytes_and_counts_stay_counts()
    {
        var m = ProcMeminfo.Parse(Sample);
        Assert.Equal(16318576L * 1024, m.MemTotal);
        Assert.Equal(9876543L * 1024, m.MemAvailable);
        Assert.Equal(400000L * 1024, m.SReclaimable);
        Assert.Equal(2097148L * 1024, m.SwapTotal);
        Assert.Equal(4, m.HugePagesTotal);
        Assert.Equal(2048L * 1024, m.HugePageSize);
    }

    [Fact]
    public void A_kernel_without_memavailable_leaves_it_null()
    {
        var m = ProcMeminfo.Parse("MemTotal: 1000 kB\nMemFree: 500 kB\n");
        Assert.Null(m.MemAvailable);
        Assert.Equal(500L * 1024, m.MemFree);
    }
}

public sealed class MountInfoTests
{
    [Fact]
    public void A_line_with_optional_fields_parses_every_column()
    {
        var m = MountInfo.ParseLine("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue")!;
        Assert.Equal(36, m.MountId);
        Assert.Equal(35, m.ParentId);
        Assert.Equal("98:0", m.MajorMinor);
        Assert.Equal("/mnt1", m.Root);
        Assert.Equal("/mnt2", m.MountPoint);
        Assert.Equal(["rw", "noatime"], m.Options);
        Assert.Equal(["master:1", "shared:7"], m.OptionalFields);
        Assert.Equal("ext3", m.FsType);
        Assert.Equal("/dev/root", m.Source);
        Assert.Equal(["rw", "errors=continue"], m.SuperOptions);
        Assert.False(m.ReadOnly);
    }

    [Fact]
    public void Octal_escapes_in_paths_are_decoded_including_utf8()
    {
        var m = MountInfo.ParseLine(@"40 27 0:50 / /media/my\040disk\011tab\134back\012nl ro,relatime - vfat /dev/sdb1 ro")!;
        Assert.Equal("/media/my disk\ttab\\back\nnl", m.MountPoint);
        Assert.True(m.ReadOnly);
        Assert.Equal("café", MountInfo.Unescape(@"caf\303\251"));
    }

    [Fact]
    public void Garbage_lines_are_skipped()
    {
        Assert.Null(MountInfo.ParseLine("not a mountinfo line"));
        Assert.Single(MountInfo.Parse("x\n22 27 0:21 / /proc rw - proc proc rw\n\n"));
    }
}

public sealed class ProcStatTests
{
    const string Sample = """
        cpu  42780 10 5606 181232 286 3 67 42 7 0
        cpu0 20929 5 2571 91430 32 1 7 17 3 0
        cpu1 21851 5 3035 89801 254 2 60 25 4 0
        intr 1234 0 0
        btime 1795728801
        """;

    [Fact]
    public void Cpu_lines_parse_with_the_aggregate_first()
    {
        var times = ProcStat.ParseCpuTimes(Sample);
        Assert.Equal(3, times.Count);
        Assert.Equal(CpuTimes.AllCpus, times[0].Cpu);
        Assert.Equal(1, times[2].Cpu);
        Assert.Equal(42780 + 10 + 5606 + 181232 + 286 + 3 + 67 + 42, times[0].Total); // guest is already in user
        Assert.Equal(181232 + 286, times[0].IdleAll);
        Assert.Equal(1795728801, ProcStat.ParseBootTime(Sample));
    }

    [Fact]
    public void Usage_is_the_busy_share_of_the_difference()
    {
        var a = new CpuTimes(0, 100, 0, 100, 700, 100, 0, 0, 0);
        var b = new CpuTimes(0, 200, 0, 150, 900, 150, 0, 0, 0);
        var d = new CpuTimes(0, b.User - a.User, 0, b.System - a.System, b.Idle - a.Idle, b.IoWait - a.IoWait, 0, 0, 0);
        var u = SystemCpu.ToUsage(1, d);
        Assert.Equal(37.5, u.UsagePercent);
        Assert.Equal(25, u.UserPercent);
        Assert.Equal(50, u.IdlePercent);
        Assert.Equal(12.5, u.IowaitPercent);
    }
}

public sealed class CpuInfoTests
{
    static string X86(int sockets, int cores, int threads)
    {
        var sb = new System.Text.StringBuilder();
        int n = 0;
        for (int s = 0; s < sockets; s++)
            for (int t = 0; t < threads; t++)
                for (int c = 0; c < cores; c++)
                    sb.Append($"processor\t: {n++}\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU @ 2.00GHz\ncpu MHz\t\t: {2000 + n}.500\n" +
                              $"cache size\t: 1024 KB\nphysical id\t: {s}\ncore id\t\t: {c}\nflags\t\t: fpu sse hypervisor avx\n\n");
        return sb.ToString();
    }

    [Fact]
    public void Sockets_and_cores_come_from_physical_and_core_ids()
    {
        var info = CpuInfo.Parse(X86(sockets: 2, cores: 4, threads: 2));
        Assert.Equal(16, info.Processors.Count);
        Assert.Equal(2, info.Sockets);
        Assert.Equal(8, info.PhysicalCores);
        Assert.Equal("Test CPU @ 2.00GHz", info.Model);
        Assert.Equal("GenuineIntel", info.Vendor);
        Assert.Equal(1024L * 1024, info.CacheBytes);
        Assert.True(info.Hypervisor);
        Assert.Equal(2001.5, info.Processors[0].Mhz);
    }

    [Fact]
    public void Arm_cpuinfo_without_topology_gives_vendor_and_no_core_counts()
    {
        var info = CpuInfo.Parse("processor\t: 0\nBogoMIPS\t: 108.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n\n" +
                                 "processor\t: 1\nCPU implementer\t: 0x41\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n");
        Assert.Equal(2, info.Processors.Count);
        Assert.Equal("ARM", info.Vendor);
        Assert.Equal("Raspberry Pi 4 Model B Rev 1.4", info.Model);
        Assert.Null(info.PhysicalCores);
        Assert.False(info.Hypervisor);
    }

    [Theory]
    [InlineData("0-3,8,10-11", 7)]
    [InlineData("0", 1)]
    [InlineData("0-63\n", 64)]
    public void Cpu_lists_count_their_members(string text, int count) => Assert.Equal(count, CpuList.Parse(text)!.Count);

    [Theory]
    [InlineData("3-1")]
    [InlineData("a-b")]
    public void Malformed_cpu_lists_are_null(string text) => Assert.Null(CpuList.Parse(text));
}

public sealed class SmallProcFileTests
{
    [Fact]
    public void Os_release_values_lose_quotes_and_escapes()
    {
        var r = OsRelease.Parse("# comment\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION='12 (bookworm)'\nPRETTY_NAME=\"say \\\"hi\\\" \\$x\"\nID_LIKE=\"rhel fedora\"\n\n");
        Assert.Equal("Debian GNU/Linux", r["NAME"]);
        Assert.Equal("debian", r["ID"]);
        Assert.Equal("12 (bookworm)", r["VERSION"]);
        Assert.Equal("say \"hi\" $x", r["PRETTY_NAME"]);
    }

    [Fact]
    public void Loadavg_and_uptime_parse()
    {
        var l = ProcLoadavg.Parse("0.20 0.18 0.12 1/80 11206\n")!.Value;
        Assert.Equal((0.20, 0.18, 0.12, 1L, 80L, 11206L), (l.Load1, l.Load5, l.Load15, l.Runnable, l.Tasks, l.LastPid));
        Assert.Null(ProcLoadavg.Parse("garbage"));
        Assert.Equal((350735.47, 234388.90), ProcUptime.Parse("350735.47 234388.90\n"));
    }

    [Fact]
    public void Net_dev_counters_parse_per_interface()
    {
        var c = ProcNetDev.Parse("""
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:  245949     153    0    0    0     0          0         0   245949     153    0    0    0     0       0          0
              eth0: 170564229    3975    1    2    0     0          0         9   220371    2751    3    4    0     5       0          0
            """);
        var eth0 = c["eth0"];
        Assert.Equal((170564229L, 3975L, 1L, 2L, 220371L, 2751L, 3L, 4L, 9L, 5L),
            (eth0.RxBytes, eth0.RxPackets, eth0.RxErrors, eth0.RxDropped, eth0.TxBytes, eth0.TxPackets, eth0.TxErrors, eth0.TxDropped, eth0.Multicast, eth0.Collisions));
        Assert.Equal(2, c.Count);
    }

    [Fact]
    public void Default_routes_parse_from_both_route_tables()
    {
        var v4 = NetRoutes.ParseIpv4("""
            Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
            eth0	00000000	0102A8C0	0003	0	0	100	00000000	0	0	0
            eth0	0002A8C0	00000000	0001	0	0	100	00FFFFFF	0	0	0
            """);
        var route = Assert.Single(v4);
        Assert.Equal(("inet", "eth0", "192.168.2.1", 100L), (route.Family, route.Interface, route.Gateway, route.Metric));

        var v6 = NetRoutes.ParseIpv6(
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n" +
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n");
        var r6 = Assert.Single(v6);
        Assert.Equal(("inet6", "eth0", "fe80::1", 1024L), (r6.Family, r6.Interface, r6.Gateway, r6.Metric));
    }

    [Fact]
    public void Cgroup_files_parse()
    {
        Assert.Equal([("memory", "/a"), ("", "/b/c")], CgroupLimits.ParseProcCgroup("4:memory:/a\n0::/b/c\n"));
        Assert.Null(CgroupLimits.ParseLimit("max"));
        Assert.Null(CgroupLimits.ParseLimit("9223372036854771712"));
        Assert.Equal(268435456, CgroupLimits.ParseLimit("268435456"));
        Assert.Equal(0.5, CgroupLimits.ParseCpuMax("50000 100000"));
        Assert.Null(CgroupLimits.ParseCpuMax("max 100000"));
    }

    [Theory]
    [InlineData(":Europe/Berlin", "Europe/Berlin")]
    [InlineData("/usr/share/zoneinfo/Asia/Tokyo", "Asia/Tokyo")]
    [InlineData("", "UTC")]
    public void Tz_values_name_the_zone(string tz, string name) => Assert.Equal((name, "TZ"), LocalTimeZone.Name(tz));
}

public sealed class UtmpTests
{
    [Fact]
    public void The_recorded_utmpdump_file_parses_to_its_text_dump()
    {
        // Fixtures/utmp-sessions.bin was written by `utmpdump -r` from Fixtures/utmp-sessions.txt (see Fixtures/README.md).
        var bytes = File.ReadAllBytes(Path.Combine(ReshBinary.RepoRoot, "tests/Resh.Handles.Tests/System/Fixtures/utmp-sessions.bin"));
        var records = Utmp.Parse(bytes);
        Assert.Equal(5, records.Count);
        Assert.Equal((UtmpRecord.BootTime, "reboot", "6.1.0-18-amd64"), (records[0].Type, records[0].User, records[0].Host));
        var alice = records[1];
        Assert.Equal((UtmpRecord.UserProcess, 4242, "pts/0", "ts/0", "alice", "192.0.2.10"), (alice.Type, alice.Pid, alice.Line, alice.Id, alice.User, alice.Host));
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero).AddMilliseconds(250), alice.Time);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), alice.Address);
        Assert.Null(records[2].Address);
        Assert.Equal(UtmpRecord.DeadProcess, records[3].Type);
        Assert.Equal(IPAddress.Parse("2001:db8::5"), records[4].Address);
    }
}
