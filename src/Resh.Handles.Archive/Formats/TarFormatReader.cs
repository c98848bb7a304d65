using System.Formats.Tar;
using Resh.Handles.Storage;

namespace Resh.Handles.Archive.Formats;

/// <summary>tar (any of ustar, pax, gnu, v7) through the BCL's TarReader, over a decompression stream.</summary>
public sealed class TarFormatReader : ArchiveReader
{
    readonly CountingStream _raw;
    readonly Stream _decoded;
    readonly TarReader _reader;
    TarEntry? _current;

    public TarFormatReader(string path, Codec codec, Action<long>? progress)
    {
        Format = new ArchiveFormat(Container.Tar, codec);
        _raw = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), progress);
        _decoded = Codecs.OpenRead(_raw, codec, readAhead: true);
        _reader = new TarReader(_decoded, leaveOpen: true);
    }

    public override ArchiveFormat Format { get; }
    public override long ConsumedBytes => _raw.BytesRead;

    public override ArchiveItem? Next()
    {
        _current = _reader.GetNextEntry(copyData: false);
        if (_current is null) return null;
        var e = _current;
        var kind = e.EntryType switch
        {
            TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile => ItemKind.File,
            TarEntryType.Directory => ItemKind.Directory,
            TarEntryType.SymbolicLink => ItemKind.Symlink,
            TarEntryType.HardLink => ItemKind.Hardlink,
            TarEntryType.CharacterDevice => ItemKind.CharDevice,
            TarEntryType.BlockDevice => ItemKind.BlockDevice,
            TarEntryType.Fifo => ItemKind.Fifo,
            _ => ItemKind.Other,
        };
        string? uname = null, gname = null;
        uint major = 0, minor = 0;
        if (e is PosixTarEntry p)
        {
            uname = p.UserName;
            gname = p.GroupName;
            major = (uint)p.DeviceMajor;
            minor = (uint)p.DeviceMinor;
        }
        return new ArchiveItem(e.Name, kind, kind == ItemKind.File ? e.Length : 0, (uint)e.Mode, e.ModificationTime, e.Uid, e.Gid,
            uname, gname, kind is ItemKind.Symlink or ItemKind.Hardlink ? e.LinkName : null, major, minor);
    }

    public override Stream OpenData() => _current?.DataStream ?? Stream.Null;

    public override void Dispose()
    {
        _reader.Dispose();
        _decoded.Dispose();
    }
}
