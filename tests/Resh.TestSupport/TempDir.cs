namespace Resh.TestSupport;

/// <summary>A fresh directory for one test, removed afterwards even when the test fails.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string? name = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"resh-test-{name ?? "t"}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Writes a file (creating parents) and returns its absolute path.</summary>
    public string File(string relative, string content)
    {
        var p = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        System.IO.File.WriteAllText(p, content);
        return p;
    }

    static void MakeRemovable(string dir)
    {
        try { System.IO.File.SetUnixFileMode(dir, (UnixFileMode)0x1c0); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        IEnumerable<string> children;
        try { children = Directory.EnumerateDirectories(dir, "*", new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = FileAttributes.ReparsePoint }).ToList(); }
        catch (IOException) { return; }
        catch (UnauthorizedAccessException) { return; }
        foreach (var child in children)
        {
            FileSystemInfo info = new DirectoryInfo(child);
            if (info.LinkTarget is not null || info.Attributes.HasFlag(FileAttributes.ReparsePoint)) continue;
            MakeRemovable(child);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!Directory.Exists(Path)) return;
            // Make everything removable first (tests chmod things to 000). Only real directories: the
            // runtime's recursive enumeration returns symlinks to directories and descends into them, and
            // chmod follows links, so a kept link such as `ssh -> /etc/sv/ssh` in an extracted tree would
            // make that system directory (and everything below it) 0777. Never follow a link here.
            MakeRemovable(Path);
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        // Names that are not UTF-8 cannot be named through the runtime's file APIs: rm can.
        if (Directory.Exists(Path))
        {
            using var rm = System.Diagnostics.Process.Start("rm", ["-rf", "--", Path]);
            rm.WaitForExit(60_000);
        }
    }
}
