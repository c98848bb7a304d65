using Microsoft.Win32.SafeHandles;

namespace Resh.Handles.Files;

/// <summary>
/// For readers that follow a growing file (file.tail and log.follow): the bytes just before the read position. If they
/// change, the file was truncated and refilled between two polls, even when it is now longer than the position, and
/// what lies past the position is the new file's middle, not an append.
/// </summary>
public static class RefillCheck
{
    const int Length = 64;

    public static byte[] Take(SafeFileHandle handle, long position)
    {
        var len = (int)Math.Min(Length, position);
        var sig = new byte[len];
        var n = len == 0 ? 0 : RandomAccess.Read(handle, sig, position - len);
        return n == len ? sig : sig[..n];
    }

    public static bool Holds(SafeFileHandle handle, long position, byte[] signature)
    {
        if (signature.Length == 0) return true;
        var now = new byte[signature.Length];
        var n = RandomAccess.Read(handle, now, position - signature.Length);
        return n == signature.Length && now.AsSpan().SequenceEqual(signature);
    }
}
