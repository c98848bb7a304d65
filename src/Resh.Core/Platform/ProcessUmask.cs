namespace Resh.Core.Platform;

/// <summary>The process umask, the one place it is read.</summary>
public static class ProcessUmask
{
    /// <summary>Read from /proc/self/status (umask(2) would have to change it to read it, racing other threads); 022 when unknown.</summary>
    public static uint Read()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                    return Convert.ToUInt32(line[6..].Trim(), 8);
        }
        catch (IOException) { }
        catch (FormatException) { }
        return 0x12;
    }
}
