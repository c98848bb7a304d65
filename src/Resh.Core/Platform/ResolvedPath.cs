namespace Resh.Core.Platform;

/// <summary>
/// A path resolved for a change: the directory that holds the final name, open as a descriptor, and
/// that name. Every later call is relative to <see cref="DirFd"/> (openat, renameat, unlinkat), so no
/// component can be swapped for a symlink between the check and the change.
/// </summary>
public sealed class ResolvedPath : IDisposable
{
    internal ResolvedPath(int dirFd, string dir, string name, bool viaSymlink)
    {
        DirFd = dirFd;
        Directory = dir;
        Name = name;
        ViaSymlink = viaSymlink;
    }

    /// <summary>O_PATH descriptor of the directory holding <see cref="Name"/>.</summary>
    public int DirFd { get; private set; }
    /// <summary>That directory's path as resolved (for messages and results).</summary>
    public string Directory { get; }
    /// <summary>The final component; "." when the path names a directory itself (/, or a path ending in . or ..).</summary>
    public string Name { get; }
    /// <summary>The file the change lands on, every symlink followed.</summary>
    public string FullPath => Name == "." ? Directory : Directory == "/" ? "/" + Name : Directory + "/" + Name;
    /// <summary>True when a symlink was followed to get here.</summary>
    public bool ViaSymlink { get; }

    /// <summary>lstat of the final name now (null when it does not exist).</summary>
    public FileStatus? Stat(out int errno) => Posix.StatAt(DirFd, Name, follow: false, out errno);

    public void Dispose()
    {
        Posix.Close(DirFd);
        DirFd = -1;
    }
}
