using System.Buffers.Binary;

namespace Resh.Core.Platform;

/// <summary>
/// Sections appended to the native binary by scripts/build-native.sh (the MCP tool table, the agent front): each is
/// its bytes, then their length (int64, little endian) and an 8-byte magic starting with RESH. The last section ends
/// the file; the one before it ends where the last one starts, and so on. The one reader of that layout.
/// </summary>
public static class AppendedData
{
    /// <summary>The bytes of the section named <paramref name="magic"/> at the end of <paramref name="path"/>, or null (none, damaged, or over <paramref name="max"/>).</summary>
    public static byte[]? Read(string path, ReadOnlySpan<byte> magic, long max)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            Span<byte> trailer = stackalloc byte[16];
            var end = file.Length;
            for (var sections = 0; end >= 16 && sections < 16; sections++)
            {
                file.Seek(end - 16, SeekOrigin.Begin);
                file.ReadExactly(trailer);
                if (!trailer[8..12].SequenceEqual("RESH"u8)) return null;
                var length = BinaryPrimitives.ReadInt64LittleEndian(trailer);
                if (length <= 0 || length > end - 16) return null;
                if (trailer[8..].SequenceEqual(magic))
                {
                    if (length > max) return null;
                    var data = new byte[length];
                    file.Seek(end - 16 - length, SeekOrigin.Begin);
                    file.ReadExactly(data);
                    return data;
                }
                end -= 16 + length;
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { return null; }
    }
}
