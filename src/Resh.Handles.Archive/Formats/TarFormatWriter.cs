using System.Formats.Tar;

namespace Resh.Handles.Archive.Formats;

/// <summary>GNU-format tar (what GNU tar writes by default: long names, any size) through the BCL's TarWriter.</summary>
public sealed class TarFormatWriter : ArchiveWriter
{
    readonly Stream _compressed;
    readonly TarWriter _writer;

    public TarFormatWriter(Stream file, Codec codec, int? level, CancellationToken ct)
    {
        _compressed = Codecs.OpenWrite(file, codec, level, ct);
        _writer = new TarWriter(_compressed, TarEntryFormat.Gnu, leaveOpen: true);
    }

    public override void Add(ArchiveItem item, Stream? data)
    {
        var type = item.Kind switch
        {
            ItemKind.Directory => TarEntryType.Directory,
            ItemKind.Symlink => TarEntryType.SymbolicLink,
            ItemKind.Hardlink => TarEntryType.HardLink,
            ItemKind.CharDevice => TarEntryType.CharacterDevice,
            ItemKind.BlockDevice => TarEntryType.BlockDevice,
            ItemKind.Fifo => TarEntryType.Fifo,
            _ => TarEntryType.RegularFile,
        };
        var entry = new GnuTarEntry(type, item.Kind == ItemKind.Directory ? item.Name + "/" : item.Name)
        {
            Mode = (UnixFileMode)(item.Mode & 0xFFF),
            ModificationTime = item.Mtime,
            // atime/ctime would make two archives of the same tree differ; store the mtime there too.
            AccessTime = item.Mtime,
            ChangeTime = item.Mtime,
            Uid = item.Uid,
            Gid = item.Gid,
            UserName = item.UserName ?? "",
            GroupName = item.GroupName ?? "",
        };
        if (item.LinkTarget is not null) entry.LinkName = item.LinkTarget;
        if (item.Kind is ItemKind.CharDevice or ItemKind.BlockDevice)
        {
            entry.DeviceMajor = (int)item.DevMajor;
            entry.DeviceMinor = (int)item.DevMinor;
        }
        if (item.Kind == ItemKind.File && data is not null) entry.DataStream = data;
        _writer.WriteEntry(entry);
    }

    public override bool Supports(ItemKind kind) => kind != ItemKind.Other;

    public override void Finish()
    {
        _writer.Dispose();
        _compressed.Dispose();
    }

    public override void Dispose()
    {
        _writer.Dispose();
        _compressed.Dispose();
    }
}
