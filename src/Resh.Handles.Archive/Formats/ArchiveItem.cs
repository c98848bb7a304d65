namespace Resh.Handles.Archive.Formats;

public enum ItemKind { File, Directory, Symlink, Hardlink, CharDevice, BlockDevice, Fifo, Other }

/// <summary>One archive entry's header: what it is, as stored (the name is not yet checked for safety).</summary>
public sealed record ArchiveItem(
    string Name,
    ItemKind Kind,
    long Size,
    uint Mode,
    DateTimeOffset Mtime,
    int Uid = 0,
    int Gid = 0,
    string? UserName = null,
    string? GroupName = null,
    string? LinkTarget = null,
    uint DevMajor = 0,
    uint DevMinor = 0,
    long? CompressedSize = null,
    bool Encrypted = false)
{
    public static string KindName(ItemKind k) => k switch
    {
        ItemKind.File => "file",
        ItemKind.Directory => "directory",
        ItemKind.Symlink => "symlink",
        ItemKind.Hardlink => "hardlink",
        ItemKind.CharDevice => "char_device",
        ItemKind.BlockDevice => "block_device",
        ItemKind.Fifo => "fifo",
        _ => "other",
    };
}

/// <summary>
/// Sequential access to an archive: <see cref="Next"/> moves to the next entry; <see cref="OpenData"/>
/// reads the current entry's bytes (valid until the next call to Next).
/// </summary>
public abstract class ArchiveReader : IDisposable
{
    public abstract ArchiveFormat Format { get; }
    public abstract ArchiveItem? Next();
    public abstract Stream OpenData();
    /// <summary>Compressed bytes consumed so far (for the expansion ratio and progress).</summary>
    public abstract long ConsumedBytes { get; }
    /// <summary>Total of the declared uncompressed sizes when the format states them up front (zip, 7z).</summary>
    public virtual long? DeclaredTotalSize => null;
    public virtual int? DeclaredEntryCount => null;
    public abstract void Dispose();

    public IEnumerable<ArchiveItem> Items()
    {
        while (Next() is { } item) yield return item;
    }
}
