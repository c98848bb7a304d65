using System.Runtime.InteropServices;

namespace Resh.Handles.Sys;

/// <summary>realpath(3): the absolute path with every symlink resolved, as df resolves its arguments.</summary>
public static partial class RealPath
{
    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint p);

    public static string? Resolve(string path, out int errno)
    {
        var p = RealPathNative(path, 0);
        if (p == 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { Free(p); }
    }
}
