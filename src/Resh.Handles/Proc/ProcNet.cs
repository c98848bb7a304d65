using System.Globalization;
using System.Net;

namespace Resh.Handles.Proc;

/// <summary>One row of /proc/net/{tcp,tcp6,udp,udp6}.</summary>
internal sealed record NetSocket(string Protocol, string Address, int Port, string RemoteAddress, int RemotePort, string State, uint Uid, long Inode);

/// <summary>Parses the kernel's socket tables and maps socket inodes to the processes holding them.</summary>
internal static class ProcNet
{
    public static List<NetSocket> Read(string protocol)
    {
        var list = new List<NetSocket>();
        foreach (var p in protocol == "all" ? ["tcp", "tcp6", "udp", "udp6"] : protocol == "tcp" ? ["tcp", "tcp6"] : new[] { "udp", "udp6" })
        {
            var text = ProcFs.ReadText($"/proc/net/{p}", 16 * 1024 * 1024);
            if (text is null) continue;
            foreach (var line in text.Split('\n').Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10) continue;
                var (addr, port) = Endpoint(f[1]);
                var (raddr, rport) = Endpoint(f[2]);
                var st = int.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                list.Add(new NetSocket(p, addr, port, raddr, rport, StateName(p, st),
                    uint.TryParse(f[7], out var uid) ? uid : uint.MaxValue, long.TryParse(f[9], out var ino) ? ino : 0));
            }
        }
        return list;
    }

    static (string, int) Endpoint(string hex)
    {
        var colon = hex.IndexOf(':');
        var port = int.Parse(hex.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var a = hex.AsSpan(0, colon);
        var bytes = new byte[a.Length / 2];
        // The kernel prints each 32-bit word in host (little-endian) order.
        for (int w = 0; w < bytes.Length / 4; w++)
            for (int b = 0; b < 4; b++)
                bytes[w * 4 + b] = byte.Parse(a.Slice(w * 8 + (3 - b) * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var ip = new IPAddress(bytes);
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        return (ip.ToString(), port);
    }

    static string StateName(string protocol, int st)
    {
        if (protocol.StartsWith("udp", StringComparison.Ordinal)) return st == 1 ? "established" : "unconnected";
        return st switch
        {
            1 => "established", 2 => "syn-sent", 3 => "syn-recv", 4 => "fin-wait1", 5 => "fin-wait2", 6 => "time-wait",
            7 => "close", 8 => "close-wait", 9 => "last-ack", 10 => "listen", 11 => "closing", _ => "unknown",
        };
    }

    /// <summary>socket inode → PID, by reading the fd links of the given processes.</summary>
    public static Dictionary<long, int> SocketOwners(IEnumerable<int> pids)
    {
        var map = new Dictionary<long, int>();
        foreach (var pid in pids)
        {
            IEnumerable<string> fds;
            try { fds = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").ToList(); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            foreach (var fd in fds)
            {
                var link = ProcFs.ReadLink(fd);
                if (link is null || !link.StartsWith("socket:[", StringComparison.Ordinal)) continue;
                if (long.TryParse(link.AsSpan(8, link.Length - 9), out var inode)) map.TryAdd(inode, pid);
            }
        }
        return map;
    }
}
