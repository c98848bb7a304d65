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

    public void Dispose()
    {
        try
        {
            if (!Directory.Exists(Path)) return;
            // Make everything removable first (tests chmod things to 000).
            MakeRemovable(Path);
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        // System.IO cannot name entries whose names are not UTF-8 (tests make them on purpose): rm can.
        // rm never follows symbolic links, and --one-file-system keeps it off anything mounted inside.
        if (Directory.Exists(Path))
        {
            try
            {
                using var rm = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("rm", ["-rf", "--one-file-system", "--", Path]) { UseShellExecute = false });
                rm?.WaitForExit(60_000);
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
    }

    /// <summary>
    /// Opens up every directory of the tree, itself first so a 000 directory can be listed, and never
    /// through a symbolic link: .NET's recursive enumeration follows links to directories, and a test's
    /// link to /etc once had every directory under /etc made 0777 here.
    /// </summary>
    static void MakeRemovable(string dir)
    {
        if (new DirectoryInfo(dir).LinkTarget is not null) return;
        try { System.IO.File.SetUnixFileMode(dir, (UnixFileMode)0x1ff); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        IEnumerable<DirectoryInfo> children;
        try { children = new DirectoryInfo(dir).EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0 }).ToList(); }
        catch (IOException) { return; }
        catch (UnauthorizedAccessException) { return; }
        foreach (var child in children)
        {
            if (child.LinkTarget is not null) continue;
            MakeRemovable(child.FullName);
        }
    }
}
