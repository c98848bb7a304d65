using System.Net;
using System.Runtime.InteropServices;

namespace Resh.Handles.Sys;

/// <summary>One IP address of an interface, as getifaddrs(3) reports it.</summary>
public sealed record InterfaceAddress(string Interface, string Family, IPAddress Address, int PrefixLength, IPAddress? Broadcast, IPAddress? Peer);

/// <summary>getifaddrs(3): every IPv4 and IPv6 address of every interface, in one netlink round trip inside glibc.</summary>
public static partial class IfAddrs
{
    const ushort AF_INET = 2, AF_INET6 = 10;
    const uint IFF_BROADCAST = 0x2, IFF_POINTOPOINT = 0x10;

    [LibraryImport("libc", EntryPoint = "getifaddrs", SetLastError = true)]
    private static unsafe partial int GetIfAddrsNative(nint* list);

    [LibraryImport("libc", EntryPoint = "freeifaddrs")]
    private static partial void FreeIfAddrs(nint list);

    // struct ifaddrs on x86_64: ifa_next@0, ifa_name@8, ifa_flags@16 (uint, padded), ifa_addr@24,
    // ifa_netmask@32, ifa_ifu (broadcast or point-to-point destination)@40, ifa_data@48.
    public static unsafe List<InterfaceAddress>? Read(out int errno)
    {
        nint list;
        if (GetIfAddrsNative(&list) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        var result = new List<InterfaceAddress>();
        try
        {
            for (var p = (byte*)list; p != null; p = *(byte**)p)
            {
                var addr = *(byte**)(p + 24);
                if (addr == null) continue;
                var family = *(ushort*)addr;
                if (family is not (AF_INET or AF_INET6)) continue;
                var name = Marshal.PtrToStringUTF8(*(nint*)(p + 8)) ?? "";
                var flags = *(uint*)(p + 16);
                var ip = ToAddress(addr);
                if (ip is null) continue;
                var mask = *(byte**)(p + 32);
                var other = *(byte**)(p + 40);
                var otherIp = other == null ? null : ToAddress(other);
                // Without a configured broadcast (or peer), glibc puts the address itself in that slot: that is no broadcast.
                if (otherIp is not null && otherIp.Equals(ip)) otherIp = null;
                result.Add(new InterfaceAddress(name, family == AF_INET ? "inet" : "inet6", ip, mask == null ? 0 : PrefixLength(mask, family),
                    (flags & IFF_BROADCAST) != 0 && family == AF_INET ? otherIp : null,
                    (flags & IFF_POINTOPOINT) != 0 ? otherIp : null));
            }
        }
        finally
        {
            FreeIfAddrs(list);
        }
        return result;
    }

    // sockaddr_in: family@0, port@2, addr[4]@4. sockaddr_in6: family@0, port@2, flowinfo@4, addr[16]@8, scope_id@24.
    static unsafe IPAddress? ToAddress(byte* sa) => *(ushort*)sa switch
    {
        AF_INET => new IPAddress(new ReadOnlySpan<byte>(sa + 4, 4)),
        AF_INET6 => new IPAddress(new ReadOnlySpan<byte>(sa + 8, 16)), // the scope id is the interface, already named
        _ => null,
    };

    static unsafe int PrefixLength(byte* mask, ushort family)
    {
        var bytes = family == AF_INET ? new ReadOnlySpan<byte>(mask + 4, 4) : new ReadOnlySpan<byte>(mask + 8, 16);
        int bits = 0;
        foreach (var b in bytes) bits += System.Numerics.BitOperations.PopCount(b);
        return bits;
    }
}
