using System.Runtime.InteropServices;

namespace Resh.Handles.User;

/// <summary>
/// Users and groups through the C library's name service switch (getpwent, getgrent, getpwnam...), as
/// `getent` sees them. The non-reentrant calls return pointers into libc's static storage, so every
/// record is copied before the next call; resh makes these calls from one thread.
/// </summary>
internal static unsafe partial class Nss
{
    [LibraryImport("libc", EntryPoint = "setpwent")] private static partial void SetPwEnt();
    [LibraryImport("libc", EntryPoint = "getpwent")] private static partial byte* GetPwEnt();
    [LibraryImport("libc", EntryPoint = "endpwent")] private static partial void EndPwEnt();
    [LibraryImport("libc", EntryPoint = "setgrent")] private static partial void SetGrEnt();
    [LibraryImport("libc", EntryPoint = "getgrent")] private static partial byte* GetGrEnt();
    [LibraryImport("libc", EntryPoint = "endgrent")] private static partial void EndGrEnt();
    [LibraryImport("libc", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)] private static partial byte* GetPwNam(string name);
    [LibraryImport("libc", EntryPoint = "getpwuid")] private static partial byte* GetPwUid(uint uid);
    [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)] private static partial byte* GetGrNam(string name);
    [LibraryImport("libc", EntryPoint = "getgrgid")] private static partial byte* GetGrGid(uint gid);

    static readonly object Gate = new();

    public static List<PasswdRecord> AllUsers()
    {
        var list = new List<PasswdRecord>();
        lock (Gate)
        {
            SetPwEnt();
            try
            {
                for (byte* p; (p = GetPwEnt()) != null;) list.Add(Passwd(p));
            }
            finally { EndPwEnt(); }
        }
        return list;
    }

    /// <summary>
    /// Every user straight into <paramref name="each"/>, without keeping a list of records (user://.list of a large
    /// directory allocates a third less, which keeps a listing of thousands of accounts clear of a garbage collection).
    /// Login shells repeat, so equal ones share one string.
    /// </summary>
    public static void EachUser(Action<string, long, long, string, string, string> each)
    {
        var shells = new List<(byte[] Utf8, string Text)>();
        lock (Gate)
        {
            SetPwEnt();
            try
            {
                for (byte* p; (p = GetPwEnt()) != null;)
                    each(Str(*(nint*)p), *(uint*)(p + 16), *(uint*)(p + 20), Str(*(nint*)(p + 24)), Str(*(nint*)(p + 32)), Shared(*(nint*)(p + 40), shells));
            }
            finally { EndPwEnt(); }
        }
    }

    /// <summary>Group names by GID (first name wins, as getgrgid), without member lists.</summary>
    public static Dictionary<long, string> GroupNames()
    {
        var map = new Dictionary<long, string>();
        lock (Gate)
        {
            SetGrEnt();
            try
            {
                for (byte* g; (g = GetGrEnt()) != null;) map.TryAdd(*(uint*)(g + 16), Str(*(nint*)g));
            }
            finally { EndGrEnt(); }
        }
        return map;
    }

    static string Shared(nint p, List<(byte[] Utf8, string Text)> seen)
    {
        if (p == 0) return "";
        var bytes = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)p);
        foreach (var (utf8, text) in seen) if (bytes.SequenceEqual(utf8)) return text;
        var s = System.Text.Encoding.UTF8.GetString(bytes);
        if (seen.Count < 32) seen.Add((bytes.ToArray(), s));
        return s;
    }

    public static List<GroupRecord> AllGroups()
    {
        var list = new List<GroupRecord>();
        lock (Gate)
        {
            SetGrEnt();
            try
            {
                for (byte* g; (g = GetGrEnt()) != null;) list.Add(Group(g));
            }
            finally { EndGrEnt(); }
        }
        return list;
    }

    public static PasswdRecord? User(string name)
    {
        lock (Gate) { var p = GetPwNam(name); return p == null ? null : Passwd(p); }
    }

    public static PasswdRecord? User(long uid)
    {
        if (uid is < 0 or > uint.MaxValue) return null;
        lock (Gate) { var p = GetPwUid((uint)uid); return p == null ? null : Passwd(p); }
    }

    public static GroupRecord? Group(string name)
    {
        lock (Gate) { var g = GetGrNam(name); return g == null ? null : Group(g); }
    }

    public static GroupRecord? Group(long gid)
    {
        if (gid is < 0 or > uint.MaxValue) return null;
        lock (Gate) { var g = GetGrGid((uint)gid); return g == null ? null : Group(g); }
    }

    // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; char *pw_gecos; char *pw_dir; char *pw_shell; }
    static PasswdRecord Passwd(byte* p) => new(
        Str(*(nint*)p), *(uint*)(p + 16), *(uint*)(p + 20), Str(*(nint*)(p + 24)), Str(*(nint*)(p + 32)), Str(*(nint*)(p + 40)));

    // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }
    static GroupRecord Group(byte* g)
    {
        var members = new List<string>();
        var mem = *(nint**)(g + 24);
        if (mem != null)
            for (int i = 0; mem[i] != 0; i++) members.Add(Str(mem[i]));
        return new GroupRecord(Str(*(nint*)g), *(uint*)(g + 16), members);
    }

    static string Str(nint p) => p == 0 ? "" : Marshal.PtrToStringUTF8(p) ?? "";
}
