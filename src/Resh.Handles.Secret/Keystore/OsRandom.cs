using System.Runtime.InteropServices;

namespace Resh.Handles.Secret.Keystore;

/// <summary>
/// The kernel's CSPRNG through getrandom(2). RandomNumberGenerator would do the same job through OpenSSL,
/// which .NET loads and initialises on first use: a few milliseconds on every secret write.
/// </summary>
internal static partial class OsRandom
{
    [LibraryImport("libc", EntryPoint = "getrandom", SetLastError = true)]
    private static unsafe partial nint GetRandom(byte* buffer, nuint length, uint flags);

    public static unsafe void Fill(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                var n = GetRandom(p + done, (nuint)(buffer.Length - done), 0);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == 4) continue; // EINTR
                    throw new InvalidOperationException($"getrandom failed (errno {Marshal.GetLastPInvokeError()}).");
                }
                done += (int)n;
            }
        }
    }

    public static byte[] GetBytes(int n)
    {
        var bytes = new byte[n];
        Fill(bytes);
        return bytes;
    }

    /// <summary>Uniformly random characters of <paramref name="alphabet"/> (rejection sampling: no modulo bias).</summary>
    public static string GetString(string alphabet, int length)
    {
        var chars = new char[length];
        var limit = 256 - 256 % alphabet.Length; // bytes at or above this would favour the first characters
        Span<byte> pool = stackalloc byte[64];
        int filled = 0, used = 0;
        for (int i = 0; i < length;)
        {
            if (used == filled) { Fill(pool); filled = pool.Length; used = 0; }
            var b = pool[used++];
            if (b < limit) chars[i++] = alphabet[b % alphabet.Length];
        }
        pool.Clear();
        return new string(chars);
    }
}
