using System.IO.Compression;
using System.Text;
using Resh.Core.Errors;

namespace Resh.Handles.Archive.Formats;

/// <summary>Unencrypted zip through the BCL (zlib-ng inflate; CRC-32 checked at the end of each entry).</summary>
public sealed class ZipFormatReader : ArchiveReader
{
    readonly ZipArchive _zip;
    readonly IEnumerator<ZipArchiveEntry> _entries;
    readonly Action<long>? _progress;
    ZipArchiveEntry? _current;
    long _consumed;

    public ZipFormatReader(string path, Action<long>? progress)
    {
        _progress = progress;
        try
        {
            _zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException ex)
        {
            throw ReshError.Failed($"{path} is not a valid zip archive: {ExceptionTranslation.OneLine(ex.Message)}", "Check that the file is complete.").ToException();
        }
        _entries = _zip.Entries.GetEnumerator();
        long total = 0;
        foreach (var e in _zip.Entries) total += e.Length;
        DeclaredTotalSize = total;
        DeclaredEntryCount = _zip.Entries.Count;
    }

    public override ArchiveFormat Format { get; } = new(Container.Zip, Codec.None);
    public override long ConsumedBytes => _consumed;
    public override long? DeclaredTotalSize { get; }
    public override int? DeclaredEntryCount { get; }

    public override ArchiveItem? Next()
    {
        if (_current is not null)
        {
            _consumed += _current.CompressedLength;
            _progress?.Invoke(_current.CompressedLength);
        }
        if (!_entries.MoveNext()) { _current = null; return null; }
        _current = _entries.Current;
        return Describe(_current.FullName, (uint)_current.ExternalAttributes, _current.Length, _current.CompressedLength, _current.LastWriteTime, false,
            () => { using var s = _current.Open(); return ReadLinkTarget(s); });
    }

    public override Stream OpenData() => _current!.Open();

    public override void Dispose() => _zip.Dispose();

    /// <summary>Zip stores the Unix mode in the high 16 bits of the external attributes when made on Unix; a symlink's data is its target.</summary>
    internal static ArchiveItem Describe(string name, uint external, long size, long compressed, DateTimeOffset mtime, bool encrypted, Func<string> linkTarget)
    {
        var unixMode = external >> 16;
        var isDir = name.EndsWith('/');
        var type = unixMode & 0xF000;
        ItemKind kind = isDir || type == 0x4000 ? ItemKind.Directory : type == 0xA000 ? ItemKind.Symlink : ItemKind.File;
        uint perms = unixMode & 0xFFF;
        if (unixMode == 0) perms = kind == ItemKind.Directory ? 0x1EDu : 0x1A4u; // 0755 / 0644 for archives made elsewhere
        var clean = isDir ? name.TrimEnd('/') : name;
        return new ArchiveItem(clean, kind, kind == ItemKind.File ? size : 0, perms, mtime,
            LinkTarget: kind == ItemKind.Symlink ? linkTarget() : null, CompressedSize: compressed, Encrypted: encrypted);
    }

    internal static string ReadLinkTarget(Stream s)
    {
        var buf = new byte[4096];
        var n = s.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
        return Encoding.UTF8.GetString(buf, 0, n);
    }
}
