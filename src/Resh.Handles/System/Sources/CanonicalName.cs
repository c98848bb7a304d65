using System.Runtime.InteropServices;

namespace Resh.Handles.Sys;

/// <summary>
/// The fully qualified host name as `hostname -f` gives it: getaddrinfo(3) with AI_CANONNAME through
/// the system's resolver (nsswitch: /etc/hosts, DNS, systemd's myhostname). Bounded in time, since a
/// resolver that cannot reach its DNS server would otherwise hold the call for its whole timeout.
/// </summary>
public static partial class CanonicalName
{
    const int AI_CANONNAME = 0x0002;

    [StructLayout(LayoutKind.Sequential)]
    struct AddrInfo
    {
        public int Flags, Family, SockType, Protocol;
        public uint AddrLen;
        public nint Addr;
        public nint CanonName;
        public nint Next;
    }

    [LibraryImport("libc", EntryPoint = "getaddrinfo", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int GetAddrInfo(string node, string? service, AddrInfo* hints, AddrInfo** result);

    [LibraryImport("libc", EntryPoint = "freeaddrinfo")]
    private static unsafe partial void FreeAddrInfo(AddrInfo* result);

    /// <summary>The canonical name of <paramref name="host"/>, or null when the resolver does not know it within <paramref name="wait"/>.</summary>
    public static string? Of(string host, TimeSpan wait)
    {
        if (string.IsNullOrEmpty(host)) return null;
        var lookup = Task.Run(() => Lookup(host));
        return lookup.Wait(wait) ? lookup.Result : null;
    }

    static unsafe string? Lookup(string host)
    {
        var hints = new AddrInfo { Flags = AI_CANONNAME };
        AddrInfo* result = null;
        if (GetAddrInfo(host, null, &hints, &result) != 0 || result is null) return null;
        try
        {
            return result->CanonName == 0 ? null : Marshal.PtrToStringUTF8(result->CanonName);
        }
        finally
        {
            FreeAddrInfo(result);
        }
    }
}
