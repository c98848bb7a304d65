using Resh.Core.Platform;

namespace Resh.Handles.Storage;

/// <summary>Small whole-tree operations: remove without following symlinks, compare file contents.</summary>
public static class FileTree
{
    /// <summary>Removes a file, symlink or directory tree; symlinks are removed, never followed. Missing is fine.</summary>
    public static void Remove(string path)
    {
        var st = Posix.Stat(path, follow: false, out _);
        if (st is null) return;
        if (!st.Value.IsDirectory) { System.IO.File.Delete(path); return; }
        // Make read-only directories writable first so their entries can go.
        if ((st.Value.Permissions & 0x1C0) != 0x1C0) System.IO.File.SetUnixFileMode(path, (UnixFileMode)(st.Value.Permissions | 0x1C0));
        foreach (var child in Directory.EnumerateFileSystemEntries(path)) Remove(child);
        Directory.Delete(path);
    }

    /// <summary>Removes quietly; for cleanup paths that must not hide the original error.</summary>
    public static void TryRemove(string path)
    {
        try { Remove(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>True when both regular files hold the same bytes.</summary>
    public static bool SameContent(string a, string b)
    {
        using var fa = new FileStream(a, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        using var fb = new FileStream(b, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        if (fa.Length != fb.Length) return false;
        var ba = new byte[1 << 16];
        var bb = new byte[1 << 16];
        while (true)
        {
            var na = fa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            var nb = fb.ReadAtLeast(bb, na, throwOnEndOfStream: false);
            if (na != nb || !ba.AsSpan(0, na).SequenceEqual(bb.AsSpan(0, nb))) return false;
            if (na == 0) return true;
        }
    }

    /// <summary>A hidden sibling name for work that is renamed into place.</summary>
    public static string SiblingTemp(string fullPath, string purpose)
    {
        var name = Path.GetFileName(fullPath.TrimEnd('/'));
        if (name.Length > 100) name = name[..100];
        return Path.Combine(Path.GetDirectoryName(fullPath.TrimEnd('/'))!, $".{name}.resh-{purpose}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
    }

    public static bool IsRoot => LibC.GetEUid() == 0;
}
