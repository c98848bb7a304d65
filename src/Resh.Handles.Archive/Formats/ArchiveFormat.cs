using Resh.Core.Errors;

namespace Resh.Handles.Archive.Formats;

public enum Container { Tar, Zip, SevenZip, None }

public enum Codec { None, Gzip, Bzip2, Xz, Zstd }

/// <summary>An archive layout: a container (tar, zip, 7z, or a bare stream) and a compression codec.</summary>
public sealed record ArchiveFormat(Container Container, Codec Codec)
{
    public static readonly string[] Names = ["tar", "tar.gz", "tar.bz2", "tar.xz", "tar.zst", "zip", "7z", "gz", "bz2", "xz", "zst"];

    public string Name => (Container, Codec) switch
    {
        (Container.Zip, _) => "zip",
        (Container.SevenZip, _) => "7z",
        (Container.Tar, Codec.None) => "tar",
        (Container.Tar, var c) => "tar." + CodecName(c),
        (Container.None, var c) => CodecName(c),
        _ => "unknown",
    };

    public bool IsStream => Container == Container.None;

    public static string CodecName(Codec c) => c switch
    {
        Codec.Gzip => "gz",
        Codec.Bzip2 => "bz2",
        Codec.Xz => "xz",
        Codec.Zstd => "zst",
        _ => "none",
    };

    public static string Extension(Codec c) => "." + CodecName(c);

    public static ArchiveFormat Parse(string name) => name switch
    {
        "tar" => new(Container.Tar, Codec.None),
        "tar.gz" or "tgz" => new(Container.Tar, Codec.Gzip),
        "tar.bz2" or "tbz2" => new(Container.Tar, Codec.Bzip2),
        "tar.xz" or "txz" => new(Container.Tar, Codec.Xz),
        "tar.zst" or "tzst" or "tar.zstd" => new(Container.Tar, Codec.Zstd),
        "zip" => new(Container.Zip, Codec.None),
        "7z" => new(Container.SevenZip, Codec.None),
        "gz" or "gzip" => new(Container.None, Codec.Gzip),
        "bz2" or "bzip2" => new(Container.None, Codec.Bzip2),
        "xz" => new(Container.None, Codec.Xz),
        "zst" or "zstd" => new(Container.None, Codec.Zstd),
        _ => throw ReshError.Usage($"Unknown archive format `{name}`.", $"One of: {string.Join(", ", Names)}.").ToException(),
    };

    /// <summary>The format a file name implies (for create), or null.</summary>
    public static ArchiveFormat? FromFileName(string path)
    {
        var n = Path.GetFileName(path).ToLowerInvariant();
        (string Suffix, string Format)[] table =
        [
            (".tar.gz", "tar.gz"), (".tgz", "tar.gz"), (".tar.bz2", "tar.bz2"), (".tbz2", "tar.bz2"), (".tbz", "tar.bz2"),
            (".tar.xz", "tar.xz"), (".txz", "tar.xz"), (".tar.zst", "tar.zst"), (".tar.zstd", "tar.zst"), (".tzst", "tar.zst"),
            (".tar", "tar"), (".zip", "zip"), (".7z", "7z"), (".gz", "gz"), (".bz2", "bz2"), (".xz", "xz"), (".zst", "zst"), (".zstd", "zst"),
        ];
        foreach (var (suffix, format) in table)
            if (n.EndsWith(suffix, StringComparison.Ordinal)) return Parse(format);
        return null;
    }

    /// <summary>
    /// Detects the format from content: zip (also with data before it, as self-extracting archives have),
    /// 7z, the codec by its magic bytes, then a tar header (a valid checksum) inside the decompressed
    /// stream. A file of zeros is an empty tar only at the size tars write one (two to 128 zero blocks);
    /// an ISO image and other formats are named and refused as <c>unsupported</c>.
    /// </summary>
    public static ArchiveFormat Detect(string path)
    {
        Span<byte> head = stackalloc byte[8];
        int n;
        long fileSize;
        using (var fs = ArchivePaths.OpenRead(path))
        {
            fileSize = fs.Length;
            n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        var h = head[..n];
        if (h.StartsWith("PK\x03\x04"u8) || h.StartsWith("PK\x05\x06"u8) || h.StartsWith("PK\x07\x08"u8)) return new(Container.Zip, Codec.None);
        if (h.StartsWith((ReadOnlySpan<byte>)[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return new(Container.SevenZip, Codec.None);
        var codec = CodecOf(h);
        var block = new byte[EmptyTarLimit + 1];
        int got;
        using (var fs = ArchivePaths.OpenRead(path))
        using (var s = Codecs.OpenRead(fs, codec))
        {
            try { got = s.ReadAtLeast(block, 512, throwOnEndOfStream: false); }
            catch (Exception ex) when (ex is not ReshException && ex is not OperationCanceledException)
            {
                throw Damaged(path, codec, ex);
            }
            if (got >= 512 && Tar.TarParser.LooksLikeHeader(block)) return new(Container.Tar, codec);
            if (got == 0 || block.AsSpan(0, Math.Min(got, 512)).IndexOfAnyExcept((byte)0) < 0)
            {
                // Zeros: an empty tar (GNU tar, bsdtar and Python write 10240 zero bytes) or just zeros.
                try { if (got == 512) got += s.ReadAtLeast(block.AsSpan(got), block.Length - got, throwOnEndOfStream: false); }
                catch (Exception ex) when (ex is not ReshException && ex is not OperationCanceledException) { throw Damaged(path, codec, ex); }
                var total = codec == Codec.None ? fileSize : got;
                if (got == 0 && codec != Codec.None)
                    throw ReshError.Failed($"{path} is an empty {CodecName(codec)} stream, not an archive.", "Check how the file was made.").ToException();
                if (total % 512 == 0 && total <= EmptyTarLimit && block.AsSpan(0, got).IndexOfAnyExcept((byte)0) < 0)
                    return new(Container.Tar, codec);
            }
        }
        if (codec != Codec.None)
        {
            // A name that says tar: a damaged stream is more likely than a bare one. Decode it to the end to tell.
            if (FromFileName(path) is { Container: Container.Tar })
            {
                try
                {
                    using var fs = ArchivePaths.OpenRead(path);
                    using var s = Codecs.OpenRead(fs, codec);
                    s.CopyTo(Stream.Null, 1 << 20);
                }
                catch (Exception ex) when (ex is not ReshException && ex is not OperationCanceledException)
                {
                    throw Damaged(path, codec, ex);
                }
            }
            return new(Container.None, codec);
        }
        if (ZipLocator.HasEndRecord(path)) return new(Container.Zip, Codec.None);
        throw ReshError.Unsupported($"{path} is {Describe(path, fileSize)}, not an archive resh reads.",
            "Supported: " + string.Join(", ", Names) + ". Pass type= if you know the file is one of these.").ToException();
    }

    static ReshException Damaged(string path, Codec codec, Exception ex) =>
        ReshError.Failed($"{Resh.Core.Text.PathBytes.Display(path)} is damaged: its {CodecName(codec)} data cannot be read ({ArchiveErrors.Describe(ex)}).",
            "Check that the file is complete; restore it from a good copy.").ToException();

    /// <summary>The largest all-zero file taken as an empty tar (GNU tar's blocking factor 128).</summary>
    const int EmptyTarLimit = 128 * 512;

    /// <summary>What an unrecognised file looks like, for the refusal.</summary>
    static string Describe(string path, long size)
    {
        var head = new byte[64];
        var iso = new byte[5];
        int n;
        bool isIso = false;
        using (var fs = ArchivePaths.OpenRead(path))
        {
            n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (size > 32774)
            {
                fs.Position = 32769;
                isIso = fs.ReadAtLeast(iso, 5, throwOnEndOfStream: false) == 5 && iso.AsSpan().SequenceEqual("CD001"u8);
            }
        }
        var h = head.AsSpan(0, n);
        if (isIso) return "an ISO 9660 image";
        if (h.StartsWith("Rar!\x1a\x07"u8)) return "a RAR archive";
        if (h.StartsWith("!<arch>\n"u8)) return "an ar archive (a .deb or static library)";
        if (h.StartsWith("070707"u8) || h.StartsWith("070701"u8) || h.StartsWith("070702"u8) || h.StartsWith((ReadOnlySpan<byte>)[0xc7, 0x71]) || h.StartsWith((ReadOnlySpan<byte>)[0x71, 0xc7]))
            return "a cpio archive";
        if (h.StartsWith((ReadOnlySpan<byte>)[0x04, 0x22, 0x4d, 0x18])) return "an lz4 stream";
        if (h.StartsWith("LZIP"u8)) return "an lzip stream";
        if (h.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x9d])) return "a compress (.Z) stream";
        if (h.StartsWith((ReadOnlySpan<byte>)[0x5d, 0x00, 0x00])) return "an lzma (legacy) stream";
        if (size == 0) return "empty";
        if (h.IndexOfAnyExcept((byte)0) < 0) return "a file of zeros";
        return "not in a format resh recognises";
    }

    public static Codec CodecOf(ReadOnlySpan<byte> h)
    {
        if (h.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b])) return Codec.Gzip;
        if (h.StartsWith("BZh"u8)) return Codec.Bzip2;
        if (h.StartsWith((ReadOnlySpan<byte>)[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return Codec.Xz;
        if (h.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd])) return Codec.Zstd;
        // A zstd stream may start with a skippable frame (magic 0x184D2A50..5F, little-endian).
        if (h.Length >= 4 && (h[0] & 0xF0) == 0x50 && h[1] == 0x2a && h[2] == 0x4d && h[3] == 0x18) return Codec.Zstd;
        return Codec.None;
    }
}
