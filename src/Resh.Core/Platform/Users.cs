using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Resh.Core.Platform;

/// <summary>User and group names through the C library (so NSS sources such as LDAP count), cached per process.</summary>
public static partial class Users
{
    static readonly ConcurrentDictionary<uint, string?> UserNames = new();
    static readonly ConcurrentDictionary<uint, string?> GroupNames = new();

    [LibraryImport("libc", EntryPoint = "getpwuid_r", SetLastError = true)]
    private static unsafe partial int GetPwUidR(uint uid, byte* pwd, byte* buf, nuint buflen, byte** result);

    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int GetPwNamR(string name, byte* pwd, byte* buf, nuint buflen, byte** result);

    [LibraryImport("libc", EntryPoint = "getgrgid_r", SetLastError = true)]
    private static unsafe partial int GetGrGidR(uint gid, byte* grp, byte* buf, nuint buflen, byte** result);

    [LibraryImport("libc", EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int GetGrNamR(string name, byte* grp, byte* buf, nuint buflen, byte** result);

    /// <summary>A passwd entry: name, uid, gid, home, shell.</summary>
    public sealed record PasswdEntry(string Name, uint Uid, uint Gid, string Gecos, string Home, string Shell);

    public static string? UserName(uint uid) => UserNames.GetOrAdd(uid, static u => LookupUser(u, null)?.Name);

    public static string? GroupName(uint gid) => GroupNames.GetOrAdd(gid, static g => LookupGroup(g, null)?.Name);

    public static PasswdEntry? User(uint uid) => LookupUser(uid, null);

    public static PasswdEntry? User(string name) => LookupUser(0, name);

    public static (string Name, uint Gid)? Group(string name) => LookupGroup(0, name);

    /// <summary>A user given as a name or a number.</summary>
    public static uint? ResolveUid(string nameOrId)
    {
        if (uint.TryParse(nameOrId, out var id)) return id;
        return User(nameOrId)?.Uid;
    }

    public static uint? ResolveGid(string nameOrId)
    {
        if (uint.TryParse(nameOrId, out var id)) return id;
        return Group(nameOrId)?.Gid;
    }

    static unsafe PasswdEntry? LookupUser(uint uid, string? name)
    {
        byte* pwd = stackalloc byte[64];
        for (nuint size = 1024; size <= 1 << 20; size *= 4)
        {
            var buf = new byte[size];
            fixed (byte* b = buf)
            {
                byte* result = null;
                int rc = name is null ? GetPwUidR(uid, pwd, b, size, &result) : GetPwNamR(name, pwd, b, size, &result);
                if (rc == Posix.ERANGE) continue;
                if (rc != 0 || result == null) return null;
                // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; char *pw_gecos; char *pw_dir; char *pw_shell; }
                return new PasswdEntry(
                    Marshal.PtrToStringUTF8(*(nint*)pwd) ?? "",
                    *(uint*)(pwd + 16),
                    *(uint*)(pwd + 20),
                    Marshal.PtrToStringUTF8(*(nint*)(pwd + 24)) ?? "",
                    Marshal.PtrToStringUTF8(*(nint*)(pwd + 32)) ?? "",
                    Marshal.PtrToStringUTF8(*(nint*)(pwd + 40)) ?? "");
            }
        }
        return null;
    }

    static unsafe (string Name, uint Gid)? LookupGroup(uint gid, string? name)
    {
        byte* grp = stackalloc byte[64];
        for (nuint size = 1024; size <= 1 << 22; size *= 4)
        {
            var buf = new byte[size];
            fixed (byte* b = buf)
            {
                byte* result = null;
                int rc = name is null ? GetGrGidR(gid, grp, b, size, &result) : GetGrNamR(name, grp, b, size, &result);
                if (rc == Posix.ERANGE) continue;
                if (rc != 0 || result == null) return null;
                // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }
                return (Marshal.PtrToStringUTF8(*(nint*)grp) ?? "", *(uint*)(grp + 16));
            }
        }
        return null;
    }
}
