namespace Resh.Handles.Archive.Formats;

public enum ItemKind { File, Directory, Symlink, Hardlink, CharDevice, BlockDevice, Fifo, Other }

/// <summary>The data regions of a sparse file: everything else is a hole of zeros up to <see cref="RealSize"/>.</summary>
public sealed record SparseMap(long RealSize, IReadOnlyList<(long Offset, long Length)> Regions)
{
    /// <summary>Bytes of data actually stored (the sum of the regions).</summary>
    public long StoredSize
    {
        get
        {
            long n = 0;
            foreach (var r in Regions) n += r.Length;
            return n;
        }
    }
}

/// <summary>
/// One archive entry's header: what it is, as stored (the name is not yet checked for safety). Names and
/// link targets follow the <see cref="Resh.Core.Text.PathBytes"/> convention: bytes that are not UTF-8 are
/// kept as U+DC80–U+DCFF, so they reach the file system unchanged.
/// </summary>
public sealed record ArchiveItem(
    string Name,
    ItemKind Kind,
    long Size,
    uint Mode,
    DateTimeOffset Mtime,
    long Uid = 0,
    long Gid = 0,
    string? UserName = null,
    string? GroupName = null,
    string? LinkTarget = null,
    uint DevMajor = 0,
    uint DevMinor = 0,
    long? CompressedSize = null,
    bool Encrypted = false)
{
    /// <summary>Extended attributes (tar SCHILY.xattr.*), without the ACL attributes.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>>? Xattrs { get; init; }
    /// <summary>POSIX ACLs in their text form (tar SCHILY.acl.access / SCHILY.acl.default).</summary>
    public string? AclAccess { get; init; }
    public string? AclDefault { get; init; }
    /// <summary>Set for a sparse file: the data stream holds only these regions, in order.</summary>
    public SparseMap? Sparse { get; init; }

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
/// reads the current entry's bytes (valid until the next call to Next). For a sparse entry the data is
/// the stored regions back to back (<see cref="ArchiveItem.Sparse"/> says where they go);
/// <see cref="OpenExpanded"/> gives the whole file with its holes.
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
    /// <summary>Things the reader skipped or repaired (unknown pax records, trailing garbage), for the envelope's warnings.</summary>
    public List<string> Warnings { get; } = [];
    /// <summary>The entry being read, for error messages.</summary>
    public ArchiveItem? Current { get; protected set; }
    public abstract void Dispose();

    /// <summary>The current entry's content as the file it stands for (holes of a sparse file as zeros).</summary>
    public Stream OpenExpanded()
    {
        var data = OpenData();
        return Current?.Sparse is { } map ? new SparseExpandStream(data, map) : data;
    }

    public IEnumerable<ArchiveItem> Items()
    {
        while (Next() is { } item) yield return item;
    }
}
