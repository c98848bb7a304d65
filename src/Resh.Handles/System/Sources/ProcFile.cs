using System.Buffers;
using System.Text;

namespace Resh.Handles.Sys;

/// <summary>
/// Reads the small text files of /proc, /sys and /etc. They report a size of 0, so they are read
/// until end of file; a file that is absent or refuses the read (a sysfs attribute of a down
/// interface answers EINVAL) gives null, because a missing fact is data, not a failure.
/// </summary>
public static class ProcFile
{
    public static string? ReadText(string path, int maxBytes = 4 << 20)
    {
        byte[]? rented = null;
        try
        {
            using var handle = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            rented = ArrayPool<byte>.Shared.Rent(4096);
            int length = 0;
            while (true)
            {
                if (length == rented.Length)
                {
                    if (length >= maxBytes) break;
                    var bigger = ArrayPool<byte>.Shared.Rent(length * 2);
                    rented.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = bigger;
                }
                int n = RandomAccess.Read(handle, rented.AsSpan(length), length);
                if (n <= 0) break;
                length += n;
            }
            return Encoding.UTF8.GetString(rented, 0, Math.Min(length, maxBytes));
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The file's content without surrounding white space; null when unreadable or empty.</summary>
    public static string? ReadTrimmed(string path)
    {
        var text = ReadText(path, 64 << 10)?.Trim();
        return string.IsNullOrEmpty(text) ? null : text;
    }

    public static long? ReadLong(string path) =>
        long.TryParse(ReadTrimmed(path), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>The raw bytes of a binary file (utmp); null when it cannot be read.</summary>
    public static byte[]? ReadBytes(string path, int maxBytes = 64 << 20)
    {
        try
        {
            using var handle = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var length = RandomAccess.GetLength(handle);
            if (length > maxBytes) length = maxBytes;
            var buffer = new byte[length];
            int read = 0;
            while (read < buffer.Length)
            {
                int n = RandomAccess.Read(handle, buffer.AsSpan(read), read);
                if (n <= 0) break;
                read += n;
            }
            return read == buffer.Length ? buffer : buffer[..read];
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Where a symlink points, as stored; null when the path is not a symlink.</summary>
    public static string? LinkTarget(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The last path component of a symlink's target (a driver or a bond master); null when not a link.</summary>
    public static string? LinkName(string path)
    {
        var target = LinkTarget(path);
        return target is null ? null : Path.GetFileName(target.TrimEnd('/'));
    }
}
