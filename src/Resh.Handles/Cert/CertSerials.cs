using System.Numerics;
using System.Security.Cryptography;

namespace Resh.Handles.Cert;

/// <summary>Certificate serial numbers: random and positive (RFC 5280: at most 20 octets), then counted up in the .srl file.</summary>
internal static class CertSerials
{
    public static byte[] Random()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40); // positive, no leading zero
        return serial;
    }

    /// <summary>The serial after <paramref name="serial"/> (big-endian bytes), upper-case hex.</summary>
    public static string Next(byte[] serial)
    {
        var n = new BigInteger(serial, isUnsigned: true, isBigEndian: true) + 1;
        return Convert.ToHexString(n.ToByteArray(isUnsigned: true, isBigEndian: true));
    }
}
