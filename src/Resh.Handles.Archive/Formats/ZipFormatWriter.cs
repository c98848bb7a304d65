using System.IO.Compression;
using System.Text;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// Zip (deflate) through the BCL: Unix modes and symlinks in the external attributes as Info-ZIP
/// does; times have zip's 2-second resolution; hard links are stored as copies.
/// </summary>
public sealed class ZipFormatWriter : ArchiveWriter
{
    readonly ZipArchive _zip;
    readonly CompressionLevel _level;

    public ZipFormatWriter(Stream file, int? level)
    {
        _zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: false, entryNameEncoding: Encoding.UTF8);
        _level = level switch
        {
            null => CompressionLevel.Optimal,
            0 => CompressionLevel.NoCompression,
            <= 3 => CompressionLevel.Fastest,
            <= 8 => CompressionLevel.Optimal,
            _ => CompressionLevel.SmallestSize,
        };
    }

    public static DateTimeOffset ClampDosTime(DateTimeOffset t)
    {
        var min = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var max = new DateTimeOffset(2107, 12, 31, 0, 0, 0, TimeSpan.Zero);
        return t < min ? min : t > max ? max : t;
    }

    public override bool Supports(ItemKind kind) => kind is ItemKind.File or ItemKind.Directory or ItemKind.Symlink or ItemKind.Hardlink;

    public override void Add(ArchiveItem item, Stream? data)
    {
        uint type = item.Kind switch { ItemKind.Directory => 0x4000, ItemKind.Symlink => 0xA000, _ => 0x8000 };
        var name = item.Kind == ItemKind.Directory ? item.Name + "/" : item.Name;
        var entry = _zip.CreateEntry(name, item.Kind == ItemKind.File || item.Kind == ItemKind.Hardlink ? _level : CompressionLevel.NoCompression);
        entry.ExternalAttributes = (int)(((type | (item.Mode & 0xFFF)) << 16) | (item.Kind == ItemKind.Directory ? 0x10u : 0u));
        entry.LastWriteTime = ClampDosTime(item.Mtime);
        if (item.Kind == ItemKind.Directory) return;
        using var s = entry.Open();
        if (item.Kind == ItemKind.Symlink) s.Write(Encoding.UTF8.GetBytes(item.LinkTarget ?? ""));
        else data?.CopyTo(s, 1 << 20);
    }

    public override void Finish() => _zip.Dispose();
    public override void Dispose() => _zip.Dispose();
}
