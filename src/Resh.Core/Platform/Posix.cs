using System.Runtime.InteropServices;
using System.Text;

namespace Resh.Core.Platform;

/// <summary>POSIX calls .NET does not expose: ownership, extended attributes, user and group lookup.</summary>
public static partial class Posix
{
    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int ChownNative(string path, int uid, int gid);

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int LChownNative(string path, int uid, int gid);

    /// <summary>Changes owner and/or group (-1 keeps one); returns errno or 0.</summary>
    public static int Chown(string path, int uid, int gid, bool follow)
    {
        var rc = follow ? ChownNative(path, uid, gid) : LChownNative(path, uid, gid);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Changes owner and/or group with unsigned ids (uint.MaxValue keeps one); returns errno or 0.</summary>
    public static int Chown(string path, uint uid, uint gid, bool follow) => Chown(path, unchecked((int)uid), unchecked((int)gid), follow);

    // ---- extended attributes ------------------------------------------------------------

    [LibraryImport("libc", EntryPoint = "lgetxattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial nint LGetXattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "getxattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial nint GetXattr(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "lsetxattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial int LSetXattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "setxattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial int SetXattr(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "llistxattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial nint LListXattr(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "listxattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static unsafe partial nint ListXattr(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "lremovexattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int LRemoveXattr(string path, string name);

    [LibraryImport("libc", EntryPoint = "removexattr", StringMarshalling = StringMarshalling.Custom, StringMarshallingCustomType = typeof(PathMarshaller), SetLastError = true)]
    private static partial int RemoveXattr(string path, string name);

    public const int ENODATA = 61, ERANGE = 34, ENOTSUP = 95;

    public static unsafe byte[]? GetXattr(string path, string name, bool follow, out int errno)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var size = follow ? GetXattr(path, name, null, 0) : LGetXattr(path, name, null, 0);
            if (size < 0) { errno = Marshal.GetLastPInvokeError(); return null; }
            var buf = new byte[size];
            fixed (byte* p = buf)
            {
                var n = follow ? GetXattr(path, name, p, (nuint)buf.Length) : LGetXattr(path, name, p, (nuint)buf.Length);
                if (n >= 0) { errno = 0; return n == buf.Length ? buf : buf[..(int)n]; }
                errno = Marshal.GetLastPInvokeError();
                if (errno != ERANGE) return null; // grew between the two calls: try again
            }
        }
        errno = ERANGE;
        return null;
    }

    public static unsafe int SetXattr(string path, string name, ReadOnlySpan<byte> value, bool follow)
    {
        fixed (byte* p = value)
        {
            var rc = follow ? SetXattr(path, name, p, (nuint)value.Length, 0) : LSetXattr(path, name, p, (nuint)value.Length, 0);
            return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    public static int RemoveXattr(string path, string name, bool follow)
    {
        var rc = follow ? RemoveXattr(path, name) : LRemoveXattr(path, name);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public static unsafe IReadOnlyList<string>? ListXattr(string path, bool follow, out int errno)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var size = follow ? ListXattr(path, null, 0) : LListXattr(path, null, 0);
            if (size < 0) { errno = Marshal.GetLastPInvokeError(); return null; }
            if (size == 0) { errno = 0; return []; }
            var buf = new byte[size];
            fixed (byte* p = buf)
            {
                var n = follow ? ListXattr(path, p, (nuint)buf.Length) : LListXattr(path, p, (nuint)buf.Length);
                if (n >= 0)
                {
                    errno = 0;
                    return Encoding.UTF8.GetString(buf, 0, (int)n).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                }
                errno = Marshal.GetLastPInvokeError();
                if (errno != ERANGE) return null;
            }
        }
        errno = ERANGE;
        return null;
    }

    public static string StrError(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
