using System.Runtime.InteropServices;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.User;

/// <summary>
/// Password hashing with the system's own crypt(3) (libxcrypt), so the hash is what passwd(1) would write:
/// the scheme of ENCRYPT_METHOD in login.defs (or scheme=), a fresh salt from the kernel. The clear text
/// lives only in this process's memory and the buffers are cleared after use.
/// </summary>
public static unsafe partial class PasswordHash
{
    const string Lib = "libcrypt.so.1";
    const int DataSize = 32768; // sizeof(struct crypt_data) in libxcrypt

    [LibraryImport(Lib, EntryPoint = "crypt_gensalt_rn")]
    private static partial byte* GenSalt(byte* prefix, nuint count, byte* rbytes, int nrbytes, byte* output, int outputSize);

    [LibraryImport(Lib, EntryPoint = "crypt_rn")]
    private static partial byte* CryptRn(byte* phrase, byte* setting, byte* data, int size);

    /// <summary>The crypt prefix of a login.defs ENCRYPT_METHOD (or a scheme= name).</summary>
    public static string Prefix(string method) => method.ToUpperInvariant() switch
    {
        "YESCRYPT" => "$y$",
        "SHA512" => "$6$",
        "SHA256" => "$5$",
        "BCRYPT" => "$2b$",
        "MD5" => "$1$",
        _ => throw ReshError.Unsupported($"Password scheme `{method}` is not supported.", "Use yescrypt, sha512, sha256 or bcrypt.").ToException(),
    };

    public static string Hash(ReadOnlySpan<byte> password, string method, ulong cost = 0)
    {
        var prefix = Encoding.ASCII.GetBytes(Prefix(method) + "\0");
        var salt = new byte[256];
        string setting;
        try
        {
            fixed (byte* p = prefix)
            fixed (byte* s = salt)
            {
                if (GenSalt(p, (nuint)cost, null, 0, s, salt.Length) == null)
                    throw ReshError.Unsupported($"This system's crypt(3) cannot make {method} hashes.", "Choose another scheme=.").ToException();
                setting = Marshal.PtrToStringUTF8((nint)s)!;
            }
        }
        catch (DllNotFoundException)
        {
            throw ReshError.Unavailable("libcrypt.so.1 (libxcrypt) is not installed.", "Install libcrypt1, or pass a pre-made hash with hash=.").ToException();
        }
        return Crypt(password, setting) ?? throw ReshError.Failed("crypt(3) could not hash the password.", null).ToException();
    }

    /// <summary>Whether a hash was made with a scheme (its $id$ prefix; bcrypt's $2a$/$2b$/$2y$ are one scheme).</summary>
    public static bool IsScheme(string hash, string method)
    {
        var h = hash.TrimStart('!');
        var prefix = Prefix(method);
        return prefix == "$2b$" ? h.StartsWith("$2", StringComparison.Ordinal) && h.Length > 3 && h[3] == '$' : h.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>True when <paramref name="password"/> hashes to <paramref name="hash"/> (its own salt and scheme).</summary>
    public static bool Verify(ReadOnlySpan<byte> password, string hash)
    {
        var h = hash.TrimStart('!');
        if (h.Length == 0 || h[0] is '*') return false;
        try { return Crypt(password, h) is { } r && r == h; }
        catch (DllNotFoundException) { return false; }
    }

    static string? Crypt(ReadOnlySpan<byte> password, string setting)
    {
        var phrase = new byte[password.Length + 1];
        var data = new byte[DataSize];
        try
        {
            password.CopyTo(phrase);
            var set = Encoding.ASCII.GetBytes(setting + "\0");
            fixed (byte* ph = phrase)
            fixed (byte* st = set)
            fixed (byte* d = data)
            {
                var r = CryptRn(ph, st, d, DataSize);
                if (r == null) return null;
                var s = Marshal.PtrToStringUTF8((nint)r);
                return s is null || s.StartsWith('*') ? null : s;
            }
        }
        finally
        {
            CryptographicClear(phrase);
            CryptographicClear(data);
        }
    }

    static void CryptographicClear(byte[] b) => System.Security.Cryptography.CryptographicOperations.ZeroMemory(b);

    /// <summary>Whether a string looks like a crypt hash (what chpasswd -e expects), so a clear text is never stored by mistake.</summary>
    public static bool LooksLikeHash(string s) =>
        (s.StartsWith('$') && s.Count(c => c == '$') >= 3 && s.All(c => c > ' ' && c != ':' && c < 127))
        || (s.Length == 13 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '/'));
}
