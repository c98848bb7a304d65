using Resh.Core.Errors;
using Resh.Handles.Storage;
using SharpCompress.Archives.SevenZip;
using SharpCompress.Readers;

namespace Resh.Handles.Archive.Formats;

/// <summary>7z (read only) through SharpCompress, entries in archive order so solid blocks decode once.</summary>
public sealed class SevenZipReader : ArchiveReader
{
    readonly CountingStream _raw;
    readonly SevenZipArchive _archive;
    readonly IReader _reader;

    public SevenZipReader(string path, string? password, Action<long>? progress)
    {
        _raw = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), progress);
        try
        {
            _archive = (SevenZipArchive)SevenZipArchive.OpenArchive(_raw, new ReaderOptions { Password = password, LeaveStreamOpen = true });
            if (_archive.IsEncrypted && password is null)
                throw ReshError.Usage($"{path} is encrypted and no password was given.", "Pass password=....").ToException();
            DeclaredTotalSize = _archive.TotalUncompressedSize;
            _reader = _archive.ExtractAllEntries();
        }
        catch (Exception ex) when (ex is not ReshException)
        {
            _raw.Dispose();
            throw ReshError.Failed($"Cannot read the 7z archive {path}: {ExceptionTranslation.OneLine(ex.Message)}", "Check the file and the password.").ToException();
        }
    }

    public override ArchiveFormat Format { get; } = new(Container.SevenZip, Codec.None);
    public override long ConsumedBytes => _raw.BytesRead;
    public override long? DeclaredTotalSize { get; }

    public override ArchiveItem? Next()
    {
        if (!_reader.MoveToNextEntry()) return null;
        var e = _reader.Entry;
        // 7-Zip keeps a Unix mode in the high 16 bits of the attributes when bit 0x8000 is set.
        uint attrib = (uint)(e.Attrib ?? 0);
        uint unixMode = (attrib & 0x8000) != 0 ? attrib >> 16 : 0;
        var type = unixMode & 0xF000;
        var kind = e.IsDirectory || type == 0x4000 ? ItemKind.Directory : type == 0xA000 ? ItemKind.Symlink : ItemKind.File;
        uint perms = unixMode != 0 ? unixMode & 0xFFF : kind == ItemKind.Directory ? 0x1EDu : 0x1A4u;
        string? link = null;
        if (kind == ItemKind.Symlink)
        {
            using var s = _reader.OpenEntryStream();
            link = ZipFormatReader.ReadLinkTarget(s);
        }
        var mtime = e.LastModifiedTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, t.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : t.Kind)) : DateTimeOffset.UnixEpoch;
        return new ArchiveItem(e.Key?.TrimEnd('/') ?? "", kind, kind == ItemKind.File ? e.Size : 0, perms, mtime, LinkTarget: link,
            CompressedSize: e.CompressedSize, Encrypted: e.IsEncrypted);
    }

    public override Stream OpenData() => _reader.OpenEntryStream();

    public override void Dispose()
    {
        _reader?.Dispose();
        _archive?.Dispose();
        _raw.Dispose();
    }
}
