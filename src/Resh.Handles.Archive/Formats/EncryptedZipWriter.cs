using System.Text;
using SzlZip = ICSharpCode.SharpZipLib.Zip;

namespace Resh.Handles.Archive.Formats;

/// <summary>AES-256 encrypted zip (WinZip AE-2, read by 7-Zip and unzip builds with AES) through SharpZipLib. Every entry with data is encrypted.</summary>
public sealed class EncryptedZipWriter : ArchiveWriter
{
    readonly SzlZip.ZipOutputStream _zip;

    public EncryptedZipWriter(Stream file, string password, int? level)
    {
        _zip = new SzlZip.ZipOutputStream(file) { IsStreamOwner = true, Password = password };
        _zip.SetLevel(level ?? 6);
    }

    public override bool Supports(ItemKind kind) => kind is ItemKind.File or ItemKind.Directory or ItemKind.Symlink or ItemKind.Hardlink;

    public override void Add(ArchiveItem item, Stream? data)
    {
        uint type = item.Kind switch { ItemKind.Directory => 0x4000, ItemKind.Symlink => 0xA000, _ => 0x8000 };
        var entry = new SzlZip.ZipEntry(item.Kind == ItemKind.Directory ? item.Name + "/" : item.Name)
        {
            HostSystem = 3, // Unix: the external attributes carry the mode
            ExternalFileAttributes = (int)((type | (item.Mode & 0xFFF)) << 16),
            DateTime = ZipFormatWriter.ClampDosTime(item.Mtime).UtcDateTime,
            IsUnicodeText = true,
        };
        if (item.Kind != ItemKind.Directory) entry.AESKeySize = 256;
        _zip.PutNextEntry(entry);
        if (item.Kind == ItemKind.Symlink) _zip.Write(Encoding.UTF8.GetBytes(item.LinkTarget ?? ""));
        else if (item.Kind != ItemKind.Directory) data?.CopyTo(_zip, 1 << 20);
        _zip.CloseEntry();
    }

    public override void Finish() => _zip.Finish();
    public override void Dispose() => _zip.Dispose();
}
