using Resh.Core.Errors;
using Resh.Core.Text;
using Resh.Handles.Storage;
using SharpCompress.Archives.SevenZip;
using SharpCompress.Common.SevenZip;
using SharpCompress.Readers;

namespace Resh.Handles.Archive.Formats;

/// <summary>
/// 7z (read only) through SharpCompress, entries in archive order so solid blocks decode once. Types
/// and modes come from the Unix attributes 7-Zip stores in the high 16 bits (symlinks included, whose
/// data is the target); a wrong password is <c>permission_denied</c>; anything the library throws on a
/// damaged archive becomes a sentence naming the entry.
/// </summary>
public sealed class SevenZipReader : ArchiveReader
{
    readonly CountingStream _raw;
    readonly SevenZipArchive _archive;
    readonly IReader _reader;

    public SevenZipReader(string path, string? password, Action<long>? progress)
    {
        _raw = new CountingStream(ArchivePaths.OpenRead(path), progress);
        try
        {
            _archive = (SevenZipArchive)SevenZipArchive.OpenArchive(_raw, new ReaderOptions { Password = password, LeaveStreamOpen = true });
            DeclaredTotalSize = _archive.TotalUncompressedSize;
            _reader = _archive.ExtractAllEntries();
        }
        catch (Exception ex) when (ex is not ReshException)
        {
            _raw.Dispose();
            if (password is null && ex is SharpCompress.Common.CryptographicException)
                throw ReshError.Usage($"{Resh.Core.Text.PathBytes.Display(path)} is encrypted and no password was given.", "Pass password=... (or password=@file).").ToException();
            // With encrypted headers a wrong password decrypts to garbage, which fails in many ways.
            if (password is not null) throw new WrongPasswordException("the password does not decrypt the 7z headers (or they are damaged)");
            throw Translate(ex, null);
        }
    }

    public override ArchiveFormat Format { get; } = new(Container.SevenZip, Codec.None);
    public override long ConsumedBytes => _raw.BytesRead;
    public override long? DeclaredTotalSize { get; }

    public override ArchiveItem? Next()
    {
        try
        {
            if (!_reader.MoveToNextEntry()) return Current = null;
            var e = _reader.Entry;
            // 7-Zip keeps a Unix mode in the high 16 bits of the attributes when bit 0x8000 is set.
            uint attrib = (uint)((e as SevenZipEntry)?.ExtendedAttrib ?? e.Attrib ?? 0);
            uint unixMode = (attrib & 0x8000) != 0 ? attrib >> 16 : 0;
            var type = unixMode & 0xF000;
            var kind = e.IsDirectory || type == 0x4000 || (attrib & 0x10) != 0 ? ItemKind.Directory : type switch
            {
                0xA000 => ItemKind.Symlink,
                0x2000 => ItemKind.CharDevice,
                0x6000 => ItemKind.BlockDevice,
                0x1000 => ItemKind.Fifo,
                0xC000 => ItemKind.Other,
                _ => ItemKind.File,
            };
            uint perms = unixMode != 0 ? unixMode & 0xFFF : kind == ItemKind.Directory ? 0x1EDu : (attrib & 1) != 0 ? 0x124u : 0x1A4u;
            var name = e.Key?.TrimEnd('/') ?? "";
            var mtime = e.LastModifiedTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, t.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : t.Kind)) : DateTimeOffset.UnixEpoch;
            Current = new ArchiveItem(name, kind, kind == ItemKind.File ? e.Size : 0, perms, mtime, CompressedSize: e.CompressedSize, Encrypted: e.IsEncrypted);
            if (kind == ItemKind.Symlink)
            {
                using var s = OpenData();
                var buf = new byte[4096];
                var n = s.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
                Current = Current with { LinkTarget = PathBytes.Decode(buf.AsSpan(0, n)) };
            }
            return Current;
        }
        catch (Exception ex) when (ex is not ReshException and not ArchiveCorruptException and not WrongPasswordException)
        {
            throw Translate(ex, Current?.Name, Current?.Encrypted == true);
        }
    }

    public override Stream OpenData()
    {
        try { return new GuardedStream(_reader.OpenEntryStream(), Current?.Name, Current?.Encrypted == true); }
        catch (Exception ex) when (ex is not ReshException) { throw Translate(ex, Current?.Name, Current?.Encrypted == true); }
    }

    /// <summary>Library exceptions as resh's own; for an encrypted entry, bad data after decryption means the wrong password (7-Zip says the same).</summary>
    internal static Exception Translate(Exception ex, string? entry, bool encrypted = false)
    {
        var at = entry is null ? "" : $"{PathBytes.Display(entry)}: ";
        if (ex is SharpCompress.Common.CryptographicException || (encrypted && ex is not ArchiveCorruptException and not WrongPasswordException))
            return new WrongPasswordException($"{at}the password does not decrypt the 7z data (or the data is damaged)");
        if (ex is ArchiveCorruptException or WrongPasswordException) return ex;
        return new ArchiveCorruptException($"{at}the 7z data is damaged ({ArchiveErrors.Describe(ex)})");
    }

    /// <summary>Turns whatever SharpCompress throws while decoding into the reader's own exceptions.</summary>
    sealed class GuardedStream(Stream inner, string? entry, bool encrypted) : ForwardReadStream
    {
        public override bool CanRead => true;

        public override int Read(Span<byte> buffer)
        {
            try { return inner.Read(buffer); }
            catch (Exception ex) when (ex is not ReshException and not OperationCanceledException) { throw Translate(ex, entry, encrypted); }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    public override void Dispose()
    {
        _reader?.Dispose();
        _archive?.Dispose();
        _raw.Dispose();
    }
}
