using System.Globalization;

namespace Resh.Handles.Sys;

/// <summary>What /sys/class/net/NAME says about one interface (attributes a down link refuses are null).</summary>
public sealed record NetDevice(string Name, int? Index, string Type, string? State, IReadOnlyList<string> Flags, bool? Carrier, int? Mtu,
    string? Mac, long? SpeedMbps, string? Duplex, string? Driver, string? Master, bool Virtual);

public static class SysNet
{
    public const string ClassDir = "/sys/class/net";

    public static IReadOnlyList<string> InterfaceNames()
    {
        try
        {
            // The bonding driver adds a plain file, bonding_masters, next to the interface links.
            var names = Directory.GetFileSystemEntries(ClassDir).Select(Path.GetFileName).OfType<string>()
                .Where(n => n != "bonding_masters").ToList();
            names.Sort(StringComparer.Ordinal);
            return names;
        }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    public static NetDevice Read(string name)
    {
        var dir = Path.Combine(ClassDir, name);
        var flags = ParseHex(ProcFile.ReadTrimmed(Path.Combine(dir, "flags")));
        var speed = ProcFile.ReadLong(Path.Combine(dir, "speed"));
        var duplex = ProcFile.ReadTrimmed(Path.Combine(dir, "duplex"));
        var mac = ProcFile.ReadTrimmed(Path.Combine(dir, "address"));
        var typeNumber = ProcFile.ReadLong(Path.Combine(dir, "type"));
        var device = ProcFile.LinkTarget(dir);
        return new NetDevice(
            name,
            (int?)ProcFile.ReadLong(Path.Combine(dir, "ifindex")),
            TypeName(typeNumber),
            ProcFile.ReadTrimmed(Path.Combine(dir, "operstate")),
            flags is { } fl ? FlagNames(fl) : [],
            ProcFile.ReadLong(Path.Combine(dir, "carrier")) is { } c ? c == 1 : null,
            (int?)ProcFile.ReadLong(Path.Combine(dir, "mtu")),
            // Devices without a link-layer address (tun, ipip) report nothing or zeros of another length.
            string.IsNullOrEmpty(mac) || typeNumber is 65534 ? null : mac,
            speed is > 0 ? speed : null,
            duplex is null or "unknown" ? null : duplex,
            ProcFile.LinkName(Path.Combine(dir, "device", "driver")),
            ProcFile.LinkName(Path.Combine(dir, "master")),
            device is null || device.Contains("/devices/virtual/", StringComparison.Ordinal));
    }

    /// <summary>Only state and MAC, for summaries (two reads instead of ten).</summary>
    public static (string? State, string? Mac) ReadBrief(string name)
    {
        var dir = Path.Combine(ClassDir, name);
        var mac = ProcFile.ReadTrimmed(Path.Combine(dir, "address"));
        return (ProcFile.ReadTrimmed(Path.Combine(dir, "operstate")), string.IsNullOrEmpty(mac) ? null : mac);
    }

    static long? ParseHex(string? s) =>
        s is not null && long.TryParse(s.StartsWith("0x", StringComparison.Ordinal) ? s[2..] : s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : null;

    static readonly (long Bit, string Name)[] FlagBits =
    [
        (0x1, "UP"), (0x2, "BROADCAST"), (0x4, "DEBUG"), (0x8, "LOOPBACK"), (0x10, "POINTOPOINT"), (0x20, "NOTRAILERS"),
        (0x40, "RUNNING"), (0x80, "NOARP"), (0x100, "PROMISC"), (0x200, "ALLMULTI"), (0x400, "MASTER"), (0x800, "SLAVE"),
        (0x1000, "MULTICAST"), (0x2000, "PORTSEL"), (0x4000, "AUTOMEDIA"), (0x8000, "DYNAMIC"),
    ];

    public static List<string> FlagNames(long flags)
    {
        var names = new List<string>();
        foreach (var (bit, name) in FlagBits) if ((flags & bit) != 0) names.Add(name);
        return names;
    }

    /// <summary>The ARPHRD_* link type (include/uapi/linux/if_arp.h) as ip(8) names it.</summary>
    public static string TypeName(long? type) => type switch
    {
        null => "unknown",
        1 => "ether",
        24 => "ieee1394",
        32 => "infiniband",
        256 => "slip",
        512 => "ppp",
        768 => "ipip",
        769 => "tunnel6",
        772 => "loopback",
        776 => "sit",
        778 => "gre",
        783 => "irda",
        801 => "ieee80211",
        803 => "ieee80211_radiotap",
        823 => "ip6gre",
        280 => "can",
        519 => "rawip",
        65534 => "none",
        _ => type.Value.ToString(CultureInfo.InvariantCulture),
    };
}
