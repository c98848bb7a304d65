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
            foreach (var d in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories))
            {
                try { System.IO.File.SetUnixFileMode(d, (UnixFileMode)0x1ff); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
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
