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
    /// Detects the format from content: the codec by its magic bytes, then a tar header ("ustar" at
    /// offset 257, or a valid v7 header checksum) inside the decompressed stream.
    /// </summary>
    public static ArchiveFormat Detect(string path)
    {
        Span<byte> head = stackalloc byte[8];
        int n;
        using (var fs = System.IO.File.OpenRead(path)) n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var h = head[..n];
        if (h.StartsWith("PK\x03\x04"u8) || h.StartsWith("PK\x05\x06"u8)) return new(Container.Zip, Codec.None);
        if (h.StartsWith((ReadOnlySpan<byte>)[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return new(Container.SevenZip, Codec.None);
        var codec = CodecOf(h);
        var block = new byte[512];
        int got;
        using (var fs = System.IO.File.OpenRead(path))
        using (var s = Codecs.OpenRead(fs, codec))
        {
            try { got = s.ReadAtLeast(block, 512, throwOnEndOfStream: false); }
            catch (Exception ex) when (ex is not ReshException && ex is not OperationCanceledException)
            {
                throw ReshError.Failed($"{path} is not a readable {ArchiveFormat.CodecName(codec)} stream: {ExceptionTranslation.OneLine(ex.Message)}",
                    "Check that the file is complete and not corrupted.").ToException();
            }
        }
        if (got == 512 && IsTarHeader(block)) return new(Container.Tar, codec);
        if (codec == Codec.None)
        {
            if (got == 0 || (got == 512 && block.AsSpan().IndexOfAnyExcept((byte)0) < 0)) return new(Container.Tar, Codec.None); // empty tar
            throw ReshError.Unsupported($"{path} is not an archive resh recognises (no tar, zip, 7z, gzip, bzip2, xz or zstd signature).",
                "Pass type= if you know what it is; supported: " + string.Join(", ", Names) + ".").ToException();
        }
        return new(Container.None, codec);
    }

    public static Codec CodecOf(ReadOnlySpan<byte> h)
    {
        if (h.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b])) return Codec.Gzip;
        if (h.StartsWith("BZh"u8)) return Codec.Bzip2;
        if (h.StartsWith((ReadOnlySpan<byte>)[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return Codec.Xz;
        if (h.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd])) return Codec.Zstd;
        return Codec.None;
    }

    static bool IsTarHeader(ReadOnlySpan<byte> b)
    {
        if (b.Slice(257, 5).SequenceEqual("ustar"u8)) return true;
        // v7 tar: the checksum field (148..155, octal) equals the header's byte sum with the field as spaces.
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += i is >= 148 and < 156 ? 32 : b[i];
        var field = System.Text.Encoding.ASCII.GetString(b.Slice(148, 8)).Trim('\0', ' ');
        try { return field.Length > 0 && Convert.ToInt64(field, 8) == sum && b[0] != 0; }
        catch (FormatException) { return false; }
        catch (ArgumentException) { return false; }
    }
}
